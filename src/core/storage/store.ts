/**
 * The `Store` port: the one key-value interface the core persists through, implemented by the
 * in-memory, LevelDB and IndexedDB adapters and held to one conformance suite.
 * Invariants every adapter keeps: keys are ordered by unsigned lexicographic byte order (a
 * shorter key before every key it prefixes); a batch applies entirely or not at all; bytes are
 * copied across the boundary, so neither side can change the other's bytes after a call.
 */

/** A key and its value, in the order of `Store.iterate`. */
export type StoreEntry = [key: Uint8Array, value: Uint8Array]

export interface WriteOptions {
  /**
   * `true`: resolve only once the write is durable (survives a crash of the process and of the
   * OS). LevelDB writes with `sync: true`; IndexedDB commits with `durability: 'strict'`; the
   * memory store has no disk, so it ignores this. Default `false`: a crash may lose the write,
   * but never part of it.
   */
  readonly sync?: boolean
}

/**
 * One operation of an atomic batch. Within a batch, later operations on a key win over earlier
 * ones (a put then a del leaves the key absent).
 */
export type BatchOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array }

/**
 * An ordered range scan. `prefix` selects the keys starting with it and combines with the bounds
 * (the scan covers their intersection). At most one lower (`gt`/`gte`) and one upper
 * (`lt`/`lte`) bound. An empty range yields nothing rather than failing.
 */
export interface IterateOptions {
  readonly prefix?: Uint8Array
  readonly gt?: Uint8Array
  readonly gte?: Uint8Array
  readonly lt?: Uint8Array
  readonly lte?: Uint8Array
  /** Descending key order. Default ascending. */
  readonly reverse?: boolean
  /** Yield at most this many entries (a non-negative integer), counted in scan order. */
  readonly limit?: number
}

/**
 * Keys are non-empty `Uint8Array`s (every key starts with its bucket byte, see `keys.ts`);
 * values are `Uint8Array`s, possibly empty. Invalid input is rejected with a `StorageError`
 * before anything is written; every operation after `close()` rejects with `STORE_CLOSED`.
 * Writes that are in flight together are not ordered against each other: await a write before
 * issuing one that must follow it, or put both in one batch.
 */
export interface Store {
  /** The value under `key` (a fresh copy), or `undefined`. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  has(key: Uint8Array): Promise<boolean>
  put(key: Uint8Array, value: Uint8Array, opts?: WriteOptions): Promise<void>
  /** Deleting an absent key is not an error. */
  delete(key: Uint8Array, opts?: WriteOptions): Promise<void>
  /**
   * Entries in key order (descending when `reverse`), fresh copies. Errors, including invalid
   * options and a closed store, reject the first `next()`. The scan is not a snapshot: a write
   * made while it runs may or may not be seen, but keys are yielded strictly in order, each at
   * most once, and a key present and untouched for the whole scan is always yielded.
   */
  iterate(opts?: IterateOptions): AsyncIterable<StoreEntry>
  /** Applies every op or none; later ops on a key win. An empty batch is a no-op. */
  write(ops: readonly BatchOp[], opts?: WriteOptions): Promise<void>
  /**
   * Idempotent. Writes already issued still complete; operations issued afterwards reject, and
   * scans still running fail at their next step.
   */
  close(): Promise<void>
}
