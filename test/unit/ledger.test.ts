import { describe, expect, it } from 'vitest'
import {
  type BatchOp,
  COIN,
  equalBytes,
  Ledger,
  LedgerError,
  LOCK_EXPIRY_MS,
  LtHash,
  MemoryStore,
  MIN_FEE,
  outPointToString,
  sha256,
  type Txid,
  txidToHex,
  utf8ToBytes,
} from '../../src/core/index.ts'
import { UTXO_COMMITMENT_KEY } from '../../src/core/ledger/utxo-codec.ts'
import {
  coinsOf,
  GENESIS_HASH,
  genesisLedger,
  keyPair,
  payloadOf,
  spend,
} from '../support/ledger-fixture.ts'

const alice = keyPair(0)
const bob = keyPair(1)
const carol = keyPair(2)
const cert = new Uint8Array([0xce, 0x47])

function stateOf(ledger: Ledger, outpoint: Parameters<Ledger['utxos']['get']>[0]) {
  return ledger.utxos.get(outpoint)?.state
}

describe('Ledger', () => {
  it('locks all inputs atomically and names the conflicting txid', async () => {
    const { ledger, coins } = genesisLedger(3, 10n * COIN, 1)
    const a = spend([coins[0]!, coins[1]!], [{ to: bob, value: 20n * COIN - MIN_FEE }])
    await ledger.verify(a.tx, a.txid)
    expect(ledger.checkSpend(a.tx, a.txid)).toEqual({ status: 'spendable', fee: MIN_FEE })
    const t = ledger.admit(a.tx, a.txid, a.size, 1000)
    // Two UTXO records and one mempool record; a lock leaves the commitment (and its record) alone.
    expect(t.ops.length).toBe(3)
    expect(stateOf(ledger, coins[0]!.outpoint)).toMatchObject({ kind: 'Locked', voted: false })

    // b spends coin 2 (free) and coin 1 (locked by a): nothing of b may be locked.
    const b = spend([coins[2]!, coins[1]!], [{ to: carol, value: 20n * COIN - MIN_FEE }])
    const check = ledger.checkSpend(b.tx, b.txid)
    expect(check).toMatchObject({ status: 'conflict', state: 'Locked' })
    if (check.status === 'conflict') expect(txidToHex(check.txid)).toBe(txidToHex(a.txid))
    expect(() => ledger.admit(b.tx, b.txid, b.size, 1001)).toThrow(
      expect.objectContaining({ code: 'LEDGER_CONFLICT' }),
    )
    expect(stateOf(ledger, coins[2]!.outpoint)).toEqual({ kind: 'Unspent' })
  })

  it('defers an unknown parent instead of rejecting', () => {
    const { ledger, coins } = genesisLedger(1)
    const parent = spend(coins, [{ to: bob, value: 10n * COIN - MIN_FEE }])
    const child = spend(coinsOf(parent, [bob]), [{ to: carol, value: 10n * COIN - 2n * MIN_FEE }])
    expect(ledger.checkSpend(child.tx, child.txid)).toMatchObject({ status: 'missing' })
  })

  it('refuses invalid spends with typed errors and changes nothing', async () => {
    const { ledger, coins } = genesisLedger(2, 10n * COIN, 1)
    const before = ledger.summary()
    const cases = [
      ['LEDGER_INSUFFICIENT_FUNDS', spend([coins[0]!], [{ to: bob, value: 11n * COIN }])],
      ['LEDGER_FEE_TOO_LOW', spend([coins[0]!], [{ to: bob, value: 10n * COIN - MIN_FEE + 1n }])],
      ['LEDGER_INPUT_KEY', spend([{ ...coins[0]!, owner: bob }], [{ to: bob, value: 5n * COIN }])],
    ] as const
    for (const [code, built] of cases) {
      expect(() => ledger.admit(built.tx, built.txid, built.size, 0), code).toThrow(
        expect.objectContaining({ code }),
      )
    }
    const dust = spend([coins[1]!], [{ to: bob, value: 999n }])
    await expect(ledger.verify(dust.tx, dust.txid)).rejects.toMatchObject({ code: 'LEDGER_DUST' })
    const good = spend([coins[1]!], [{ to: bob, value: 5n * COIN }])
    const wrongNet = new Ledger({ genesisHash: new Uint8Array(32) })
    await expect(wrongNet.verify(good.tx, good.txid)).rejects.toMatchObject({
      code: 'TX_SIGNATURE',
    })
    expect(ledger.summary()).toEqual(before)
    expect(ledger.mempool.count).toBe(0)
  })

  it('finalizes: inputs final, outputs spendable at once (chained payment)', () => {
    const { ledger, coins } = genesisLedger(1)
    const pay = spend(coins, [
      { to: bob, value: 6n * COIN },
      { to: alice, value: 4n * COIN - MIN_FEE },
    ])
    ledger.admit(pay.tx, pay.txid, pay.size, 0)
    ledger.markVoted(pay.txid)
    ledger.recordVotes(pay.txid, 3)
    expect(stateOf(ledger, coins[0]!.outpoint)).toMatchObject({
      kind: 'SpentPending',
      votes: 3,
      voted: true,
    })
    ledger.finalize(pay.tx, pay.txid, cert, pay.size, 1)
    expect(stateOf(ledger, coins[0]!.outpoint)).toEqual({ kind: 'SpentFinalized', txid: pay.txid })
    expect(ledger.certificate(pay.txid)).toEqual(cert)
    const child = spend(coinsOf(pay, [bob, alice]).slice(0, 1), [
      { to: carol, value: 6n * COIN - MIN_FEE },
    ])
    expect(ledger.checkSpend(child.tx, child.txid)).toEqual({ status: 'spendable', fee: MIN_FEE })
    ledger.admit(child.tx, child.txid, child.size, 2)
    // A finalized transaction is kept until a block confirms it.
    expect(ledger.mempool.get(pay.txid)?.status).toBe('finalized')
  })

  it('a certificate overrides a conflicting lock; two certificates are a safety failure', () => {
    const { ledger, coins } = genesisLedger(2, 10n * COIN, 1)
    const a = spend([coins[0]!, coins[1]!], [{ to: bob, value: 19n * COIN }])
    const b = spend([coins[0]!], [{ to: carol, value: 9n * COIN }])
    ledger.admit(a.tx, a.txid, a.size, 0) // unvoted lock for a
    const t = ledger.finalize(b.tx, b.txid, cert, b.size, 1)
    expect(t.removed.map(txidToHex)).toEqual([txidToHex(a.txid)])
    expect(ledger.mempool.get(a.txid)).toBeUndefined()
    // a's other input was only locked (no vote): released.
    expect(stateOf(ledger, coins[1]!.outpoint)).toEqual({ kind: 'Unspent' })
    const c = spend([coins[0]!], [{ to: alice, value: 9n * COIN }])
    expect(() => ledger.finalize(c.tx, c.txid, cert, c.size, 2)).toThrow(
      expect.objectContaining({ code: 'LEDGER_DOUBLE_FINALITY' }),
    )
  })

  it('finalizes several transactions in one transition: a child after its parent, a failure alone', () => {
    const { ledger, coins } = genesisLedger(2, 10n * COIN, 1)
    const pay = spend([coins[0]!], [{ to: bob, value: 9n * COIN }])
    const child = spend(coinsOf(pay, [bob]), [{ to: carol, value: 8n * COIN }])
    const orphan = spend(
      [{ outpoint: { txid: child.txid, vout: 7 }, value: COIN, owner: carol }],
      [{ to: alice, value: COIN - MIN_FEE }],
    )
    const again = spend([coins[0]!], [{ to: carol, value: 9n * COIN }])
    const t = ledger.finalizeAll(
      [pay, orphan, child, again].map((x) => ({ ...x, certificate: cert })),
      1,
    )
    expect(t.outcomes.map((o) => (o instanceof LedgerError ? o.code : o.length))).toEqual([
      2, // the spent input and the new output
      'LEDGER_MISSING_INPUT',
      2,
      'LEDGER_DOUBLE_FINALITY',
    ])
    expect(stateOf(ledger, { txid: pay.txid, vout: 0 })).toEqual({
      kind: 'SpentFinalized',
      txid: child.txid,
    })
    // One batch for both, with one write of the commitment, as two finalize calls would leave.
    expect(t.ops.filter((op) => equalBytes(op.key, UTXO_COMMITMENT_KEY)).length).toBe(1)
    const alone = genesisLedger(2, 10n * COIN, 1).ledger
    alone.finalize(pay.tx, pay.txid, cert, pay.size, 1)
    alone.finalize(child.tx, child.txid, cert, child.size, 1)
    expect(alone.utxos.rescan()).toEqual(ledger.utxos.rescan())
  })

  it('a voted lock never expires or is released; an unvoted one expires after 600 s', () => {
    const { ledger, coins } = genesisLedger(2, 10n * COIN, 1)
    const voted = spend([coins[0]!], [{ to: bob, value: 9n * COIN }])
    const idle = spend([coins[1]!], [{ to: bob, value: 9n * COIN }])
    ledger.admit(voted.tx, voted.txid, voted.size, 0, true)
    ledger.admit(idle.tx, idle.txid, idle.size, 0)
    expect(ledger.expireLocks(LOCK_EXPIRY_MS - 1).removed).toEqual([])
    const t = ledger.expireLocks(LOCK_EXPIRY_MS)
    expect(t.removed.map(txidToHex)).toEqual([txidToHex(idle.txid)])
    expect(stateOf(ledger, coins[1]!.outpoint)).toEqual({ kind: 'Unspent' })
    expect(stateOf(ledger, coins[0]!.outpoint)).toMatchObject({ kind: 'Locked', voted: true })
    expect(() => ledger.utxos.setState(coins[0]!.outpoint, { kind: 'Unspent' })).toThrow(
      LedgerError,
    )
  })

  it('confirms a block: Confirmed inputs, heights on outputs, mempool and certificate dropped', () => {
    const { ledger, coins } = genesisLedger(1)
    const pay = spend(coins, [{ to: bob, value: 9n * COIN }])
    ledger.admit(pay.tx, pay.txid, pay.size, 0)
    ledger.finalize(pay.tx, pay.txid, cert, pay.size, 1)
    const child = spend(coinsOf(pay, [bob]), [{ to: carol, value: 8n * COIN }])
    ledger.admit(child.tx, child.txid, child.size, 2)
    ledger.finalize(child.tx, child.txid, cert, child.size, 3)
    const t = ledger.confirmBlock(1, [pay, child])
    expect(t.removed.length).toBe(2)
    expect(stateOf(ledger, coins[0]!.outpoint)).toEqual({
      kind: 'Confirmed',
      txid: pay.txid,
      height: 1,
    })
    expect(ledger.utxos.get({ txid: child.txid, vout: 0 })?.height).toBe(1)
    expect(ledger.certificate(pay.txid)).toBeUndefined()
    expect(ledger.mempool.count).toBe(0)
  })

  it('a block spending one output twice changes nothing', () => {
    const { ledger, coins } = genesisLedger(1)
    const a = spend(coins, [{ to: bob, value: 9n * COIN }])
    const b = spend(coins, [{ to: carol, value: 9n * COIN }])
    const before = ledger.summary()
    expect(() => ledger.confirmBlock(1, [a, b])).toThrow(
      expect.objectContaining({ code: 'LEDGER_DOUBLE_FINALITY' }),
    )
    expect(ledger.summary()).toEqual(before)
    expect(ledger.utxos.takeChanges()).toEqual([])
  })

  it('evicts the lowest fee rate pending transaction when full, never a voted one', () => {
    const { ledger, coins } = genesisLedger(4, 10n * COIN, 1, {
      mempool: { maxCount: 2, maxBytes: 1e6 },
    })
    const cheap = spend([coins[0]!], [{ to: bob, value: 10n * COIN - MIN_FEE }])
    const votedCheap = spend([coins[1]!], [{ to: bob, value: 10n * COIN - MIN_FEE }])
    const rich = spend([coins[2]!], [{ to: bob, value: 9n * COIN }])
    ledger.admit(cheap.tx, cheap.txid, cheap.size, 0)
    ledger.admit(votedCheap.tx, votedCheap.txid, votedCheap.size, 0, true)
    const t = ledger.admit(rich.tx, rich.txid, rich.size, 1)
    expect(t.removed.map(txidToHex)).toEqual([txidToHex(cheap.txid)])
    expect(stateOf(ledger, coins[0]!.outpoint)).toEqual({ kind: 'Unspent' })
    const another = spend([coins[3]!], [{ to: bob, value: 10n * COIN - 2n * MIN_FEE }])
    expect(() => ledger.admit(another.tx, another.txid, another.size, 2)).toThrow(
      expect.objectContaining({ code: 'MEMPOOL_FULL' }),
    )
  })

  it('reopens from its store to the identical state', async () => {
    const store = new MemoryStore()
    const { ledger, coins, genesisOps } = genesisLedger(3, 10n * COIN, 2)
    await store.write(genesisOps)
    const a = spend([coins[0]!], [{ to: bob, value: 9n * COIN }])
    const b = spend([coins[1]!], [{ to: carol, value: 9n * COIN }])
    for (const t of [
      ledger.admit(a.tx, a.txid, a.size, 5, true),
      ledger.admit(b.tx, b.txid, b.size, 6),
      ledger.finalize(a.tx, a.txid, cert, a.size, 7),
    ]) {
      await store.write(t.ops)
    }
    const reopened = await Ledger.open(store, { genesisHash: GENESIS_HASH })
    expect(reopened.summary()).toEqual(ledger.summary())
    expect([...reopened.utxos.entries()].map((e) => [outPointToString(e.outpoint), e])).toEqual(
      [...ledger.utxos.entries()].map((e) => [outPointToString(e.outpoint), e]),
    )
    const byTxid = (l: Ledger) =>
      [...l.mempool.entries()].sort((x, y) => txidToHex(x.txid).localeCompare(txidToHex(y.txid)))
    expect(byTxid(reopened)).toEqual(byTxid(ledger))
    expect(reopened.certificate(a.txid)).toEqual(cert)
    expect(reopened.utxos.rescan()).toEqual(reopened.summary())
    expect(reopened.utxos.rescanMatches()).toBe(true)
    expect(reopened.utxos.totals()).toEqual({
      count: reopened.summary().count,
      total: reopened.summary().total,
    })
  })

  it('commitment accumulators of the same set compare equal whatever the order of changes', () => {
    const a = new LtHash()
    const b = new LtHash()
    for (const x of ['x', 'y', 'z']) a.add(utf8ToBytes(x))
    b.add(utf8ToBytes('x'))
    b.add(utf8ToBytes('w'))
    b.add(utf8ToBytes('z'))
    b.remove(utf8ToBytes('w'))
    expect(a.equals(b)).toBe(false)
    b.add(utf8ToBytes('y'))
    expect(a.equals(b)).toBe(true)
    expect(a.digest()).toEqual(b.digest())
  })

  it('persists the accumulator only in batches that change the set of live outputs', () => {
    const { ledger, coins } = genesisLedger(2)
    const [coin] = coins
    const tx = spend([coin!], [{ to: keyPair(5), value: 9n * COIN }])
    const commitmentOps = (t: { ops: readonly BatchOp[] }) =>
      t.ops.filter((op) => equalBytes(op.key, UTXO_COMMITMENT_KEY))
    // A lock changes a UTXO record but not the live set: no accumulator in the batch.
    expect(commitmentOps(ledger.admit(tx.tx, tx.txid, tx.size, 1_000))).toEqual([])
    expect(commitmentOps(ledger.recordVotes(tx.txid, 2))).toEqual([])
    // Final: one output spent, one created; the batch carries the accumulator's new state.
    const final = ledger.finalize(tx.tx, tx.txid, new Uint8Array([1]), tx.size, 2_000)
    expect(commitmentOps(final)).toEqual([
      { type: 'put', key: UTXO_COMMITMENT_KEY, value: ledger.utxos.commitmentState() },
    ])
    expect(ledger.utxos.rescanMatches()).toBe(true)
  })
})

describe("Ledger.admit with the caller's spend check", () => {
  it('uses a fresh check of this ledger and gives the same batch as checking again', () => {
    const run = (pass: boolean) => {
      const { ledger, coins } = genesisLedger(2)
      const a = spend([coins[0]!], [{ to: bob, value: 9n * COIN }])
      const check = ledger.checkSpend(a.tx, a.txid)
      return ledger.admit(a.tx, a.txid, a.size, 1_000, true, pass ? check : undefined)
    }
    expect(run(true)).toEqual(run(false))
  })

  it('checks again when the answer is stale, for another txid, or not its own', () => {
    const { ledger, coins } = genesisLedger(3)
    const a = spend([coins[0]!], [{ to: bob, value: 9n * COIN }])
    const b = spend([coins[0]!], [{ to: carol, value: 9n * COIN }])
    // Stale: b was spendable when checked, but a locked its input since.
    const staleB = ledger.checkSpend(b.tx, b.txid)
    expect(staleB.status).toBe('spendable')
    ledger.admit(a.tx, a.txid, a.size, 1_000, false, ledger.checkSpend(a.tx, a.txid))
    expect(() => ledger.admit(b.tx, b.txid, b.size, 1_001, false, staleB)).toThrow(
      expect.objectContaining({ code: 'LEDGER_CONFLICT' }),
    )
    // Another txid's answer, or an answer this ledger never gave: checked again.
    const c = spend([coins[1]!], [{ to: carol, value: 9n * COIN }])
    const d = spend([coins[0]!, coins[2]!], [{ to: carol, value: 19n * COIN }])
    const forC = ledger.checkSpend(c.tx, c.txid)
    expect(() => ledger.admit(d.tx, d.txid, d.size, 1_002, false, forC)).toThrow(
      expect.objectContaining({ code: 'LEDGER_CONFLICT' }),
    )
    const forged = { status: 'spendable', fee: 10n * COIN } as const
    ledger.checkSpend(d.tx, d.txid)
    expect(() => ledger.admit(d.tx, d.txid, d.size, 1_003, false, forged as never)).toThrow(
      expect.objectContaining({ code: 'LEDGER_CONFLICT' }),
    )
    // The fee recorded is the ledger's own, never a passed answer's.
    const e = spend([coins[2]!], [{ to: carol, value: 9n * COIN }])
    ledger.checkSpend(e.tx, e.txid)
    ledger.admit(e.tx, e.txid, e.size, 1_004, false, { status: 'spendable', fee: 1n } as never)
    expect(ledger.mempool.get(e.txid)?.fee).toBe(1n * COIN)
  })
})

describe('Ledger blocks', () => {
  it('applies a block and its reward in one batch', async () => {
    const store = new MemoryStore()
    const { ledger, coins, genesisOps } = genesisLedger(1)
    await store.write(genesisOps)
    const pay = spend(coins, [{ to: bob, value: 9n * COIN }])
    await store.write(ledger.admit(pay.tx, pay.txid, pay.size, 0).ops)
    await store.write(ledger.finalize(pay.tx, pay.txid, cert, pay.size, 1).ops)
    const rewardTxid = sha256(utf8ToBytes('reward 1')) as Txid
    const t = ledger.confirmBlock(1, [pay], {
      txid: rewardTxid,
      outputs: [{ value: (100n * COIN + COIN) as never, address: payloadOf(carol) }],
    })
    await store.write(t.ops)
    expect(ledger.utxos.get({ txid: rewardTxid, vout: 0 })).toMatchObject({
      height: 1,
      state: { kind: 'Unspent' },
    })
    const reopened = await Ledger.open(store, { genesisHash: GENESIS_HASH })
    expect(reopened.summary()).toEqual(ledger.summary())
    // Value: the fee of 1 TIME left the outputs and came back in the reward (plus 100 TIME new).
    expect(ledger.summary().total).toBe(10n * COIN + 100n * COIN)
  })
})
