/**
 * Typed errors of the storage layer. None is caused by a peer, so none carries a ban-score
 * action: a storage error is local misuse (bad key, closed store) or a local fault (disk, lock).
 */
import { TimeCoinError } from '../errors.ts'

export type StorageErrorCode =
  /** The store was closed (or the browser terminated the database) before the operation. */
  | 'STORE_CLOSED'
  /** The LevelDB directory is held open by another process (or another store in this one). */
  | 'STORE_LOCKED'
  /** The backend could not open the store for another reason; `cause` holds the backend error. */
  | 'STORE_OPEN_FAILED'
  /** The backend failed a read or write; `cause` holds the backend error. */
  | 'STORE_IO'
  /** A key is not a non-empty `Uint8Array`. */
  | 'INVALID_KEY'
  /** A value is not a `Uint8Array`. */
  | 'INVALID_VALUE'
  /** A batch operation is not `{ type: 'put', key, value }` or `{ type: 'del', key }`. */
  | 'INVALID_OP'
  /** An option of a read, write or scan is malformed (e.g. both `gt` and `gte`). */
  | 'INVALID_OPTION'
  /**
   * The store's version record (nodeMeta `dbVersion`) is not `STORE_VERSION`, or is unreadable:
   * this software would misread it. The message gives the version found and the one expected.
   */
  | 'STORE_VERSION_MISMATCH'
  /** The store holds records but no version record: written before versioning, or not ours. */
  | 'STORE_VERSION_MISSING'

export class StorageError extends TimeCoinError<StorageErrorCode> {
  readonly domain = 'storage'
}
