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
