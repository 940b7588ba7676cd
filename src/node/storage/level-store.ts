/**
 * The LevelDB `Store` for Node, over `classic-level`. LevelDB orders keys bytewise (unsigned) and
 * applies a write batch atomically, which is the port's contract as it stands. Invariants: one
 * open `LevelStore` per directory (LevelDB's LOCK file, reported as `STORE_LOCKED`); every
 * backend error leaves as a `StorageError`.
 */
import { mkdir } from 'node:fs/promises'
import { ClassicLevel } from 'classic-level'
import {
  type BatchOp,
  type IterateOptions,
  resolveRange,
  StorageError,
  type Store,
  type StoreEntry,
  type WriteOptions,
} from '../../core/storage/index.ts'
import {
  assertBatch,
  assertIterateOptions,
  assertKey,
  assertValue,
  assertWriteOptions,
} from '../../core/storage/validation.ts'

export interface LevelStoreOptions {
  /** LevelDB block cache in bytes (default 8 MiB). */
  readonly cacheSize?: number
  /** LevelDB write buffer in bytes (default 4 MiB); larger speeds up bulk loads such as sync. */
  readonly writeBufferSize?: number
}

type Db = ClassicLevel<Uint8Array, Uint8Array>

/** Opens (creating it and its parents if missing) the LevelDB store in `dir`. */
export async function openLevelStore(
  dir: string,
  opts: LevelStoreOptions = {},
): Promise<LevelStore> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (cause) {
    throw new StorageError('STORE_OPEN_FAILED', `cannot create store directory ${dir}`, undefined, {
      cause,
    })
  }
  const db: Db = new ClassicLevel<Uint8Array, Uint8Array>(dir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    ...opts,
  })
  try {
    await db.open()
  } catch (cause) {
    if (isLocked(cause)) {
      throw new StorageError(
        'STORE_LOCKED',
        `store directory ${dir} is locked: another process (or another store in this process) ` +
          'holds it open; stop that node or choose another data directory',
        undefined,
        { cause },
      )
    }
    throw new StorageError('STORE_OPEN_FAILED', `cannot open store in ${dir}`, undefined, { cause })
  }
  return new LevelStore(db, dir)
}

export class LevelStore implements Store {
  readonly #db: Db
  readonly #dir: string
  #closed = false

  /** Use `openLevelStore`; this takes an already open database. */
  constructor(db: Db, dir: string) {
    this.#db = db
    this.#dir = dir
  }

  get directory(): string {
    return this.#dir
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#assertOpen()
    assertKey(key)
    const value = await this.#io(this.#db.get(key))
    return value === undefined ? undefined : ownBytes(value)
  }

  async has(key: Uint8Array): Promise<boolean> {
    this.#assertOpen()
    assertKey(key)
    return this.#io(this.#db.has(key))
  }

  // classic-level copies keys and values into native memory during the call, so the caller may
  // reuse its arrays as soon as put/delete/write return their promise.
  async put(key: Uint8Array, value: Uint8Array, opts?: WriteOptions): Promise<void> {
    this.#assertOpen()
    assertKey(key)
    assertValue(value)
    assertWriteOptions(opts)
    await this.#io(this.#db.put(key, value, { sync: opts?.sync === true }))
  }

  async delete(key: Uint8Array, opts?: WriteOptions): Promise<void> {
    this.#assertOpen()
    assertKey(key)
    assertWriteOptions(opts)
    await this.#io(this.#db.del(key, { sync: opts?.sync === true }))
  }

  async write(ops: readonly BatchOp[], opts?: WriteOptions): Promise<void> {
    this.#assertOpen()
    assertBatch(ops)
    assertWriteOptions(opts)
    if (ops.length === 0) return
    // A LevelDB WriteBatch applies in order, so a later op on a key wins.
    const batch = ops.map((op) =>
      op.type === 'put'
        ? { type: 'put' as const, key: op.key, value: op.value }
        : { type: 'del' as const, key: op.key },
    )
    await this.#io(this.#db.batch(batch, { sync: opts?.sync === true }))
  }

  iterate(opts: IterateOptions = {}): AsyncIterable<StoreEntry> {
    return this.#scan(opts)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#db.close()
    } catch (cause) {
      throw new StorageError('STORE_IO', `cannot close store in ${this.#dir}`, undefined, { cause })
    }
  }

  async *#scan(opts: IterateOptions): AsyncGenerator<StoreEntry> {
    this.#assertOpen()
    assertIterateOptions(opts)
    const range = resolveRange(opts)
    if (range === null || opts.limit === 0) return
    const { lower, upper } = range
    const iterator = this.#db.iterator({
      ...(lower === undefined ? {} : lower.open ? { gt: lower.key } : { gte: lower.key }),
      ...(upper === undefined ? {} : upper.open ? { lt: upper.key } : { lte: upper.key }),
      reverse: opts.reverse === true,
      limit: opts.limit ?? -1,
    })
    try {
      for (;;) {
        this.#assertOpen()
        const entry = await this.#io(iterator.next())
        this.#assertOpen()
        if (entry === undefined) return
        yield [ownBytes(entry[0]), ownBytes(entry[1])]
      }
    } finally {
      await iterator.close().catch(() => {})
    }
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new StorageError('STORE_CLOSED', `the store in ${this.#dir} is closed`)
    }
  }

  async #io<T>(pending: Promise<T>): Promise<T> {
    try {
      return await pending
    } catch (cause) {
      if (this.#closed) {
        throw new StorageError('STORE_CLOSED', `the store in ${this.#dir} is closed`, undefined, {
          cause,
        })
      }
      throw new StorageError('STORE_IO', `LevelDB failed in ${this.#dir}`, undefined, { cause })
    }
  }
}

/**
 * A plain `Uint8Array` the caller owns. classic-level returns a fresh Node Buffer per read; when
 * it owns its whole ArrayBuffer it is re-viewed without a copy, otherwise copied.
 */
function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return new Uint8Array(bytes.buffer, 0, bytes.byteLength)
  }
  return new Uint8Array(bytes)
}

/** classic-level reports a held LOCK as `LEVEL_LOCKED`, on the error or on its `cause`. */
function isLocked(err: unknown): boolean {
  for (let e = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === 'LEVEL_LOCKED') return true
  }
  return false
}
