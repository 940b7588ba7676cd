// The vote pipeline's group commit: a write the engine makes while decisions wait for the
// pipeline's next write carries newer values of the keys it writes, so the queued ops on those keys
// are dropped — the queued write never puts back a value the store has moved past (found by the
// integration test that kills a masternode: a lock written after the block that confirmed the
// spend came back after a restart). Ops of the write in flight are left alone.
import { describe, expect, it } from 'vitest'
import { MAX_BATCH_LEAVES } from '../../src/core/consensus/vote-batch.ts'
import type { VoteLeaf } from '../../src/core/consensus/vote-leaf.ts'
import { VotePipeline } from '../../src/core/engine/vote-pipeline.ts'
import type { BatchOp } from '../../src/core/storage/store.ts'

const put = (k: number, v: number): BatchOp => ({
  type: 'put',
  key: Uint8Array.of(0x10, k),
  value: Uint8Array.of(v),
})
const leaf = (n: number) => ({ kind: 'txAccept', txid: new Uint8Array(32).fill(n) }) as VoteLeaf
const keys = (ops: readonly BatchOp[]) =>
  ops.map((o) => `${o.key[1]}=${o.type === 'put' ? o.value[0] : 'del'}`)

describe('vote pipeline', () => {
  it('drops queued ops a later write supersedes, and keeps the rest', () => {
    let id = 0
    const pipeline = new VotePipeline(0, () => ++id)
    const first = pipeline.enqueue(leaf(1), [put(1, 1)], 0)
    expect(first).not.toBeNull()
    // Queued behind the write in flight: a lock on output 2 and a decision.
    expect(pipeline.enqueue(leaf(2), [put(2, 1), put(9, 1)], 0)).toBeNull()
    // A block confirms output 2 (and touches output 1, whose write is already in flight).
    pipeline.supersede([put(2, 4), put(1, 4)])
    const done = pipeline.persisted(first!.id)!
    expect(keys(first!.ops).slice(0, 1)).toEqual(['1=1'])
    expect(keys(done.next!.ops).slice(0, -1)).toEqual(['9=1'])
    expect(done.ready.leaves).toEqual([leaf(1)])
    expect(pipeline.persisted(done.next!.id)!.ready.leaves).toEqual([leaf(2)])
  })

  it('a delete supersedes a queued ledger put; the leaf’s own records are always written', () => {
    let id = 0
    const pipeline = new VotePipeline(0, () => ++id)
    const first = pipeline.enqueue(leaf(1), [], 0)!
    const decision: BatchOp = { type: 'put', key: Uint8Array.of(0x20, 3), value: Uint8Array.of(1) }
    pipeline.enqueue(leaf(2), [put(3, 1), decision], 0)
    pipeline.supersede([
      { type: 'del', key: Uint8Array.of(0x10, 3) },
      { type: 'del', key: Uint8Array.of(0x20, 3) },
    ])
    const next = pipeline.persisted(first.id)!.next!.ops
    expect(next.slice(0, -1)).toEqual([decision])
  })

  it('tracks queued keys across writes: drops every queued copy, never one already in flight', () => {
    let id = 0
    const pipeline = new VotePipeline(0, () => ++id)
    const first = pipeline.enqueue(leaf(1), [put(5, 1)], 0)!
    pipeline.enqueue(leaf(2), [put(2, 1)], 0)
    pipeline.enqueue(leaf(3), [put(2, 2), put(6, 1)], 0)
    pipeline.supersede([put(2, 9)])
    const second = pipeline.persisted(first.id)!.next!
    expect(keys(second.ops).slice(0, -1)).toEqual(['6=1'])
    // Output 6 is in flight now, output 2 queued again: only the queued one goes.
    pipeline.enqueue(leaf(4), [put(2, 3), put(7, 1)], 0)
    pipeline.supersede([put(6, 9), put(2, 9), put(5, 9)])
    expect(keys(second.ops).slice(0, -1)).toEqual(['6=1'])
    const third = pipeline.persisted(second.id)!.next!
    expect(keys(third.ops).slice(0, -1)).toEqual(['7=1'])
    // Nothing queued: a later write of the same keys has nothing to drop.
    pipeline.supersede([put(7, 9)])
    expect(keys(third.ops).slice(0, -1)).toEqual(['7=1'])
    expect(pipeline.persisted(third.id)!.ready.leaves).toEqual([leaf(4)])
  })

  it('counts the queue left behind when a write takes only the first MAX_BATCH_LEAVES', () => {
    let id = 0
    const pipeline = new VotePipeline(0, () => ++id)
    const first = pipeline.enqueue(leaf(0), [put(0, 1)], 0)!
    // Queued behind it: more leaves than one write takes; the last two write outputs 1 and 2.
    for (let i = 0; i < MAX_BATCH_LEAVES; i++) pipeline.enqueue(leaf(3), [put(3, 1)], 0)
    pipeline.enqueue(leaf(1), [put(1, 1)], 0)
    pipeline.enqueue(leaf(2), [put(2, 1)], 0)
    const second = pipeline.persisted(first.id)!.next!
    expect(second.ops).toHaveLength(MAX_BATCH_LEAVES + 1)
    expect(pipeline.queued).toBe(MAX_BATCH_LEAVES + 2)
    // Output 3 went with the write in flight; output 1 is still queued and is dropped.
    pipeline.supersede([put(1, 9), put(3, 9)])
    expect(keys(second.ops).slice(0, 2)).toEqual(['3=1', '3=1'])
    const third = pipeline.persisted(second.id)!.next!
    expect(keys(third.ops).slice(0, -1)).toEqual(['2=1'])
    // Everything left went out in that write: nothing queued to drop, nothing counted twice.
    pipeline.supersede([put(2, 9)])
    expect(keys(third.ops).slice(0, -1)).toEqual(['2=1'])
    expect(pipeline.persisted(third.id)!.ready.leaves).toEqual([leaf(1), leaf(2)])
  })
  it('keys alike in their first bytes are told apart: only the one written again is dropped', () => {
    let id = 0
    const pipeline = new VotePipeline(0, () => ++id)
    const first = pipeline.enqueue(leaf(0), [put(0, 1)], 0)!
    // Two outputs of one transaction: their keys differ only in the vout at the end.
    const output = (vout: number, v: number): BatchOp => ({
      type: 'put',
      key: Uint8Array.of(0x10, 7, 7, 7, 7, 0, 0, 0, vout),
      value: Uint8Array.of(v),
    })
    pipeline.enqueue(leaf(1), [output(0, 1), output(1, 1)], 0)
    pipeline.supersede([output(1, 9)])
    const next = pipeline.persisted(first.id)!.next!
    expect(next.ops.slice(0, -1).map((o) => [o.key[8], o.type === 'put' && o.value[0]])).toEqual([
      [0, 1],
    ])
  })
})
