import { describe, expect, it } from 'vitest'
import {
  type BatchOp,
  Bucket,
  bucketKey,
  ensureStoreVersion,
  MemoryStore,
  MetaKey,
  NodeMeta,
  STORE_VERSION,
  StorageError,
  type StoreEntry,
  StoreVersionCodec,
  storeVersionOp,
} from '../../src/core/storage/index.ts'

const ascii = (s: string) => new TextEncoder().encode(s)
const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('')

/** A memory store that records every write it is shown, with its sync flag. */
function recordingStore(entries: readonly StoreEntry[] = []) {
  const writes: [readonly BatchOp[], boolean][] = []
  const store = MemoryStore.fromSnapshot(entries, {
    onWrite: (ops, { sync }) => void writes.push([ops, sync]),
  })
  return { store, writes }
}

async function storageError(p: Promise<unknown>): Promise<StorageError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(StorageError)
  return e as StorageError
}

describe('store version', () => {
  it('is a u32 little-endian record under nodeMeta dbVersion', () => {
    expect(STORE_VERSION).toBe(1)
    expect(StoreVersionCodec.encode(1)).toEqual(Uint8Array.of(1, 0, 0, 0))
    expect(StoreVersionCodec.decode(Uint8Array.of(2, 1, 0, 0))).toBe(0x102)
    expect(storeVersionOp()).toEqual({
      type: 'put',
      key: bucketKey(Bucket.nodeMeta, ascii('dbVersion')),
      value: Uint8Array.of(STORE_VERSION, 0, 0, 0),
    })
  })

  it('is created, durably, on an empty store', async () => {
    const { store, writes } = recordingStore()
    expect(await ensureStoreVersion(store)).toBe('created')
    expect(writes).toEqual([[[storeVersionOp()], true]])
    expect(store.snapshot()).toEqual([[MetaKey.dbVersion, StoreVersionCodec.encode(STORE_VERSION)]])
  })

  it('is checked, without a write, when the store is reopened', async () => {
    const first = new MemoryStore()
    await ensureStoreVersion(first)
    await first.put(MetaKey.lastSeq, new Uint8Array(8))
    await first.close()
    const { store, writes } = recordingStore(first.snapshot())
    expect(await ensureStoreVersion(store)).toBe('checked')
    expect(writes).toEqual([])
  })

  it('is checked when written in the creating batch with the first records', async () => {
    const store = new MemoryStore()
    await store.write([
      storeVersionOp(),
      { type: 'put', key: MetaKey.tip, value: new Uint8Array(36) },
    ])
    expect(await ensureStoreVersion(store)).toBe('checked')
  })

  it('refuses another version, saying what it found, what it reads and what to do', async () => {
    for (const found of [0, 2, 0xffff_ffff]) {
      const { store } = recordingStore([[MetaKey.dbVersion, StoreVersionCodec.encode(found)]])
      const e = await storageError(ensureStoreVersion(store))
      expect(e.code).toBe('STORE_VERSION_MISMATCH')
      expect(e.domain).toBe('storage')
      expect(e.message).toContain(`version ${found} (written by ${found > 1 ? 'newer' : 'older'}`)
      expect(e.message).toContain(`reads store version ${STORE_VERSION} only`)
      expect(e.message).toContain('resync')
    }
  })

  it('refuses an unreadable version record', async () => {
    for (const value of [new Uint8Array(0), Uint8Array.of(1, 0, 0), Uint8Array.of(1, 0, 0, 0, 0)]) {
      const { store } = recordingStore([[MetaKey.dbVersion, value]])
      const e = await storageError(ensureStoreVersion(store))
      expect(e.code).toBe('STORE_VERSION_MISMATCH')
      expect(e.message).toContain(`0x${hex(value)} (${value.length} bytes, not a 4-byte u32)`)
      expect(e.message).toContain(`reads store version ${STORE_VERSION} only`)
    }
  })

  it('refuses a store that holds records but no version', async () => {
    for (const key of [Uint8Array.of(0x00), MetaKey.lastSeq, Uint8Array.of(0xff, 0xff)]) {
      const { store } = recordingStore([[key, Uint8Array.of(7)]])
      const e = await storageError(ensureStoreVersion(store))
      expect(e.code).toBe('STORE_VERSION_MISSING')
      expect(e.message).toContain('no version record')
      expect(e.message).toContain(`reads store version ${STORE_VERSION} only`)
      expect(e.message).toContain('resync')
    }
  })

  it('changes nothing in a store it refuses', async () => {
    const refused: [StoreEntry[], string][] = [
      [
        [[MetaKey.dbVersion, StoreVersionCodec.encode(STORE_VERSION + 1)]],
        'STORE_VERSION_MISMATCH',
      ],
      [[[MetaKey.dbVersion, Uint8Array.of(9)]], 'STORE_VERSION_MISMATCH'],
      [
        [
          [MetaKey.lastSeq, new Uint8Array(8)],
          [bucketKey(Bucket.utxo, new Uint8Array(36)), Uint8Array.of(1, 2, 3)],
        ],
        'STORE_VERSION_MISSING',
      ],
    ]
    for (const [entries, code] of refused) {
      const { store, writes } = recordingStore(entries)
      const before = store.snapshot()
      expect((await storageError(ensureStoreVersion(store))).code).toBe(code)
      expect(writes).toEqual([])
      expect(store.snapshot()).toEqual(before)
    }
  })
})

describe('nodeMeta keys', () => {
  const entries = Object.entries(NodeMeta)

  it('are distinct, and no name is a prefix of another', () => {
    const names = entries.map(([, e]) => e.name)
    expect(new Set(names).size).toBe(names.length)
    const keys = Object.values(MetaKey).map(hex)
    expect(keys.length).toBe(names.length)
    expect(new Set(keys).size).toBe(keys.length)
    for (const a of names) {
      for (const b of names) if (a !== b) expect(b.startsWith(a)).toBe(false)
    }
  })

  it('are 0x21 ‖ ascii name, one per entry', () => {
    for (const [id, { name }] of entries) {
      expect(name).toMatch(/^[A-Za-z]+$/)
      expect(MetaKey[id as keyof typeof MetaKey]).toEqual(bucketKey(Bucket.nodeMeta, ascii(name)))
    }
    expect(Object.keys(MetaKey).sort()).toEqual(entries.map(([id]) => id).sort())
  })
})
