// A UTXO snapshot install that a crash stops (src/core/sync/snapshot-store.ts, docs/STORAGE.md
// "A snapshot being installed"): each chunk's records go in with the marker of how far the install
// got, in one batch; a store copied after any chunk (a crash: what the disk held) is refused by the
// engine's version check — never read as a UTXO set — and resumed from its marker, the resumed
// assembly reaching the very state of an uninterrupted one; the switch-over batch deletes the
// marker; a discard a crash stopped is discarded again, never resumed; a marker that does not
// decode is discarded; a node's store is never touched.
import { describe, expect, it } from 'vitest'
import { sha256 } from '../../src/core/crypto/sha256.ts'
import { chainUtxoState } from '../../src/core/ledger/chain-utxos.ts'
import type { Amount } from '../../src/core/primitives/amount.ts'
import { compareOutPoints } from '../../src/core/primitives/outpoint.ts'
import type { Txid } from '../../src/core/primitives/txid.ts'
import type { SnapshotRecord } from '../../src/core/protocol/sync-messages.ts'
import { Bucket } from '../../src/core/storage/keys.ts'
import { MemoryStore } from '../../src/core/storage/memory-store.ts'
import { MetaKey } from '../../src/core/storage/meta-keys.ts'
import type { Store } from '../../src/core/storage/store.ts'
import { ensureStoreVersion, storeVersionOp } from '../../src/core/storage/store-version.ts'
import { ChainSnapshot, SnapshotAssembly } from '../../src/core/sync/snapshot.ts'
import {
  decodeSnapshotStage,
  encodeSnapshotStage,
  openSnapshotStage,
  snapshotChunkOps,
} from '../../src/core/sync/snapshot-store.ts'

const CHUNK = 4
const HEIGHT = 12
const records: SnapshotRecord[] = Array.from({ length: 14 }, (_, i) => ({
  outpoint: { txid: sha256(Uint8Array.of(7, i)) as Txid, vout: i % 3 },
  output: { value: BigInt(5_000 + i) as Amount, address: new Uint8Array(20).fill(i) as never },
  height: i % HEIGHT,
})).sort((a, b) => compareOutPoints(a.outpoint, b.outpoint))
const served = new ChainSnapshot(HEIGHT, new Uint8Array(32), records, CHUNK)

const chunk = (index: number) => ({
  height: HEIGHT,
  index,
  total: served.total,
  records: served.chunk(index)!,
})

async function count(store: Store, bucket: number): Promise<number> {
  let n = 0
  for await (const _ of store.iterate({ prefix: Uint8Array.of(bucket) })) n++
  return n
}

/** Stores chunks `from` … `to − 1` as the sync service does: records and marker in one batch. */
async function storeChunks(store: Store, a: SnapshotAssembly, from: number, to: number) {
  for (let i = from; i < to; i++) {
    const accepted = a.accept('peer', chunk(i))
    await store.write(snapshotChunkOps(accepted, a.staged))
  }
}

describe('a snapshot install stopped by a crash', () => {
  it('is refused by the engine, then resumed from its marker to the state of an uninterrupted one', async () => {
    expect(served.total).toBe(4)
    const whole = chainUtxoState(records)
    for (let crashAfter = 1; crashAfter < served.total; crashAfter++) {
      const store = new MemoryStore()
      const a = new SnapshotAssembly(HEIGHT, CHUNK)
      await storeChunks(store, a, 0, crashAfter)
      // The crash: only what the store held survives.
      const disk = MemoryStore.fromSnapshot(store.snapshot())
      await expect(ensureStoreVersion(disk)).rejects.toMatchObject({
        code: 'STORE_VERSION_MISSING',
      })
      const stage = await openSnapshotStage(disk, { resume: true })
      if (stage.kind !== 'staged') throw new Error(`expected a staged install, got ${stage.kind}`)
      expect(stage.progress).toMatchObject({
        height: HEIGHT,
        total: served.total,
        next: crashAfter,
        count: crashAfter * CHUNK,
      })
      expect(await count(disk, Bucket.utxo)).toBe(crashAfter * CHUNK)
      const resumed = SnapshotAssembly.resume(stage.progress, CHUNK)
      // Only the next chunk fits: one already stored is refused, as is one from another height.
      expect(() => resumed.accept('peer', chunk(crashAfter - 1))).toThrow(/asked for/)
      expect(() => resumed.accept('peer', { ...chunk(crashAfter), height: HEIGHT + 1 })).toThrow()
      await storeChunks(disk, resumed, crashAfter, served.total)
      expect(resumed.complete).toBe(true)
      expect(resumed.count).toBe(records.length)
      expect(resumed.state.equals(whole)).toBe(true)
      expect(await count(disk, Bucket.utxo)).toBe(records.length)
    }
  })

  it('a resumed assembly keeps the outpoint order of the records before the crash', async () => {
    const store = new MemoryStore()
    const a = new SnapshotAssembly(HEIGHT, CHUNK)
    await storeChunks(store, a, 0, 2)
    const stage = await openSnapshotStage(MemoryStore.fromSnapshot(store.snapshot()), {
      resume: true,
    })
    if (stage.kind !== 'staged') throw new Error('expected a staged install')
    const resumed = SnapshotAssembly.resume(stage.progress, CHUNK)
    // Chunk 2 with its records replaced by earlier ones: out of order across the crash.
    expect(() => resumed.accept('peer', { ...chunk(2), records: served.chunk(0)! })).toThrow(
      /order/,
    )
  })

  it('without resume, or with a marker that does not decode, is discarded to an empty store', async () => {
    const store = new MemoryStore()
    await storeChunks(store, new SnapshotAssembly(HEIGHT, CHUNK), 0, 2)
    const image = store.snapshot()
    const notResumed = MemoryStore.fromSnapshot(image)
    expect(await openSnapshotStage(notResumed, { resume: false })).toEqual({ kind: 'empty' })
    expect(notResumed.snapshot()).toEqual([])
    const garbled = MemoryStore.fromSnapshot(image)
    await garbled.write([{ type: 'put', key: MetaKey.snapshotStage, value: Uint8Array.of(0, 1) }])
    expect(await openSnapshotStage(garbled, { resume: true })).toEqual({ kind: 'empty' })
    expect(garbled.snapshot()).toEqual([])
  })

  it('a discard a crash stopped is discarded again, never resumed', async () => {
    const store = new MemoryStore()
    await storeChunks(store, new SnapshotAssembly(HEIGHT, CHUNK), 0, 3)
    // The discard's first write (the marker says discarding), then part of its deletions.
    await store.write([{ type: 'put', key: MetaKey.snapshotStage, value: Uint8Array.of(1) }])
    const some: { type: 'del'; key: Uint8Array }[] = []
    for await (const [key] of store.iterate({ prefix: Uint8Array.of(Bucket.utxo), limit: 5 }))
      some.push({ type: 'del', key })
    await store.write(some)
    const disk = MemoryStore.fromSnapshot(store.snapshot())
    expect(await count(disk, Bucket.utxo)).toBe(3 * CHUNK - 5)
    expect(await openSnapshotStage(disk, { resume: true })).toEqual({ kind: 'empty' })
    expect(disk.snapshot()).toEqual([])
  })

  it("leaves a node's store, and a store it did not write, untouched", async () => {
    const node = new MemoryStore()
    await node.write([storeVersionOp(), ...snapshotChunkOps(records.slice(0, 2), stagedOf(2))])
    const before = node.snapshot()
    expect(await openSnapshotStage(node, { resume: true })).toEqual({ kind: 'other' })
    expect(node.snapshot()).toEqual(before)
    const foreign = new MemoryStore()
    await foreign.write([
      { type: 'put', key: Uint8Array.of(Bucket.utxo, 1), value: Uint8Array.of(1) },
    ])
    expect(await openSnapshotStage(foreign, { resume: true })).toEqual({ kind: 'other' })
    expect(await count(foreign, Bucket.utxo)).toBe(1)
    expect(await openSnapshotStage(new MemoryStore(), { resume: true })).toEqual({ kind: 'empty' })
  })
})

function stagedOf(n: number) {
  const a = new SnapshotAssembly(HEIGHT, CHUNK)
  a.accept('peer', chunk(0))
  return { ...a.staged, count: n }
}

describe('the snapshotStage marker', () => {
  it('round-trips, and refuses what it did not write', () => {
    const a = new SnapshotAssembly(HEIGHT, CHUNK)
    a.accept('peer', chunk(0))
    a.accept('peer', chunk(1))
    const bytes = encodeSnapshotStage(a.staged)
    expect(bytes.length).toBe(2101)
    const back = decodeSnapshotStage(bytes)!
    expect(back).toMatchObject({ height: HEIGHT, total: 4, next: 2, count: 8 })
    expect(back.last).toEqual(records[7]!.outpoint)
    expect(back.state.equals(a.state)).toBe(true)
    expect(decodeSnapshotStage(Uint8Array.of(1))).toBeUndefined()
    expect(decodeSnapshotStage(bytes.subarray(0, 2100))).toBeUndefined()
    const next0 = bytes.slice()
    next0.set([0, 0, 0, 0], 9)
    expect(decodeSnapshotStage(next0)).toBeUndefined()
    const pastTotal = bytes.slice()
    pastTotal.set([5, 0, 0, 0], 9)
    expect(decodeSnapshotStage(pastTotal)).toBeUndefined()
  })
})
