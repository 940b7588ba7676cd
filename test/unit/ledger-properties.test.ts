// Property tests of the ledger over random operation sequences (test/support/ledger-model.ts):
// invariants after every operation, determinism, and reopening from the batches it wrote.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  COIN,
  equalBytes,
  isLive,
  Ledger,
  LOCK_EXPIRY_MS,
  MemoryStore,
  MIN_FEE,
  outPointToString,
  txidToHex,
  type UtxoEntry,
  type UtxoState,
} from '../../src/core/index.ts'
import { UTXO_COMMITMENT_KEY } from '../../src/core/ledger/utxo-codec.ts'
import { coinsOf, genesisLedger, keyPair, spend } from '../support/ledger-fixture.ts'
import {
  arbScenario,
  describeOp,
  dumpLedger,
  type LedgerDriver,
  type LedgerDump,
  type Outcome,
  plain,
  runScenario,
  storeImage,
} from '../support/ledger-model.ts'

const RUNS = 100

const RANK: Record<UtxoState['kind'], number> = {
  Unspent: 0,
  Locked: 1,
  SpentPending: 2,
  SpentFinalized: 3,
  Confirmed: 4,
}

function check(ok: boolean, message: () => string): asserts ok {
  if (!ok) throw new Error(message())
}

const same = (a: Uint8Array, b: Uint8Array) => txidToHex(a as never) === txidToHex(b as never)

/** Why `a → b` is not a legal move for one outpoint, or null if it is. */
function illegalMove(a: UtxoState, b: UtxoState): string | null {
  if (a.kind === 'Unspent') return null
  if (b.kind === 'Unspent')
    return a.kind === 'Locked' && !a.voted ? null : 'released a non-lock or a voted lock'
  const sameTx = same(a.txid, b.txid)
  if (RANK[b.kind] < RANK[a.kind]) return 'moved backwards'
  if (RANK[b.kind] > RANK[a.kind]) {
    // A certificate or a block may override a lock; otherwise the spender stays the same.
    if (sameTx || (isLive(a) && !isLive(b))) return null
    return 'changed spender'
  }
  if (!sameTx) return 'changed spender at the same rank'
  if (a.kind === 'Locked' && b.kind === 'Locked') {
    if (a.lockedAt !== b.lockedAt) return 'lock time changed'
    return a.voted && !b.voted ? 'lost its vote' : null
  }
  if (a.kind === 'SpentPending' && b.kind === 'SpentPending') {
    if (b.votes < a.votes) return 'vote count went down'
    return a.voted && !b.voted ? 'lost its vote' : null
  }
  if (a.kind === 'Confirmed' && b.kind === 'Confirmed' && a.height !== b.height) {
    return 'confirmation height changed'
  }
  return null
}

interface Before {
  readonly dump: LedgerDump
  readonly entries: ReadonlyMap<string, UtxoEntry>
}

function snapshot(driver: LedgerDriver): Before {
  const entries = new Map<string, UtxoEntry>()
  for (const e of driver.ledger.utxos.entries()) entries.set(outPointToString(e.outpoint), e)
  return { dump: driver.dump(), entries }
}

/** The invariants every state must keep, and the rules for how one operation may change it. */
function checkStep(driver: LedgerDriver, before: Before, outcome: Outcome): void {
  const { ledger } = driver
  const summary = ledger.summary()

  // (a) Value is conserved: live outputs plus the fees of final transactions = all ever minted.
  let live = 0n
  for (const e of ledger.utxos.entries()) if (isLive(e.state)) live += e.output.value
  check(summary.total === live, () => `summary total ${summary.total} ≠ live outputs ${live}`)
  check(
    live + driver.finalFees === driver.minted,
    () => `live ${live} + fees ${driver.finalFees} ≠ minted ${driver.minted}`,
  )

  // (b) No outpoint has two spenders: each mempool input is held (or spent) by its transaction.
  const spentBy = new Map<string, string>()
  let bytes = 0
  for (const e of ledger.mempool.entries()) {
    const id = txidToHex(e.txid)
    bytes += e.size
    for (const input of e.tx.inputs) {
      const key = outPointToString(input.outpoint)
      const other = spentBy.get(key)
      check(other === undefined, () => `${key} is spent by mempool txs ${other} and ${id}`)
      spentBy.set(key, id)
      const s = ledger.utxos.get(input.outpoint)?.state
      check(s !== undefined, () => `mempool tx ${id} spends ${key}, which is not in the set`)
      const kinds = e.status === 'pending' ? ['Locked', 'SpentPending'] : ['SpentFinalized']
      check(
        kinds.includes(s.kind) && s.kind !== 'Unspent' && txidToHex(s.txid) === id,
        () => `${e.status} mempool tx ${id}: input ${key} is ${JSON.stringify(plain(s))}`,
      )
      const indexed = ledger.mempool.spenderOf(input.outpoint)
      check(
        indexed !== undefined && txidToHex(indexed) === id,
        () => `mempool index names another spender of ${key}`,
      )
    }
  }
  check(bytes === ledger.mempool.bytes, () => `mempool bytes ${ledger.mempool.bytes} ≠ ${bytes}`)
  for (const e of ledger.utxos.entries()) {
    // An unvoted lock always belongs to a pending transaction: nothing else could release it.
    if (e.state.kind === 'Locked' && !e.state.voted) {
      const key = outPointToString(e.outpoint)
      const holder = txidToHex(e.state.txid)
      check(spentBy.get(key) === holder, () => `unvoted lock on ${key} by ${holder} is orphaned`)
    }
  }

  // (c) The incremental commitment equals one recomputed from scratch.
  expect(plain(ledger.utxos.rescan())).toEqual(plain(summary))

  // (d) A rejected (or skipped) operation changed nothing and left nothing to write.
  expect(plain(ledger.utxos.takeChanges()), 'UTXO changes left unwritten').toEqual([])
  expect(plain(ledger.mempool.takeChanges()), 'mempool changes left unwritten').toEqual([])
  if (outcome.kind !== 'applied') {
    expect(driver.dump(), 'a rejected operation changed the state').toEqual(before.dump)
    expect(plain(ledger.expireLocks(Number.NEGATIVE_INFINITY).ops)).toEqual([])
  }

  // (e) States only move forward; outputs never change; entries are never deleted.
  for (const [key, a] of before.entries) {
    const b = ledger.utxos.get(a.outpoint)
    check(b !== undefined, () => `${key} disappeared`)
    if (a === b) continue
    check(
      a.output.value === b.output.value && same(a.output.address, b.output.address),
      () => `${key}: output changed`,
    )
    check(
      a.height === b.height || a.height === null,
      () => `${key}: height ${a.height} → ${b.height}`,
    )
    const why = illegalMove(a.state, b.state)
    check(
      why === null,
      () => `${key}: ${JSON.stringify(plain(a.state))} → ${JSON.stringify(plain(b.state))}: ${why}`,
    )
  }
}

/** How often each operation applied or was rejected with each code, over all runs. */
const tally = new Map<string, number>()
function count(type: string, outcome: Outcome): void {
  const key = `${type}:${outcome.kind === 'rejected' ? outcome.code : outcome.kind}`
  tally.set(key, (tally.get(key) ?? 0) + 1)
}

describe('Ledger properties (random operation sequences)', () => {
  it('keeps its invariants after every operation, writes exactly its changes, reopens identically', async () => {
    await fc.assert(
      fc.asyncProperty(arbScenario({ maxOps: 40 }), async (scenario) => {
        const mirror = new MemoryStore()
        let before: Before | undefined
        const driver = await runScenario(scenario, {
          onStep: async (d, i, outcome) => {
            if (outcome !== null) {
              const op = scenario.ops[i]!
              count(op.type, outcome)
              try {
                checkStep(d, before!, outcome)
              } catch (err) {
                const what = outcome.kind === 'rejected' ? outcome.code : outcome.kind
                throw new Error(`after op ${i} (${what}) ${describeOp(op)}`, { cause: err })
              }
            }
            // Each batch is exactly the transition's change: store and memory agree after it.
            const last = d.transitions.length - 1
            if (outcome === null || outcome.kind === 'applied') {
              await mirror.write(d.transitions[last]!.ops)
              expect(await storeImage(mirror)).toEqual(d.storeImage())
            }
            before = snapshot(d)
          },
        })

        // Determinism: the same sequence on a fresh ledger gives the same batches and state.
        const again = await runScenario(scenario)
        const batches = (d: LedgerDriver) => d.transitions.map((t) => plain(t))
        expect(batches(again)).toEqual(batches(driver))
        expect(plain(again.ledger.summary())).toEqual(plain(driver.ledger.summary()))

        // Reopening from the batches rebuilds the identical state.
        const reopened = await Ledger.open(mirror, driver.options)
        expect(dumpLedger(reopened, driver.finalTxids())).toEqual(driver.dump())
        expect(plain(reopened.utxos.rescan())).toEqual(plain(reopened.summary()))

        // Without the persisted accumulator, opening recomputes the very same commitment.
        const stripped = new MemoryStore()
        for await (const [k, v] of mirror.iterate()) {
          if (!equalBytes(k, UTXO_COMMITMENT_KEY)) await stripped.put(k, v)
        }
        const recomputed = await Ledger.open(stripped, driver.options)
        expect(recomputed.utxos.commitmentState()).toEqual(reopened.utxos.commitmentState())
        expect(plain(recomputed.summary())).toEqual(plain(reopened.summary()))
      }),
      // A failure prints its seed and path: pass both here to replay it. Shrinking replays whole
      // sequences, so it is capped in time (what is shrunk by then is reported).
      { numRuns: RUNS, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
    )

    // The generator reaches every kind of outcome (a sequence that only skips proves nothing).
    const seen = (key: string) => (tally.get(key) ?? 0) > 0
    const wanted = [
      'admit:applied',
      'admitConflict:LEDGER_CONFLICT',
      'admitInvalid:TX_SIGNATURE',
      'admitInvalid:LEDGER_FEE_TOO_LOW',
      'admitInvalid:LEDGER_INSUFFICIENT_FUNDS',
      'admitInvalid:LEDGER_INPUT_KEY',
      'admitInvalid:LEDGER_DUST',
      'admitInvalid:LEDGER_MISSING_INPUT',
      'admitInvalid:TX_DUPLICATE_INPUT',
      'admit:MEMPOOL_FULL',
      'readmit:LEDGER_CONFLICT',
      'readmit:MEMPOOL_DUPLICATE',
      'markVoted:applied',
      'markVoted:LEDGER_UNKNOWN_TX',
      'recordVotes:applied',
      'finalize:applied',
      'finalizeConflict:applied',
      'finalizeConflict:LEDGER_DOUBLE_FINALITY',
      'finalizeConflict:LEDGER_MISSING_INPUT',
      'confirm:applied',
      'confirm:LEDGER_DOUBLE_FINALITY',
      'expire:applied',
      'reward:applied',
    ]
    expect(wanted.filter((k) => !seen(k))).toEqual([])
  }, 120_000)
})

// Bugs the model found, pinned as plain examples.
describe('Ledger regressions found by the model', () => {
  const bob = keyPair(1)
  const carol = keyPair(2)
  const dave = keyPair(3)
  const cert = new Uint8Array([0xce])

  it('a bad block changes nothing even when its bad spend is of an output the block creates', () => {
    const { ledger, coins } = genesisLedger(1)
    const parent = spend(coins, [{ to: bob, value: 9n * COIN }])
    ledger.finalize(parent.tx, parent.txid, cert, parent.size, 0)
    const child = spend(coinsOf(parent, [bob]), [{ to: carol, value: 8n * COIN }])
    ledger.finalize(child.tx, child.txid, cert, child.size, 1)
    // A rival spend of parent:0, which child already spent finally, after parent in the block.
    const rival = spend(coinsOf(parent, [bob]), [{ to: dave, value: 8n * COIN }])
    const before = dumpLedger(ledger, [parent.txid, child.txid])
    expect(() => ledger.confirmBlock(1, [parent, rival])).toThrow(
      expect.objectContaining({ code: 'LEDGER_DOUBLE_FINALITY' }),
    )
    expect(dumpLedger(ledger, [parent.txid, child.txid])).toEqual(before)
    // Nothing of the refused block may leak into the next batch.
    expect(ledger.expireLocks(0).ops).toEqual([])
  })

  it('re-admits a transaction that expired after votes were seen for it', () => {
    const { ledger, coins } = genesisLedger(2, 10n * COIN, 1)
    const pay = spend([coins[0]!], [{ to: bob, value: 9n * COIN }])
    ledger.admit(pay.tx, pay.txid, pay.size, 0)
    ledger.recordVotes(pay.txid, 2)
    expect(ledger.expireLocks(LOCK_EXPIRY_MS).removed.length).toBe(1)
    // Its input stays SpentPending (votes were seen); a rebroadcast must be admissible again.
    expect(ledger.checkSpend(pay.tx, pay.txid)).toEqual({ status: 'spendable', fee: COIN })
    const t = ledger.admit(pay.tx, pay.txid, pay.size, LOCK_EXPIRY_MS + 1, true)
    expect(ledger.mempool.get(pay.txid)).toMatchObject({ status: 'pending', voted: true })
    expect(ledger.utxos.get(coins[0]!.outpoint)?.state).toMatchObject({
      kind: 'SpentPending',
      votes: 2,
      voted: true,
    })
    expect(t.ops.length).toBe(2) // the input's record (now voted), the mempool record
  })

  it('a rebroadcast of a confirmed transaction is a conflict, not a broken transition', () => {
    const { ledger, coins } = genesisLedger(1)
    const pay = spend(coins, [{ to: bob, value: 10n * COIN - MIN_FEE }])
    ledger.finalize(pay.tx, pay.txid, cert, pay.size, 0)
    ledger.confirmBlock(1, [pay])
    expect(ledger.checkSpend(pay.tx, pay.txid)).toMatchObject({
      status: 'conflict',
      state: 'Confirmed',
    })
    expect(() => ledger.admit(pay.tx, pay.txid, pay.size, 1)).toThrow(
      expect.objectContaining({ code: 'LEDGER_CONFLICT' }),
    )
  })

  it('a block cannot confirm a transaction again at another height', () => {
    const { ledger, coins } = genesisLedger(1)
    const pay = spend(coins, [{ to: bob, value: 9n * COIN }])
    ledger.finalize(pay.tx, pay.txid, cert, pay.size, 0)
    ledger.confirmBlock(1, [pay])
    const before = dumpLedger(ledger, [pay.txid])
    expect(() => ledger.confirmBlock(2, [pay])).toThrow(
      expect.objectContaining({ code: 'LEDGER_TRANSITION' }),
    )
    expect(dumpLedger(ledger, [pay.txid])).toEqual(before)
  })

  it('a certificate conflicting with a confirmed spend is double finality', () => {
    const { ledger, coins } = genesisLedger(1)
    const pay = spend(coins, [{ to: bob, value: 9n * COIN }])
    ledger.finalize(pay.tx, pay.txid, cert, pay.size, 0)
    ledger.confirmBlock(1, [pay])
    const rival = spend(coins, [{ to: carol, value: 9n * COIN }])
    expect(() => ledger.finalize(rival.tx, rival.txid, cert, rival.size, 1)).toThrow(
      expect.objectContaining({ code: 'LEDGER_DOUBLE_FINALITY' }),
    )
  })
})
