/**
 * Public face of the storage layer: the `Store` port, its key layout (buckets, nodeMeta keys), the
 * store version check and the memory adapter.
 */
export { StorageError, type StorageErrorCode } from './errors.ts'
export { type Bound, type KeyRange, prefixUpperBound, resolveRange } from './key-range.ts'
export { Bucket, bucketKey } from './keys.ts'
export { MemoryStore, type MemoryStoreOptions } from './memory-store.ts'
export { MetaKey, type MetaKeyName, NodeMeta, type NodeMetaEntry } from './meta-keys.ts'
export type { BatchOp, IterateOptions, Store, StoreEntry, WriteOptions } from './store.ts'
export {
  ensureStoreVersion,
  STORE_VERSION,
  StoreVersionCodec,
  storeVersionOp,
} from './store-version.ts'
