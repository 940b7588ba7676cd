// The ledger's lock transitions one call at a time (docs/ARCHITECTURE.md §3.6), for what
// ledger.test.ts and the property tests leave open: times, reusing a spend check, marking locks
// voted, recording votes, certificates and blocks over mempool transactions, and the exact
// records each transition writes.
import { describe, expect, it } from 'vitest'
import {
  Bucket,
  COIN,
  ed25519,
  Ledger,
  LOCK_EXPIRY_MS,
  MemoryStore,
  MIN_FEE,
  type OutPoint,
  type Transition,
  type Txid,
  txidToHex,
} from '../../src/core/index.ts'
import { UTXO_COMMITMENT_KEY } from '../../src/core/ledger/utxo-codec.ts'
import {
  type Coin,
  coinsOf,
  GENESIS_HASH,
  GENESIS_TXID,
  genesisLedger,
  keyPair,
  spend,
} from '../support/ledger-fixture.ts'

const bob = keyPair(1)
const carol = keyPair(2)
const cert = new Uint8Array([0xce, 0x47])

const stateOf = (ledger: Ledger, outpoint: OutPoint) => ledger.utxos.get(outpoint)?.state
const hexes = (txids: readonly Txid[]) => txids.map(txidToHex)
const codeOf = (f: () => unknown) => {
  try {
    f()
    return 'ok'
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).name
  }
}
/** Record counts of a transition by bucket (docs/STORAGE.md): UTXO, mempool, certificate. */
const recordsOf = (t: Transition) => {
  const n = { utxo: 0, mempool: 0, certificate: 0, other: 0, dels: 0 }
  for (const op of t.ops) {
    if (op.type === 'del') n.dels++
    const bucket = op.key[0]
    if (bucket === Bucket.utxo) n.utxo++
    else if (bucket === Bucket.mempool) n.mempool++
    else if (bucket === Bucket.certificate) n.certificate++
    else n.other++
  }
  return n
}
const pay = (coins: readonly Coin[], to = bob, fee: bigint = MIN_FEE) =>
  spend(coins, [{ to, value: coins.reduce((s, c) => s + c.value, 0n) - fee }])

describe('Ledger locks', () => {
  it('takes only whole, non-negative milliseconds as time, before changing anything', () => {
    const { ledger, coins } = genesisLedger(1)
    const a = pay([coins[0]!])
    for (const now of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(codeOf(() => ledger.admit(a.tx, a.txid, a.size, now))).toBe('RangeError')
      expect(stateOf(ledger, coins[0]!.outpoint)).toEqual({ kind: 'Unspent' })
      expect(ledger.mempool.get(a.txid)).toBeUndefined()
    }
    expect(ledger.admit(a.tx, a.txid, a.size, 0).ops.length).toBe(2)
  })

  it('reports every missing input, in order, and a fee of zero as too low', () => {
    const { ledger, coins } = genesisLedger(2)
    const ghost = (vout: number): Coin => ({
      outpoint: { txid: GENESIS_TXID, vout },
      value: 10n * COIN,
      owner: keyPair(0),
    })
    const a = pay([ghost(7), coins[0]!, ghost(5)])
    expect(ledger.checkSpend(a.tx, a.txid)).toEqual({
      status: 'missing',
      outpoints: [ghost(7).outpoint, ghost(5).outpoint],
    })
    const free = pay([coins[1]!], bob, 0n)
    expect(codeOf(() => ledger.checkSpend(free.tx, free.txid))).toBe('LEDGER_FEE_TOO_LOW')
    const over = pay([coins[1]!], bob, -1n)
    expect(codeOf(() => ledger.checkSpend(over.tx, over.txid))).toBe('LEDGER_INSUFFICIENT_FUNDS')
  })

  it('never trusts a spend check the UTXO set has moved past', () => {
    const { ledger, coins } = genesisLedger(1)
    const a = pay([coins[0]!])
    const b = pay([coins[0]!], carol)
    const stale = ledger.checkSpend(a.tx, a.txid)
    expect(stale.status).toBe('spendable')
    // b locks the input without a check of this ledger's own being recorded.
    ledger.admit(b.tx, b.txid, b.size, 1_000)
    expect(codeOf(() => ledger.admit(a.tx, a.txid, a.size, 1_001, true, stale))).toBe(
      'LEDGER_CONFLICT',
    )
    // Refused before anything changed: b's lock is not marked voted by a's call.
    expect(stateOf(ledger, coins[0]!.outpoint)).toEqual({
      kind: 'Locked',
      txid: b.txid,
      lockedAt: 1_000,
      voted: false,
    })
  })

  it('marks locks voted once, pending or not; the mempool entry then never expires', () => {
    const { ledger, coins } = genesisLedger(2)
    const a = pay([coins[0]!, coins[1]!])
    ledger.admit(a.tx, a.txid, a.size, 1_000)
    ledger.recordVotes(a.txid, 10)
    // One input moves on to SpentPending before the vote is marked (both kinds are marked).
    expect(stateOf(ledger, coins[0]!.outpoint)).toMatchObject({
      kind: 'SpentPending',
      voted: false,
    })
    const t = ledger.markVoted(a.txid)
    expect(recordsOf(t)).toMatchObject({ utxo: 2, mempool: 1 })
    expect(t.removed).toEqual([])
    for (const c of coins) {
      expect(stateOf(ledger, c.outpoint)).toMatchObject({ kind: 'SpentPending', voted: true })
    }
    expect(ledger.mempool.get(a.txid)?.voted).toBe(true)
    const again = ledger.markVoted(a.txid)
    expect(again.ops).toEqual([])
    expect(again.removed).toEqual([])
    expect(ledger.expireLocks(1_000 + 10 * LOCK_EXPIRY_MS).removed).toEqual([])

    const { ledger: l2, coins: c2 } = genesisLedger(1)
    const b = pay([c2[0]!])
    l2.admit(b.tx, b.txid, b.size, 1_000)
    const marked = l2.markVoted(b.txid)
    expect(stateOf(l2, c2[0]!.outpoint)).toMatchObject({ kind: 'Locked', voted: true })
    // Still Locked: written, not reported as a move.
    expect(recordsOf(marked).utxo).toBe(1)
    expect(marked.moved).toEqual([])
    expect(codeOf(() => l2.markVoted(pay([c2[0]!], carol).txid))).toBe('LEDGER_UNKNOWN_TX')
  })

  it('records votes: Locked → SpentPending, then only a higher count is written', () => {
    const { ledger, coins } = genesisLedger(1)
    const a = pay([coins[0]!])
    ledger.admit(a.tx, a.txid, a.size, 1_000, true)
    const first = ledger.recordVotes(a.txid, 20)
    expect(recordsOf(first).utxo).toBe(1)
    expect(first.removed).toEqual([])
    // A move to another state is reported (it becomes a utxoState effect)…
    expect(first.moved.map((e) => e.state.kind)).toEqual(['SpentPending'])
    expect(stateOf(ledger, coins[0]!.outpoint)).toEqual({
      kind: 'SpentPending',
      txid: a.txid,
      votes: 20,
      voted: true,
    })
    expect(ledger.recordVotes(a.txid, 20).ops).toEqual([])
    expect(ledger.recordVotes(a.txid, 10).ops).toEqual([])
    expect(stateOf(ledger, coins[0]!.outpoint)).toMatchObject({ votes: 20 })
    // …a higher count is written, but the output stays in its state: nothing is reported.
    const more = ledger.recordVotes(a.txid, 30)
    expect(recordsOf(more).utxo).toBe(1)
    expect(more.moved).toEqual([])
    expect(stateOf(ledger, coins[0]!.outpoint)).toMatchObject({ votes: 30, voted: true })
  })

  it('finalizing several at once reports the spends it dropped and the outputs the final ones moved', () => {
    const { ledger, coins } = genesisLedger(2)
    const pending = pay([coins[0]!], carol)
    ledger.admit(pending.tx, pending.txid, pending.size, 1_000)
    const final = pay([coins[0]!])
    const orphan = pay([{ outpoint: { txid: final.txid, vout: 5 }, value: COIN, owner: bob }])
    const t = ledger.finalizeAll(
      [orphan, final].map((x) => ({ ...x, certificate: cert })),
      2_000,
    )
    expect(t.outcomes[0]).toMatchObject({ code: 'LEDGER_MISSING_INPUT' })
    expect(hexes(t.removed)).toEqual(hexes([pending.txid]))
    const moved = t.moved.map(
      (e) => `${txidToHex(e.outpoint.txid)}:${e.outpoint.vout} ${e.state.kind}`,
    )
    expect(moved).toEqual([
      `${txidToHex(GENESIS_TXID)}:0 SpentFinalized`,
      `${txidToHex(final.txid)}:0 Unspent`,
    ])
    expect(t.outcomes[1]).toEqual(t.moved)
  })

  it('admitted again after its votes were seen, it keeps its inputs and may mark them voted', () => {
    const { ledger, coins } = genesisLedger(1)
    const a = pay([coins[0]!])
    ledger.admit(a.tx, a.txid, a.size, 1_000)
    ledger.recordVotes(a.txid, 10)
    // Unvoted, it expires from the mempool; its input stays SpentPending for it.
    expect(hexes(ledger.expireLocks(1_000 + LOCK_EXPIRY_MS).removed)).toEqual(hexes([a.txid]))
    const pending = { kind: 'SpentPending', txid: a.txid, votes: 10, voted: false }
    expect(stateOf(ledger, coins[0]!.outpoint)).toEqual(pending)
    // Submitted again without a vote of ours: the input is left as it is.
    const unvoted = ledger.admit(a.tx, a.txid, a.size, 2_000_000)
    expect(recordsOf(unvoted)).toMatchObject({ utxo: 0, mempool: 1 })
    expect(stateOf(ledger, coins[0]!.outpoint)).toEqual(pending)
    ledger.expireLocks(2_000_000 + LOCK_EXPIRY_MS)
    // With our vote: marked voted, nothing else.
    const voted = ledger.admit(a.tx, a.txid, a.size, 4_000_000, true)
    expect(recordsOf(voted)).toMatchObject({ utxo: 1, mempool: 1 })
    expect(stateOf(ledger, coins[0]!.outpoint)).toEqual({ ...pending, voted: true })
  })

  it('a certificate drops each conflicting mempool transaction once and frees its unvoted locks', () => {
    const { ledger, coins } = genesisLedger(3)
    const a = pay([coins[0]!, coins[1]!])
    const other = pay([coins[2]!])
    ledger.admit(a.tx, a.txid, a.size, 1_000)
    ledger.admit(other.tx, other.txid, other.size, 1_000)
    // b spends both of a's inputs and coin 2 (held by `other`, whose lock is voted).
    ledger.markVoted(other.txid)
    const b = pay([coins[0]!, coins[1]!, coins[2]!], carol)
    const t = ledger.finalize(b.tx, b.txid, cert, b.size, 2_000)
    expect(hexes(t.removed)).toEqual(hexes([a.txid, other.txid]))
    expect(ledger.mempool.get(a.txid)).toBeUndefined()
    for (const c of coins) {
      expect(stateOf(ledger, c.outpoint)).toEqual({ kind: 'SpentFinalized', txid: b.txid })
    }
    // Unknown before, it is kept as finalized with its own fee and no vote of ours.
    expect(ledger.mempool.get(b.txid)).toMatchObject({
      status: 'finalized',
      fee: MIN_FEE,
      voted: false,
      arrivedAt: 2_000,
    })
    expect(ledger.certificate(b.txid)).toEqual(cert)
  })

  it('a certificate for a transaction a block already confirmed changes nothing', () => {
    const { ledger, coins } = genesisLedger(1)
    const a = pay([coins[0]!])
    ledger.finalize(a.tx, a.txid, cert, a.size, 1_000)
    ledger.confirmBlock(1, [{ tx: a.tx, txid: a.txid }])
    expect(ledger.mempool.get(a.txid)).toBeUndefined()
    const t = ledger.finalize(a.tx, a.txid, cert, a.size, 2_000)
    expect(t.ops).toEqual([])
    expect(t.removed).toEqual([])
    expect(stateOf(ledger, coins[0]!.outpoint)).toEqual({
      kind: 'Confirmed',
      txid: a.txid,
      height: 1,
    })
    expect(ledger.certificate(a.txid)).toBeUndefined()
    // Finalized twice while still in the mempool: nothing either.
    const { ledger: l2, coins: c2 } = genesisLedger(1)
    const b = pay([c2[0]!])
    l2.finalize(b.tx, b.txid, cert, b.size, 1_000)
    expect(l2.finalize(b.tx, b.txid, cert, b.size, 1_001).ops).toEqual([])
  })

  it('a block drops the mempool transactions it conflicts with, and deletes only certificates it holds', () => {
    const { ledger, coins } = genesisLedger(3)
    const a = pay([coins[0]!])
    ledger.admit(a.tx, a.txid, a.size, 1_000)
    const b = pay([coins[0]!, coins[1]!], carol)
    const c = pay([coins[2]!])
    ledger.finalize(c.tx, c.txid, cert, c.size, 1_000)
    const t = ledger.confirmBlock(1, [
      { tx: b.tx, txid: b.txid },
      { tx: c.tx, txid: c.txid },
    ])
    expect(hexes(t.removed)).toEqual(hexes([a.txid, c.txid]))
    expect(ledger.mempool.get(a.txid)).toBeUndefined()
    // One certificate record deleted (c's); b had none.
    expect(recordsOf(t)).toMatchObject({ certificate: 1 })
    expect(t.ops.filter((op) => op.key[0] === Bucket.certificate && op.type === 'del').length).toBe(
      1,
    )
    expect(ledger.certificate(c.txid)).toBeUndefined()
  })

  it('a block may spend an output created earlier in it, but no unknown one', () => {
    const { ledger, coins } = genesisLedger(1)
    const a = pay([coins[0]!])
    const [child] = coinsOf(a, [bob])
    const b = pay([child!], carol)
    expect(codeOf(() => ledger.confirmBlock(1, [{ tx: b.tx, txid: b.txid }]))).toBe(
      'LEDGER_MISSING_INPUT',
    )
    // Its second output does not exist: spending it is missing too, even after its creator.
    const ghost = pay([{ ...child!, outpoint: { txid: a.txid, vout: 1 } }], carol)
    expect(
      codeOf(() =>
        ledger.confirmBlock(1, [
          { tx: a.tx, txid: a.txid },
          { tx: ghost.tx, txid: ghost.txid },
        ]),
      ),
    ).toBe('LEDGER_MISSING_INPUT')
    expect(stateOf(ledger, coins[0]!.outpoint)).toEqual({ kind: 'Unspent' })
    const t = ledger.confirmBlock(1, [
      { tx: a.tx, txid: a.txid },
      { tx: b.tx, txid: b.txid },
    ])
    expect(t.ops.length).toBeGreaterThan(0)
    expect(stateOf(ledger, child!.outpoint)).toEqual({ kind: 'Confirmed', txid: b.txid, height: 1 })
    expect(ledger.utxos.get(coinsOf(b, [carol])[0]!.outpoint)?.height).toBe(1)
  })

  it('reopens from a store without the saved accumulator to the same state', async () => {
    const { ledger, coins, genesisOps } = genesisLedger(2)
    const store = new MemoryStore()
    await store.write(genesisOps)
    const a = pay([coins[0]!])
    await store.write(ledger.finalize(a.tx, a.txid, cert, a.size, 1_000).ops)
    await store.write([{ type: 'del', key: UTXO_COMMITMENT_KEY }])
    const reopened = await Ledger.open(store, { genesisHash: ledger.genesisHash })
    expect(reopened.summary()).toEqual(ledger.summary())
    expect(reopened.utxos.rescanMatches()).toBe(true)
  })

  it('checks a whole block before changing anything, a spend already confirmed elsewhere too', () => {
    const { ledger, coins } = genesisLedger(2)
    const a = pay([coins[0]!])
    ledger.confirmBlock(1, [{ tx: a.tx, txid: a.txid }])
    const b = pay([coins[1]!], carol)
    // The block at height 2 holds b (fine) and a again: a's input is Confirmed at height 1.
    expect(
      codeOf(() =>
        ledger.confirmBlock(2, [
          { tx: b.tx, txid: b.txid },
          { tx: a.tx, txid: a.txid },
        ]),
      ),
    ).toBe('LEDGER_TRANSITION')
    expect(stateOf(ledger, coins[1]!.outpoint)).toEqual({ kind: 'Unspent' })
    expect(ledger.utxos.get(coinsOf(b, [carol])[0]!.outpoint)).toBeUndefined()
  })

  it('creating outputs and pruning spent ones remove nothing from the mempool', () => {
    const { ledger, coins } = genesisLedger(1)
    const created = ledger.createOutputs(GENESIS_TXID, [], 7)
    expect(created.removed).toEqual([])
    const a = pay([coins[0]!])
    ledger.confirmBlock(1, [{ tx: a.tx, txid: a.txid }])
    expect(ledger.pruneSpent(0)).toMatchObject({ ops: [], removed: [] })
    const pruned = ledger.pruneSpent(1)
    expect(pruned.removed).toEqual([])
    expect(pruned.ops.map((op) => op.type)).toEqual(['del'])
    expect(ledger.utxos.get(coins[0]!.outpoint)).toBeUndefined()
  })

  it('verifies input signatures with the verifier it was given', async () => {
    let calls = 0
    const counting = {
      ...ed25519,
      verifyMany: (checks: Parameters<typeof ed25519.verifyMany>[0]) => {
        calls += checks.length
        return ed25519.verifyMany(checks)
      },
    }
    const { coins } = genesisLedger(1)
    const ledger = new Ledger({ genesisHash: GENESIS_HASH, verifier: counting })
    const a = pay([coins[0]!])
    await ledger.verify(a.tx, a.txid)
    expect(calls).toBe(1)
  })
})
