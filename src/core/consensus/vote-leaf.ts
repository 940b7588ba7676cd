/**
 * The statements a vote batch signs. A leaf is H(0x00 ‖ kind ‖ fields); inner Merkle nodes use
 * the prefix 0x01, so no inner node can ever be presented as a leaf. One leaf kind per statement:
 * a tx Accept can never be counted as a block vote or the other way round.
 */
import * as P from 'micro-packed'
import { sha256 } from '../crypto/sha256.ts'
import { concatBytes } from '../encoding/bytes.ts'
import { codec, fail } from '../encoding/codec.ts'
import { bytes32, u8, u32 } from '../encoding/fields.ts'
import type { Txid } from '../primitives/txid.ts'

export const LEAF_PREFIX = 0x00
export const NODE_PREFIX = 0x01

export type VoteLeaf =
  | { readonly kind: 'txAccept'; readonly txid: Txid }
  /** `conflictingTxid` names the other spender; all zeros when the transaction is invalid. */
  | { readonly kind: 'txReject'; readonly txid: Txid; readonly conflictingTxid: Txid }
  | {
      readonly kind: 'prevote'
      readonly height: number
      readonly attempt: number
      readonly blockHash: Uint8Array
    }
  | {
      readonly kind: 'precommit'
      readonly height: number
      readonly attempt: number
      readonly blockHash: Uint8Array
    }

export const LEAF_KINDS = { txAccept: 0, txReject: 1, prevote: 2, precommit: 3 } as const
const KIND_NAMES = ['txAccept', 'txReject', 'prevote', 'precommit'] as const

/** The invalidity marker in a txReject leaf. */
export const NO_CONFLICT = new Uint8Array(32) as Txid

/** kind u8 ‖ fields: the canonical encoding of a leaf statement (also its wire form). */
export const voteLeafCoder = P.wrap<VoteLeaf>({
  encodeStream(w, leaf) {
    u8.encodeStream(w, LEAF_KINDS[leaf.kind])
    switch (leaf.kind) {
      case 'txAccept':
        bytes32.encodeStream(w, leaf.txid)
        return
      case 'txReject':
        bytes32.encodeStream(w, leaf.txid)
        bytes32.encodeStream(w, leaf.conflictingTxid)
        return
      default:
        u32.encodeStream(w, leaf.height)
        u32.encodeStream(w, leaf.attempt)
        bytes32.encodeStream(w, leaf.blockHash)
    }
  },
  decodeStream(r): VoteLeaf {
    const kind = KIND_NAMES[u8.decodeStream(r)] ?? fail('INVALID_VALUE', 'unknown vote leaf kind')
    switch (kind) {
      case 'txAccept':
        return { kind, txid: bytes32.decodeStream(r) as Txid }
      case 'txReject':
        return {
          kind,
          txid: bytes32.decodeStream(r) as Txid,
          conflictingTxid: bytes32.decodeStream(r) as Txid,
        }
      default:
        return {
          kind,
          height: u32.decodeStream(r),
          attempt: u32.decodeStream(r),
          blockHash: bytes32.decodeStream(r),
        }
    }
  },
})

/** Largest leaf encoding: a txReject (kind, txid, conflicting txid). */
export const MAX_LEAF_SIZE = 1 + 32 + 32

/** A leaf on its own (vote batches embed `voteLeafCoder`). */
export const VoteLeafCodec = codec('VoteLeaf', voteLeafCoder, MAX_LEAF_SIZE)

export function leafHash(leaf: VoteLeaf): Uint8Array {
  return sha256(
    leafPreimage(leaf) ?? concatBytes(Uint8Array.of(LEAF_PREFIX), voteLeafCoder.encode(leaf)),
  )
}

function isU32(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n <= 0xffffffff
}

/**
 * 0x00 ‖ the leaf's encoding, written straight into one buffer (every vote hashes a leaf, so the
 * coder's writer and two copies were a hot allocation). Bytes identical to the coder's; a leaf
 * the coder would refuse (a field of the wrong size) gives null, and the caller lets it throw.
 */
function leafPreimage(leaf: VoteLeaf): Uint8Array | null {
  switch (leaf.kind) {
    case 'txAccept': {
      if (leaf.txid.length !== 32) return null
      const out = new Uint8Array(2 + 32)
      out[1] = LEAF_KINDS.txAccept
      out.set(leaf.txid, 2)
      return out
    }
    case 'txReject': {
      if (leaf.txid.length !== 32 || leaf.conflictingTxid.length !== 32) return null
      const out = new Uint8Array(2 + 64)
      out[1] = LEAF_KINDS.txReject
      out.set(leaf.txid, 2)
      out.set(leaf.conflictingTxid, 34)
      return out
    }
    default: {
      if (leaf.blockHash.length !== 32 || !isU32(leaf.height) || !isU32(leaf.attempt)) return null
      const out = new Uint8Array(2 + 8 + 32)
      const view = new DataView(out.buffer)
      out[1] = LEAF_KINDS[leaf.kind]
      view.setUint32(2, leaf.height, true)
      view.setUint32(6, leaf.attempt, true)
      out.set(leaf.blockHash, 10)
      return out
    }
  }
}
