// The UTXO set's own bookkeeping, call by call: the version that tells the ledger a spend check
// is stale, the changes and the commitment state handed to each batch, creating an output twice,
// and loading from a store with or without the saved accumulator.
import { describe, expect, it } from 'vitest'
import {
  type Amount,
  COIN,
  LtHash,
  type OutPoint,
  sha256,
  type Txid,
  type TxOutput,
  type UtxoEntry,
  UtxoSet,
  utf8ToBytes,
} from '../../src/core/index.ts'
import { keyPair, payloadOf } from '../support/ledger-fixture.ts'

const parent = sha256(utf8ToBytes('utxo set parent')) as Txid
const spender = sha256(utf8ToBytes('utxo set spender')) as Txid
const at = (vout: number): OutPoint => ({ txid: parent, vout })
const output = (coins: bigint): TxOutput => ({
  value: (coins * COIN) as Amount,
  address: payloadOf(keyPair(1)),
})
const entry = (vout: number, coins: bigint, state: UtxoEntry['state']): UtxoEntry => ({
  outpoint: at(vout),
  output: output(coins),
  height: 4,
  state,
})

describe('UtxoSet', () => {
  it('counts every change in its version, and nothing else', () => {
    const set = new UtxoSet()
    const seen = [set.version]
    const changed = () => {
      expect(set.version).toBeGreaterThan(seen.at(-1)!)
      seen.push(set.version)
    }
    set.create(at(0), output(1n), null)
    changed()
    set.setState(at(0), { kind: 'Locked', txid: spender, lockedAt: 5, voted: false })
    changed()
    set.setState(at(0), { kind: 'Unspent' })
    changed()
    set.restoreCommitment(new LtHash())
    changed()
    set.load(entry(1, 2n, { kind: 'Unspent' }))
    changed()
    // Reads and no-ops leave it alone.
    set.get(at(0))
    set.summary()
    set.takeChanges()
    set.takeCommitmentChange()
    set.create(at(1), output(2n), 4)
    expect(set.version).toBe(seen.at(-1))
  })

  it('creates an output once; a second creation only adds the height it lacked', () => {
    const set = new UtxoSet()
    set.create(at(0), output(1n), null)
    expect(set.takeChanges()).toEqual([
      { outpoint: at(0), output: output(1n), height: null, state: { kind: 'Unspent' } },
    ])
    set.create(at(0), output(1n), null)
    expect(set.takeChanges()).toEqual([])
    set.create(at(0), output(1n), 9)
    expect(set.takeChanges()).toEqual([
      { outpoint: at(0), output: output(1n), height: 9, state: { kind: 'Unspent' } },
    ])
    // A height once known stays.
    set.create(at(0), output(1n), 10)
    set.create(at(0), output(1n), null)
    expect(set.takeChanges()).toEqual([])
    expect(set.get(at(0))?.height).toBe(9)
    expect(set.size).toBe(1)
    expect(set.summary().count).toBe(1)
  })

  it('hands over its changes and the accumulator state once each', () => {
    const set = new UtxoSet()
    expect(set.takeChanges()).toEqual([])
    expect(set.commitmentChanged).toBe(false)
    expect(set.takeCommitmentChange()).toBeNull()
    set.create(at(0), output(1n), null)
    set.create(at(1), output(2n), null)
    expect(set.commitmentChanged).toBe(true)
    const out = new Uint8Array(2048)
    const state = set.takeCommitmentChange(out)
    expect(state).toBe(out)
    expect(state).toEqual(set.commitmentState())
    expect(set.commitmentChanged).toBe(false)
    expect(set.takeCommitmentChange()).toBeNull()
    expect(set.takeChanges().map((e) => e.outpoint.vout)).toEqual([0, 1])
    expect(set.takeChanges()).toEqual([])
    // A lock changes an entry but not the live set: no accumulator state to write.
    set.setState(at(0), { kind: 'Locked', txid: spender, lockedAt: 5, voted: true })
    expect(set.takeChanges().length).toBe(1)
    expect(set.takeCommitmentChange()).toBeNull()
    // A final spend leaves the live set.
    set.setState(at(0), { kind: 'SpentFinalized', txid: spender })
    expect(set.takeCommitmentChange()).toEqual(set.commitmentState())
    expect(set.totals()).toEqual({ count: 1, total: 2n * COIN })
  })

  it('loads with the accumulator, or leaves it for the saved state to be restored', () => {
    const stored = [
      entry(0, 1n, { kind: 'Unspent' }),
      entry(1, 2n, { kind: 'SpentFinalized', txid: spender }),
      entry(2, 3n, { kind: 'Locked', txid: spender, lockedAt: 5, voted: true }),
    ]
    const full = new UtxoSet()
    for (const e of stored) full.load(e)
    expect(full.summary().count).toBe(2)
    expect(full.summary().total).toBe(4n * COIN)
    expect(full.rescanMatches()).toBe(true)
    expect(full.takeChanges()).toEqual([]) // loading records no change
    expect(full.commitmentChanged).toBe(false)

    const bare = new UtxoSet()
    for (const e of stored) bare.load(e, false)
    expect(bare.summary().count).toBe(2)
    expect(bare.summary().total).toBe(4n * COIN)
    expect(bare.summary().commitment).toEqual(new UtxoSet().summary().commitment)
    expect(bare.rescanMatches()).toBe(false)
    bare.restoreCommitment(LtHash.deserialize(full.commitmentState())!)
    expect(bare.summary()).toEqual(full.summary())
    expect(bare.rescanMatches()).toBe(true)
    expect(bare.rescan()).toEqual(full.summary())

    // Loaded over a live entry as spent, without the accumulator: left alone as well.
    const replaced = new UtxoSet()
    replaced.load(entry(0, 1n, { kind: 'Unspent' }))
    const before = replaced.summary().commitment
    replaced.load(entry(0, 1n, { kind: 'SpentFinalized', txid: spender }), false)
    expect(replaced.summary().commitment).toEqual(before)
    expect(replaced.totals()).toEqual({ count: 0, total: 0n })
  })
  it('prunes the outputs whose spend a block at or below a height confirmed, recording no change', () => {
    const set = new UtxoSet()
    for (const vout of [0, 1, 2, 3]) set.create(at(vout), output(BigInt(vout + 1)), 1)
    set.setState(at(0), { kind: 'Confirmed', txid: spender, height: 5 })
    set.setState(at(1), { kind: 'Confirmed', txid: spender, height: 7 })
    set.setState(at(2), { kind: 'SpentFinalized', txid: spender })
    set.takeChanges()
    set.takeMoved()
    set.takeCommitmentChange()
    const live = set.summary()
    expect(set.spent).toBe(3)
    // Nothing confirmed at or below 4; a confirmed change not yet taken is not reported once pruned.
    const version = set.version
    expect(set.pruneConfirmed(4)).toEqual([])
    expect(set.version).toBe(version)
    set.setState(at(2), { kind: 'Confirmed', txid: spender, height: 6 })
    const unpruned = set.version
    expect(set.pruneConfirmed(6)).toEqual([at(0), at(2)])
    expect(set.version).toBeGreaterThan(unpruned)
    expect(set.takeChanges()).toEqual([])
    expect(set.takeMoved()).toEqual([])
    expect(set.get(at(0))).toBeUndefined()
    expect(set.get(at(2))).toBeUndefined()
    expect(set.get(at(1))?.state.kind).toBe('Confirmed')
    expect([set.size, set.spent]).toEqual([2, 1])
    // Spent outputs are not live: count, total and commitment stay as they were.
    expect(set.summary()).toEqual(live)
    expect(set.commitmentChanged).toBe(false)
    expect(set.pruneConfirmed(6)).toEqual([])
    expect(set.pruneConfirmed(100)).toEqual([at(1)])
    expect([set.size, set.spent]).toEqual([1, 0])
    expect(set.rescanMatches()).toBe(true)
  })
})
