/**
 * Typed errors of the storage layer. None is caused by a peer, so none carries a ban-score
 * action: a storage error is local misuse (bad key, closed store) or a local fault (disk, lock).
 */
import type { CodesOf } from '../error-codes.ts'
import { TimeCoinError } from '../errors.ts'

export type StorageErrorCode = CodesOf<'storage'>

export class StorageError extends TimeCoinError<StorageErrorCode> {
  readonly domain = 'storage'
}
