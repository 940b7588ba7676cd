/**
 * The IndexedDB `Store` for browsers, over `idb`: one database holding one object store, binary
 * keys (IndexedDB orders them by unsigned bytes, shorter first, which is the port's order).
 * Invariants: every write is one readwrite transaction (atomic); a scan reads in chunks, each in
 * its own short transaction, because a transaction cannot stay open while the caller awaits.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb'
import {
  type BatchOp,
  type IterateOptions,
  type KeyRange,
  resolveRange,
  StorageError,
  type Store,
  type StoreEntry,
  type WriteOptions,
} from '../../core/storage/index.ts'
import { keyRange } from '../../core/storage/key-range.ts'
import {
  assertBatch,
  assertIterateOptions,
  assertKey,
  assertValue,
  assertWriteOptions,
} from '../../core/storage/validation.ts'

const OBJECT_STORE = 'kv'
const VERSION = 1
/** Entries read per scan transaction. */
const SCAN_CHUNK = 256

interface KvSchema extends DBSchema {
  kv: { key: BufferSource; value: Uint8Array }
}

type Db = IDBPDatabase<KvSchema>

/**
 * Opens (creating it if missing) the IndexedDB database `name`. The store closes itself when
 * another page deletes or upgrades the database, or the browser terminates the connection; its
 * operations then reject with `STORE_CLOSED`.
 */
export async function openIdbStore(name: string): Promise<IdbStore> {
  let store: IdbStore | undefined
  let db: Db
  try {
    db = await openDB<KvSchema>(name, VERSION, {
      upgrade(upgrading) {
        if (!upgrading.objectStoreNames.contains(OBJECT_STORE)) {
          upgrading.createObjectStore(OBJECT_STORE)
        }
      },
      blocking() {
        void store?.close()
      },
      terminated() {
        void store?.close()
      },
    })
  } catch (cause) {
    throw new StorageError(
      'STORE_OPEN_FAILED',
      `cannot open IndexedDB database ${name}`,
      undefined,
      {
        cause,
      },
    )
  }
  store = new IdbStore(db, name)
  return store
}

export class IdbStore implements Store {
  readonly #db: Db
  readonly #name: string
  #closed = false

  /** Use `openIdbStore`; this takes an already open database. */
  constructor(db: Db, name: string) {
    this.#db = db
    this.#name = name
  }

  get name(): string {
    return this.#name
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#assertOpen()
    assertKey(key)
    // Each read deserializes a fresh Uint8Array: the caller owns it.
    return this.#io(() => this.#db.get(OBJECT_STORE, idbKey(key)))
  }

  async has(key: Uint8Array): Promise<boolean> {
    this.#assertOpen()
    assertKey(key)
    return (await this.#io(() => this.#db.count(OBJECT_STORE, idbKey(key)))) > 0
  }

  async put(key: Uint8Array, value: Uint8Array, opts?: WriteOptions): Promise<void> {
    this.#assertOpen()
    assertKey(key)
    assertValue(value)
    assertWriteOptions(opts)
    await this.#write([{ type: 'put', key, value }], opts)
  }

  async delete(key: Uint8Array, opts?: WriteOptions): Promise<void> {
    this.#assertOpen()
    assertKey(key)
    assertWriteOptions(opts)
    await this.#write([{ type: 'del', key }], opts)
  }

  async write(ops: readonly BatchOp[], opts?: WriteOptions): Promise<void> {
    this.#assertOpen()
    assertBatch(ops)
    assertWriteOptions(opts)
    if (ops.length > 0) await this.#write(ops, opts)
  }

  iterate(opts: IterateOptions = {}): AsyncIterable<StoreEntry> {
    return this.#scan(opts)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // IndexedDB lets transactions already created finish before the connection closes.
    this.#db.close()
  }

  /**
   * One transaction, requests issued synchronously (so IndexedDB copies the bytes during the
   * caller's call) and in order (so a later op on a key wins).
   */
  #write(ops: readonly BatchOp[], opts: WriteOptions | undefined): Promise<void> {
    return this.#io(async () => {
      const durability = opts?.sync === true ? 'strict' : 'relaxed'
      const tx = this.#db.transaction(OBJECT_STORE, 'readwrite', { durability })
      const requests: Promise<unknown>[] = ops.map((op) =>
        op.type === 'put'
          ? tx.store.put(compact(op.value), idbKey(op.key))
          : tx.store.delete(idbKey(op.key)),
      )
      // A failed request aborts the transaction; awaiting all of them leaves none unhandled.
      await Promise.all([...requests, tx.done])
    })
  }

  async *#scan(opts: IterateOptions): AsyncGenerator<StoreEntry> {
    this.#assertOpen()
    assertIterateOptions(opts)
    const reverse = opts.reverse === true
    let range = resolveRange(opts)
    let remaining = opts.limit ?? Number.POSITIVE_INFINITY
    while (range !== null && remaining > 0) {
      this.#assertOpen()
      const want = Math.min(SCAN_CHUNK, remaining)
      const chunkRange = range
      const chunk = await this.#io(() => this.#readChunk(chunkRange, reverse, want))
      const lastKey = chunk.at(-1)?.[0].slice()
      for (const entry of chunk) {
        this.#assertOpen()
        yield entry
      }
      remaining -= chunk.length
      if (lastKey === undefined || chunk.length < want) return
      const after = { key: lastKey, open: true }
      range = reverse ? keyRange(range.lower, after) : keyRange(after, range.upper)
    }
  }

  async #readChunk(range: KeyRange, reverse: boolean, want: number): Promise<StoreEntry[]> {
    const tx = this.#db.transaction(OBJECT_STORE, 'readonly')
    const entries: StoreEntry[] = []
    let cursor = await tx.store.openCursor(idbRange(range), reverse ? 'prev' : 'next')
    while (cursor !== null) {
      entries.push([keyBytes(cursor.key), cursor.value])
      if (entries.length >= want) break
      cursor = await cursor.continue()
    }
    await tx.done
    return entries
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new StorageError('STORE_CLOSED', `the IndexedDB store ${this.#name} is closed`)
    }
  }

  async #io<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (cause) {
      if (cause instanceof StorageError) throw cause
      if (this.#closed) {
        throw new StorageError(
          'STORE_CLOSED',
          `the IndexedDB store ${this.#name} is closed`,
          undefined,
          {
            cause,
          },
        )
      }
      throw new StorageError('STORE_IO', `IndexedDB failed in ${this.#name}`, undefined, { cause })
    }
  }
}

function idbRange({ lower, upper }: KeyRange): IDBKeyRange | null {
  if (lower !== undefined && upper !== undefined) {
    return IDBKeyRange.bound(lower.key, upper.key, lower.open, upper.open)
  }
  if (lower !== undefined) return IDBKeyRange.lowerBound(lower.key, lower.open)
  if (upper !== undefined) return IDBKeyRange.upperBound(upper.key, upper.open)
  return null
}

/** A key IndexedDB accepts: a view over an ArrayBuffer (IndexedDB copies its bytes). */
function idbKey(key: Uint8Array): Uint8Array<ArrayBuffer> {
  return key.buffer instanceof ArrayBuffer ? (key as Uint8Array<ArrayBuffer>) : key.slice()
}

/** IndexedDB hands binary keys back as ArrayBuffers; anything else was not written by us. */
function keyBytes(key: IDBValidKey): Uint8Array {
  if (key instanceof ArrayBuffer) return new Uint8Array(key)
  if (ArrayBuffer.isView(key))
    return new Uint8Array(key.buffer, key.byteOffset, key.byteLength).slice()
  throw new StorageError('STORE_IO', `IndexedDB store holds a non-binary key (${typeof key})`)
}

/**
 * The value as a Uint8Array over exactly its own bytes: structured cloning a view clones its
 * whole ArrayBuffer, which would store (and hand back) the bytes around a subarray.
 */
function compact(value: Uint8Array): Uint8Array {
  const whole =
    value.buffer instanceof ArrayBuffer &&
    value.byteOffset === 0 &&
    value.byteLength === value.buffer.byteLength
  return whole ? value : value.slice()
}
