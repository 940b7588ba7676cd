import { describe, expect, it } from 'vitest'
import { type BatchOp, MemoryStore } from '../../src/core/storage/index.ts'
import { storeConformance } from '../storage/conformance.ts'
import { typedRejectionOf } from '../support/error-code.ts'

storeConformance('MemoryStore', async () => {
  const store = new MemoryStore()
  // A memory store's "disk" is its snapshot, which survives close like a directory would.
  return { store, reopen: async () => MemoryStore.fromSnapshot(store.snapshot()) }
})

describe('MemoryStore test hooks', () => {
  const b = (...bytes: number[]) => Uint8Array.from(bytes)

  it('shows every write to onWrite as copies, with its sync flag', async () => {
    const seen: [readonly BatchOp[], boolean][] = []
    const store = new MemoryStore({ onWrite: (ops, { sync }) => void seen.push([ops, sync]) })
    const key = b(1)
    await store.put(key, b(2), { sync: true })
    key[0] = 9
    await store.write([{ type: 'del', key: b(3) }])
    expect(seen).toEqual([
      [[{ type: 'put', key: b(1), value: b(2) }], true],
      [[{ type: 'del', key: b(3) }], false],
    ])
  })

  it('leaves the store unchanged when onWrite throws', async () => {
    let fail = false
    const store = new MemoryStore({
      onWrite: () => {
        if (fail) throw new Error('disk full')
      },
    })
    await store.put(b(1), b(1))
    fail = true
    await expect(
      store.write([
        { type: 'put', key: b(2), value: b(2) },
        { type: 'del', key: b(1) },
      ]),
    ).rejects.toThrow('disk full')
    expect(store.snapshot()).toEqual([[b(1), b(1)]])
  })

  it('restores a snapshot taken after close, independent of the original', async () => {
    const store = new MemoryStore()
    await store.write([
      { type: 'put', key: b(2), value: b(2) },
      { type: 'put', key: b(1), value: b(1) },
    ])
    await store.close()
    const snapshot = store.snapshot()
    const restored = MemoryStore.fromSnapshot(snapshot)
    snapshot[0]![1][0] = 0xee
    expect(restored.size).toBe(2)
    expect(await restored.get(b(1))).toEqual(b(1))
    expect(await typedRejectionOf(store.get(b(1)))).toBe('StorageError:STORE_CLOSED')
  })
})

describe('MemoryStore order across many keys', () => {
  it('keeps every key in order through chunk splits and merges', async () => {
    // A seeded shuffle: thousands of keys inserted out of order split the sorted chunks many
    // times; deleting most of them again merges and empties chunks.
    let seed = 7
    const next = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
      return seed
    }
    const keys = Array.from({ length: 6_000 }, (_, i) =>
      Uint8Array.of(i >>> 8, i & 0xff, next() & 0xff),
    )
    const hexOf = (k: Uint8Array) => Array.from(k, (x) => x.toString(16).padStart(2, '0')).join('')
    const shuffled = [...keys].sort(() => (next() & 1) - 0.5)
    const store = new MemoryStore()
    for (let i = 0; i < shuffled.length; i += 100)
      await store.write(shuffled.slice(i, i + 100).map((key) => ({ type: 'put', key, value: key })))
    const live = new Set(keys.map(hexOf))
    for (const key of shuffled.filter(() => next() % 5 !== 0)) {
      await store.delete(key)
      live.delete(hexOf(key))
    }
    const scanned: string[] = []
    for await (const [key, value] of store.iterate()) {
      expect(value).toEqual(key)
      scanned.push(hexOf(key))
    }
    expect(scanned).toEqual([...live].sort())
    const backwards: string[] = []
    for await (const [key] of store.iterate({ reverse: true })) backwards.push(hexOf(key))
    expect(backwards).toEqual([...live].sort().reverse())
  })
})
