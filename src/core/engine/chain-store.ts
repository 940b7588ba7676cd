/**
 * What the chain keeps in the store (docs/STORAGE.md): the tip, this node's block votes (0x22),
 * committed blocks (0x23), the registry after the tip, the committee proof steps (0x24) and the
 * state of the chain's UTXO set after the tip (whose digest the tip's header carries) — the
 * records a commit writes in one batch, and how a restarted node reads them back.
 */
import * as P from 'micro-packed'
import { type Block, BlockCodec, blockHash } from '../consensus/block.ts'
import { type BlockCertificate, BlockCertificateCodec } from '../consensus/block-certificate.ts'
import type { Committee } from '../consensus/committee.ts'
import { type CommitteeProofStep, CommitteeProofStepCodec } from '../consensus/committee-proof.ts'
import type { Registry, RegistryState } from '../consensus/registry.ts'
import { REGISTRY_KEY, RegistryStateCodec, registryOp } from '../consensus/registry-codec.ts'
import { NIL } from '../consensus/timelock.ts'
import { bytesToHex } from '../encoding/bytes.ts'
import { codec } from '../encoding/codec.ts'
import { bytes32, u32 } from '../encoding/fields.ts'
import { EncodingError } from '../errors.ts'
import { LtHash } from '../ledger/lthash.ts'
import { Bucket, bucketKey } from '../storage/keys.ts'
import { MetaKey } from '../storage/meta-keys.ts'
import type { BatchOp, Store } from '../storage/store.ts'
import { loadSeal, type Seal } from './seal-store.ts'

export interface ChainTip {
  readonly height: number
  readonly hash: Uint8Array
}

export interface StoredBlockVote {
  readonly height: number
  readonly attempt: number
  readonly kind: 'prevote' | 'precommit'
  readonly value: string
}

const TIP_KEY = MetaKey.tip
const CHAIN_UTXOS_KEY = MetaKey.chainLtHash
const tipCoder = P.struct({ height: u32, hash: bytes32 })
const TipCodec = codec('Tip', tipCoder, 36)
const committedCoder = P.struct({
  block: P.prefix(u32, BlockCodec.coder),
  certificate: P.prefix(u32, BlockCertificateCodec.coder),
})
const CommittedCodec = codec(
  'CommittedBlock',
  committedCoder,
  BlockCodec.maxSize + BlockCertificateCodec.maxSize + 8,
)

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, false)
  return b
}

function blockVoteKey(height: number, attempt: number, kind: 'prevote' | 'precommit'): Uint8Array {
  return bucketKey(
    Bucket.blockVote,
    u32be(height),
    u32be(attempt),
    Uint8Array.of(kind === 'prevote' ? 0 : 1),
  )
}

function decodeBlockVote(key: Uint8Array, value: Uint8Array): StoredBlockVote {
  if (key.length !== 10 || key[9]! > 1 || value.length !== 32) {
    throw new EncodingError(
      'INVALID_VALUE',
      `block vote record: ${key.length}-byte key, ${value.length}-byte value`,
    )
  }
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength)
  const isNil = value.every((b) => b === 0)
  return {
    height: view.getUint32(1, false),
    attempt: view.getUint32(5, false),
    kind: key[9] === 0 ? 'prevote' : 'precommit',
    value: isNil ? NIL : bytesToHex(value),
  }
}

function decodeTip(value: Uint8Array): ChainTip {
  return TipCodec.decode(value)
}

/** This node's prevote or precommit, persisted before it is sent (all zeros for nil). */
export function blockVoteOp(
  height: number,
  attempt: number,
  kind: 'prevote' | 'precommit',
  hash: Uint8Array,
): BatchOp {
  return { type: 'put', key: blockVoteKey(height, attempt, kind), value: hash }
}

/** Deletes one of this node's block votes (its height is committed: the vote binds no longer). */
export function blockVoteDeleteOp(
  height: number,
  attempt: number,
  kind: 'prevote' | 'precommit',
): BatchOp {
  return { type: 'del', key: blockVoteKey(height, attempt, kind) }
}

/** Everything a commit writes besides the ledger's own transition: one batch with it. */
export function commitOps(
  block: Block,
  certificate: BlockCertificate,
  registry: Registry,
  changed: boolean,
  utxos: LtHash,
): BatchOp[] {
  const height = block.header.height
  const tip: ChainTip = { height, hash: blockHash(block.header) }
  return [
    committedBlockOp(block, certificate),
    tipOp(tip),
    registryOp(registry.state),
    chainUtxosOp(utxos),
    ...(changed ? [committeeStepOp(block.header, certificate, registry.committee)] : []),
  ]
}

/** The record of a committed block with its certificate (bucket 0x23). */
export function committedBlockOp(block: Block, certificate: BlockCertificate): BatchOp {
  return {
    type: 'put',
    key: bucketKey(Bucket.block, u32be(block.header.height)),
    value: CommittedCodec.encode({ block, certificate }),
  }
}

/** The chain's UTXO-set state after the tip (nodeMeta `chainLtHash`). */
export function chainUtxosOp(utxos: LtHash): BatchOp {
  return { type: 'put', key: CHAIN_UTXOS_KEY, value: utxos.serialize() }
}

/** The tip record (nodeMeta `tip`). */
export function tipOp(tip: ChainTip): BatchOp {
  return { type: 'put', key: TIP_KEY, value: TipCodec.encode(tip) }
}

/**
 * Committed blocks `from` … `from + count − 1` with their certificates, as stored (fewer when the
 * store lacks some: it stops at the first missing height). What a node serves to syncing peers.
 */
export async function loadCommittedBlocks(
  store: Store,
  from: number,
  count: number,
): Promise<{ block: Block; certificate: BlockCertificate }[]> {
  const out: { block: Block; certificate: BlockCertificate }[] = []
  if (count <= 0) return out
  for await (const [key, value] of store.iterate({
    gte: bucketKey(Bucket.block, u32be(from)),
    limit: count,
    prefix: Uint8Array.of(Bucket.block),
  })) {
    const height = new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(1, false)
    if (height !== from + out.length) break
    out.push(CommittedCodec.decode(value))
  }
  return out
}

/** The proof step a committee-changing block begins its epoch with (served to light clients). */
export function committeeStepOp(
  header: Block['header'],
  certificate: BlockCertificate,
  committee: Committee,
): BatchOp {
  return {
    type: 'put',
    key: bucketKey(Bucket.committeeStep, u32be(committee.epoch)),
    value: CommitteeProofStepCodec.encode({ header, certificate, members: committee.members }),
  }
}

/** The committee proof from genesis to this node's current epoch (docs/PROTOCOL.md §18.5). */
export async function loadCommitteeProof(store: Store): Promise<CommitteeProofStep[]> {
  const steps: CommitteeProofStep[] = []
  for await (const [, value] of store.iterate({ prefix: Uint8Array.of(Bucket.committeeStep) }))
    steps.push(CommitteeProofStepCodec.decode(value))
  return steps
}

/** The chain tip, this node's own block votes, the registry and its seal, as persisted. */
export async function loadChainState(
  store: Store,
  genesisHash: Uint8Array,
): Promise<{
  tip: ChainTip
  votes: StoredBlockVote[]
  registry?: RegistryState
  seal?: Seal
  utxos?: LtHash
}> {
  const saved = await store.get(TIP_KEY)
  const tip = saved === undefined ? { height: 0, hash: genesisHash } : decodeTip(saved)
  const votes: StoredBlockVote[] = []
  for await (const [key, value] of store.iterate({
    prefix: Uint8Array.of(Bucket.blockVote, ...u32be(tip.height + 1)),
  })) {
    votes.push(decodeBlockVote(key, value))
  }
  const registry = await store.get(REGISTRY_KEY)
  const seal = await loadSeal(store)
  // A store without it (written before the header carried the commitment) recomputes it on open.
  const state = await store.get(CHAIN_UTXOS_KEY)
  const utxos = state === undefined ? null : LtHash.deserialize(state)
  return {
    tip,
    votes,
    ...(registry === undefined ? {} : { registry: RegistryStateCodec.decode(registry) }),
    ...(seal === undefined ? {} : { seal }),
    ...(utxos === null ? {} : { utxos }),
  }
}
