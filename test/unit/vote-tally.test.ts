// The vote tally on its own: which batches count, how weight adds up per transaction, when a
// certificate is ready and what it holds. The engine tests reach it only through whole clusters.
import { describe, expect, it } from 'vitest'
import {
  bytesToHex,
  certificateEntry,
  type Txid,
  type VoteBatch,
  type VoteLeaf,
  VoteTally,
} from '../../src/core/index.ts'
import { txidKey } from '../../src/core/ledger/map-keys.ts'
import { batchBy, committeeOf, txidOf, voterKey } from '../support/consensus-fixture.ts'

const pay = txidOf('tally payment')
const other = txidOf('tally other payment')
const conflict = txidOf('tally conflicting payment')
// Weights 10, 20, 30, 40: W = 100, threshold 67.
const committee = committeeOf(5, [10, 20, 30, 40])
const accept = (txid = pay): VoteLeaf => ({ kind: 'txAccept', txid })
const reject = (txid = pay): VoteLeaf => ({ kind: 'txReject', txid, conflictingTxid: conflict })
const hex = (i: number) => bytesToHex(voterKey(i).publicKey)

/** What `add` reports: each accepted txid with its map key, and the rejected ones. */
const update = (accepted: readonly Txid[], rejected: readonly Txid[]) => ({
  accepted,
  acceptedKeys: accepted.map(txidKey),
  rejected,
})

/** The same signed batch under another seq (the tally checks no signature: the caller did). */
const withSeq = (batch: VoteBatch, seq: number): VoteBatch => ({
  ...batch,
  header: { ...batch.header, seq },
})

describe('VoteTally', () => {
  it('counts each member`s Accepts and Rejects by weight, per transaction', () => {
    const tally = new VoteTally(committee)
    expect(tally.acceptWeight(pay)).toBe(0)
    expect(tally.rejectWeight(pay)).toBe(0)
    expect(tally.votersOf(pay)).toEqual(new Set())

    expect(tally.add(batchBy(1, 5, [accept(), reject(other)]))).toEqual(update([pay], [other]))
    expect(tally.add(batchBy(3, 5, [reject(), accept(other)]))).toEqual(update([other], [pay]))
    expect(tally.add(batchBy(2, 5, [accept(), accept()]))).toEqual(update([pay], []))
    expect(tally.acceptWeight(pay)).toBe(20 + 30)
    expect(tally.rejectWeight(pay)).toBe(40)
    expect(tally.acceptWeight(other)).toBe(40)
    expect(tally.rejectWeight(other)).toBe(20)
    expect(tally.votersOf(pay)).toEqual(new Set([hex(1), hex(2), hex(3)]))
    expect(tally.votersOf(other)).toEqual(new Set([hex(1), hex(3)]))
    expect(tally.votersOf(txidOf('never voted on'))).toEqual(new Set())
  })

  it('ignores batches of another epoch and from non-members', () => {
    const tally = new VoteTally(committee)
    expect(tally.add(batchBy(3, 4, [accept()]))).toBeNull()
    expect(tally.add(batchBy(3, 6, [accept()]))).toBeNull()
    expect(tally.add(batchBy(9, 5, [accept(), reject(other)]))).toBeNull()
    expect(tally.acceptWeight(pay)).toBe(0)
    expect(tally.rejectWeight(other)).toBe(0)
    expect(tally.votersOf(pay).size).toBe(0)
    // The ignored batches left no trace: the same voter's batch of this epoch counts in full.
    expect(tally.add(batchBy(3, 5, [accept()]))).toEqual(update([pay], []))
  })

  it('skips a batch seen before, and a voter`s second vote on a transaction adds nothing', () => {
    const tally = new VoteTally(committee)
    const first = batchBy(3, 5, [accept(), reject(other)], 7)
    expect(tally.add(first)).not.toBeNull()
    expect(tally.add(first)).toBeNull()
    expect(tally.add(withSeq(first, 7))).toBeNull()
    // Another seq from the same voter is a new batch, but its votes were counted already.
    expect(tally.add(batchBy(3, 5, [accept(), reject(other)], 8))).toEqual(update([], []))
    // Accepts and Rejects are counted apart: an equivocating voter shows in both weights.
    expect(tally.add(batchBy(3, 5, [reject(), accept(other)], 9))).toEqual(update([other], [pay]))
    expect(tally.acceptWeight(pay)).toBe(40)
    expect(tally.rejectWeight(other)).toBe(40)
    // Another voter with the same seq is not a duplicate.
    expect(tally.add(batchBy(2, 5, [accept()], 7))).toEqual(update([pay], []))
    expect(tally.acceptWeight(pay)).toBe(70)
  })

  it('remembers the last 4096 seqs of a voter, and forgets older ones', () => {
    const tally = new VoteTally(committee)
    const base = batchBy(0, 5, [accept()], 1)
    expect(tally.add(base)).toEqual(update([pay], []))
    for (let seq = 2; seq <= 4096; seq++) tally.add(withSeq(base, seq))
    // 4096 seqs remembered: the first is still a duplicate.
    expect(tally.add(withSeq(base, 1))).toBeNull()
    expect(tally.add(withSeq(base, 4096))).toBeNull()
    tally.add(withSeq(base, 4097))
    // The oldest is forgotten: counted again as a batch, though its vote adds nothing.
    expect(tally.add(withSeq(base, 1))).toEqual(update([], []))
    expect(tally.add(withSeq(base, 4097))).toBeNull()
    expect(tally.acceptWeight(pay)).toBe(10)
  })

  it('a certificate once the Accept weight reaches the quorum, holding one entry per voter', () => {
    const tally = new VoteTally(committee)
    expect(tally.certificate(pay)).toBeNull()
    const b3 = batchBy(3, 5, [accept(other), accept()])
    const b1 = batchBy(1, 5, [accept()])
    tally.add(b3)
    tally.add(b1)
    expect(tally.acceptWeight(pay)).toBe(60)
    expect(tally.certificate(pay)).toBeNull() // 60 < 67
    // Rejects never help an Accept quorum.
    tally.add(batchBy(2, 5, [reject()]))
    expect(tally.certificate(pay)).toBeNull()
    const b0 = batchBy(0, 5, [reject(other), accept()])
    tally.add(b0)
    expect(tally.acceptWeight(pay)).toBe(70)
    expect(tally.certificate(pay)).toEqual({
      txid: pay,
      epoch: 5,
      entries: [certificateEntry(b3, 1), certificateEntry(b1, 0), certificateEntry(b0, 1)],
    })
    // Exactly at the threshold is a quorum.
    const exact = new VoteTally(committeeOf(5, [33, 34, 33])) // W = 100, threshold 67
    exact.add(batchBy(0, 5, [accept()]))
    exact.add(batchBy(1, 5, [accept()]))
    expect(exact.certificate(pay)?.entries.length).toBe(2)
  })

  it('forgets a transaction`s votes, and only that transaction`s', () => {
    const tally = new VoteTally(committee)
    tally.add(batchBy(3, 5, [accept(), accept(other)]))
    tally.add(batchBy(2, 5, [accept(), reject(other)]))
    tally.forget(pay)
    expect(tally.acceptWeight(pay)).toBe(0)
    expect(tally.votersOf(pay).size).toBe(0)
    expect(tally.certificate(pay)).toBeNull()
    expect(tally.acceptWeight(other)).toBe(40)
    expect(tally.rejectWeight(other)).toBe(30)
  })
})
