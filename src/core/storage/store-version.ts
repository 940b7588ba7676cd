/**
 * The store's layout version: nodeMeta `dbVersion` (meta-keys.ts) holds `STORE_VERSION` as a
 * u32, little-endian like every record value (4 bytes: version 1 is `01 00 00 00`).
 * Invariants: a store this software writes holds the version key from its first durable batch
 * on; a store is read only when its version equals `STORE_VERSION` — a different or missing
 * version is an error that names what was found, never a silent misread; checking never writes
 * to a store it refuses. Bump `STORE_VERSION` whenever a key or a record encoding changes in a
 * way older software would misread (there is no migration: the message says so).
 */

import { bytesToHex } from '../encoding/bytes.ts'
import { codec } from '../encoding/codec.ts'
import { u32 } from '../encoding/fields.ts'
import { StorageError } from './errors.ts'
import { MetaKey } from './meta-keys.ts'
import type { BatchOp, Store } from './store.ts'

/** The store layout this software reads and writes. */
export const STORE_VERSION = 1

/** The version record: `u32` little-endian, exactly 4 bytes. */
export const StoreVersionCodec = codec('StoreVersion', u32, 4)

/** `put dbVersion = STORE_VERSION`: for a creator to write in the same batch as its first records. */
export function storeVersionOp(): BatchOp {
  return { type: 'put', key: MetaKey.dbVersion, value: StoreVersionCodec.encode(STORE_VERSION) }
}

/**
 * Checks (or, on an empty store, writes) the store's layout version before anything reads it.
 * - version present and equal to `STORE_VERSION` → `'checked'`;
 * - present and different (or not a 4-byte u32) → `StorageError('STORE_VERSION_MISMATCH')`;
 * - absent and the store holds no key at all → writes the version durably (`sync: true`) →
 *   `'created'`;
 * - absent and the store holds keys → `StorageError('STORE_VERSION_MISSING')` (a store from
 *   before versioning, or not a TIME Coin store).
 * A refused store is left unchanged. Not atomic against another writer of the same store: call
 * it once, when opening, before anything else writes.
 */
export async function ensureStoreVersion(store: Store): Promise<'created' | 'checked'> {
  const saved = await store.get(MetaKey.dbVersion)
  if (saved !== undefined) {
    const found = saved.length === 4 ? StoreVersionCodec.decode(saved) : undefined
    if (found === STORE_VERSION) return 'checked'
    throw new StorageError('STORE_VERSION_MISMATCH', mismatchMessage(saved, found))
  }
  for await (const _ of store.iterate({ limit: 1 })) {
    throw new StorageError(
      'STORE_VERSION_MISSING',
      'the store holds records but no version record (nodeMeta dbVersion): it was written ' +
        'before store versioning or is not a TIME Coin store. This software reads store ' +
        `version ${STORE_VERSION} only and does not migrate: move this store aside (or point ` +
        'the node at an empty one) and let the node resync',
    )
  }
  await store.write([storeVersionOp()], { sync: true })
  return 'created'
}

function mismatchMessage(saved: Uint8Array, found: number | undefined): string {
  const expects = `this software reads store version ${STORE_VERSION} only and does not migrate`
  if (found === undefined) {
    return (
      `the store's version record (nodeMeta dbVersion) is unreadable: 0x${bytesToHex(saved)} ` +
      `(${saved.length} bytes, not a 4-byte u32). ${expects}: the store is damaged or not a ` +
      'TIME Coin store; move it aside (or point the node at another one) and let the node resync'
    )
  }
  const by = found > STORE_VERSION ? 'newer' : 'older'
  return (
    `the store is version ${found} (written by ${by} software); ${expects}. Run a release ` +
    `that reads store version ${found}, or move this store aside (or point the node at an ` +
    'empty one) and let the node resync'
  )
}
