/**
 * The layout of bucket `nodeMeta` (0x21): every sub-key this node stores there, in one place,
 * with its record and the module that writes it (the same table is in docs/STORAGE.md, "Node
 * metadata keys"). Every module that reads or writes a nodeMeta record takes its key from
 * `MetaKey`; none builds a nodeMeta key itself.
 * Invariants: a key is `0x21 ‖ ascii name`; names are distinct, ASCII letters only, and none is
 * a prefix of another (so no nodeMeta key is a prefix of another key); a name, once shipped, is
 * never reused for another record — a new record gets a new name, and a changed encoding of a
 * record bumps `STORE_VERSION` (store-version.ts).
 */
import { Bucket, bucketKey } from './keys.ts'

export interface NodeMetaEntry {
  /** The ASCII name after the bucket byte. */
  readonly name: string
  /** What the value holds (canonical little-endian encoding, docs/STORAGE.md). */
  readonly record: string
  /** The module that builds the record. */
  readonly writtenBy: string
}

/** Every nodeMeta sub-key, its record and its writer. */
export const NodeMeta = {
  dbVersion: {
    name: 'dbVersion',
    record: "u32: the store layout version, STORE_VERSION; in the store's first durable write",
    writtenBy: 'src/core/storage/store-version.ts',
  },
  lastSeq: {
    name: 'lastSeq',
    record: 'u64: the highest vote-batch sequence used',
    writtenBy: 'src/core/engine/decision-store.ts',
  },
  tip: {
    name: 'tip',
    record: 'height u32 ‖ blockHash (32) of the last committed block; in every commit batch',
    writtenBy: 'src/core/engine/chain-store.ts',
  },
  seal: {
    name: 'seal',
    record:
      "this node's last seal, epoch u32 ‖ height u32 ‖ u16 count ‖ txid (32)…; " +
      'written with sync before its lock report is sent',
    writtenBy: 'src/core/engine/seal-store.ts',
  },
  registry: {
    name: 'registry',
    record: 'the masternode registry after the tip (registry record); in every commit batch',
    writtenBy: 'src/core/consensus/registry-codec.ts',
  },
  // Retired, never to be reused: utxoMuHash (the MuHash3072 accumulator that utxoLtHash replaced;
  // a store that still has it recomputes the commitment once on open).
  utxoLtHash: {
    name: 'utxoLtHash',
    record:
      'the UTXO commitment accumulator (LtHash16): 1024 lanes, u16 little-endian, 2048 bytes; ' +
      'in every batch that changes the set of live outputs',
    writtenBy: 'src/core/ledger/ledger.ts',
  },
  chainLtHash: {
    name: 'chainLtHash',
    record:
      "the LtHash16 state of the chain's UTXO set after the tip (its digest is the tip header's " +
      'utxoCommitment): 1024 lanes, u16 little-endian, 2048 bytes; in every commit batch',
    writtenBy: 'src/core/engine/chain-store.ts',
  },
  snapshotStage: {
    name: 'snapshotStage',
    record:
      'a snapshot being installed: phase u8 (0 staging: height u32 ‖ total u32 ‖ next u32 ‖ ' +
      'count u32 ‖ last outpoint (36) ‖ LtHash16 state (2048) of the records so far; ' +
      '1 discarding); with each chunk, deleted by the install batch',
    writtenBy: 'src/core/sync/snapshot-store.ts',
  },
} as const satisfies Record<string, NodeMetaEntry>

export type MetaKeyName = keyof typeof NodeMeta

const ascii = new TextEncoder()

/** The built store keys, `0x21 ‖ ascii name`, one per entry of `NodeMeta` (e.g. `MetaKey.tip`). */
export const MetaKey: Readonly<Record<MetaKeyName, Uint8Array>> = Object.freeze(
  Object.fromEntries(
    Object.entries(NodeMeta).map(([id, { name }]) => [
      id,
      bucketKey(Bucket.nodeMeta, ascii.encode(name)),
    ]),
  ) as Record<MetaKeyName, Uint8Array>,
)
