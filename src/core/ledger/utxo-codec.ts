/**
 * Store encodings of ledger records. Keys follow docs/STORAGE.md: bucket byte, then big-endian
 * parts so byte order is numeric order. Values use the canonical little-endian field coders.
 * Every function here fails with an EncodingError (never a RangeError of a DataView): a key or
 * record of the wrong size, or a field out of its range, is refused, never wrapped or truncated.
 */
import * as P from 'micro-packed'
import { codec, fail } from '../encoding/codec.ts'
import { bool, bytes20, bytes32, rangedU64, u8, u32, u64Number } from '../encoding/fields.ts'
import { EncodingError } from '../errors.ts'
import { MAX_AMOUNT } from '../primitives/amount.ts'
import type { OutPoint } from '../primitives/outpoint.ts'
import type { TxOutput } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import { Bucket } from '../storage/keys.ts'
import { MetaKey } from '../storage/meta-keys.ts'
import type { UtxoEntry, UtxoState } from './utxo-state.ts'

const NO_HEIGHT = 0xffff_ffff
const STATE_KINDS = ['Unspent', 'Locked', 'SpentPending', 'SpentFinalized', 'Confirmed'] as const
const KIND_CODE: Record<UtxoState['kind'], number> = {
  Unspent: 0,
  Locked: 1,
  SpentPending: 2,
  SpentFinalized: 3,
  Confirmed: 4,
}

const stateCoder = P.wrap<UtxoState>({
  encodeStream(w, s) {
    u8.encodeStream(w, STATE_KINDS.indexOf(s.kind))
    if (s.kind === 'Unspent') return
    bytes32.encodeStream(w, s.txid)
    if (s.kind === 'Locked') {
      u64Number.encodeStream(w, s.lockedAt)
      bool.encodeStream(w, s.voted)
    } else if (s.kind === 'SpentPending') {
      u32.encodeStream(w, s.votes)
      bool.encodeStream(w, s.voted)
    } else if (s.kind === 'Confirmed') {
      u32.encodeStream(w, s.height)
    }
  },
  decodeStream(r): UtxoState {
    const kind = STATE_KINDS[u8.decodeStream(r)]
    if (kind === undefined) fail('INVALID_VALUE', 'unknown UTXO state')
    if (kind === 'Unspent') return { kind }
    const txid = bytes32.decodeStream(r) as Txid
    switch (kind) {
      case 'Locked':
        return {
          kind,
          txid,
          lockedAt: u64Number.decodeStream(r),
          voted: bool.decodeStream(r),
        }
      case 'SpentPending':
        return { kind, txid, votes: u32.decodeStream(r), voted: bool.decodeStream(r) }
      case 'SpentFinalized':
        return { kind, txid }
      case 'Confirmed':
        return { kind, txid, height: u32.decodeStream(r) }
    }
  },
})

const outputCoder = P.struct({
  value: rangedU64(0n, MAX_AMOUNT, 'output value'),
  address: bytes20,
}) as unknown as P.CoderType<TxOutput>

/** A block height, or null (stored as 0xffffffff) for an output that is final but unconfirmed. */
const heightCoder = P.wrap<number | null>({
  encodeStream: (w, h) => {
    if (h === NO_HEIGHT) fail('OUT_OF_RANGE', `height ${h} is the marker of no height`)
    u32.encodeStream(w, h ?? NO_HEIGHT)
  },
  decodeStream: (r) => {
    const h = u32.decodeStream(r)
    return h === NO_HEIGHT ? null : h
  },
})

const entryValueCoder = P.struct({
  output: outputCoder,
  height: heightCoder,
  state: stateCoder,
})

/** Value of a UTXO record (the outpoint is in the key). */
export const UtxoRecordCodec = codec('UtxoRecord', entryValueCoder, 128)

/** `0x21 ‖ "utxoLtHash"` → the UTXO commitment accumulator (LtHash16 state, 2048 bytes), written
 * in every batch that changes the set of live outputs. */
export const UTXO_COMMITMENT_KEY = MetaKey.utxoLtHash

const UTXO_KEY_SIZE = 37

export function utxoKey(outpoint: OutPoint): Uint8Array {
  const { txid, vout } = outpoint
  if (txid.length !== 32 || !isU32(vout))
    throw new EncodingError('OUT_OF_RANGE', `not an outpoint: ${txid.length}-byte txid, ${vout}`)
  const key = new Uint8Array(UTXO_KEY_SIZE)
  key[0] = Bucket.utxo
  key.set(txid, 1)
  // vout big-endian, so that byte order is numeric order.
  key[33] = vout >>> 24
  key[34] = vout >>> 16
  key[35] = vout >>> 8
  key[36] = vout
  return key
}

export function outpointFromUtxoKey(key: Uint8Array): OutPoint {
  if (key.length !== UTXO_KEY_SIZE || key[0] !== Bucket.utxo)
    throw new EncodingError('INVALID_VALUE', `not a UTXO key (${key.length} bytes)`)
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength)
  return { txid: key.slice(1, 33) as Txid, vout: view.getUint32(33, false) }
}

const STATE_SIZE: Record<UtxoState['kind'], number> = {
  Unspent: 1,
  Locked: 1 + 32 + 8 + 1,
  SpentPending: 1 + 32 + 4 + 1,
  SpentFinalized: 1 + 32,
  Confirmed: 1 + 32 + 4,
}

function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff
}

/** Whether the state's own fields fit their coders (the txid is 32 bytes, numbers in range). */
function stateInRange(s: UtxoState): boolean {
  if (s.kind === 'Unspent') return true
  if (s.txid.length !== 32) return false
  if (s.kind === 'Locked') return Number.isSafeInteger(s.lockedAt) && s.lockedAt >= 0
  if (s.kind === 'SpentPending') return isU32(s.votes)
  return s.kind === 'SpentFinalized' || isU32(s.height)
}

/**
 * Bytes of the record `encodeUtxoRecord` writes for `entry`, or -1 when a field is out of range
 * (the codec then encodes it, raising its typed error).
 */
export function utxoRecordSize(entry: UtxoEntry): number {
  const { output, height } = entry
  if (output.value < 0n || output.value > MAX_AMOUNT || output.address.length !== 20) return -1
  if (height !== null && (!isU32(height) || height === NO_HEIGHT)) return -1
  if (!stateInRange(entry.state)) return -1
  return 32 + STATE_SIZE[entry.state.kind]
}

/**
 * The UTXO record in the exact bytes of `UtxoRecordCodec`, written directly: this runs once per
 * output on every block and every sync chunk (a test checks it against the codec). With `out`
 * (exactly `utxoRecordSize(entry)` bytes, e.g. a view into one buffer for a whole batch) it is
 * written there.
 */
export function encodeUtxoRecord(entry: UtxoEntry, out?: Uint8Array): Uint8Array {
  const { output, height, state } = entry
  const size = utxoRecordSize(entry)
  if (size < 0) return UtxoRecordCodec.encode({ output, height, state }) // the codec's typed error
  if (out !== undefined && out.length !== size)
    throw new EncodingError('INVALID_VALUE', `UTXO record needs ${size} bytes, got ${out.length}`)
  const o = out ?? new Uint8Array(size)
  const view = new DataView(o.buffer, o.byteOffset, size)
  view.setBigUint64(0, output.value, true)
  o.set(output.address, 8)
  view.setUint32(28, height ?? NO_HEIGHT, true)
  o[32] = KIND_CODE[state.kind]
  if (state.kind === 'Unspent') return o
  o.set(state.txid, 33)
  if (state.kind === 'Locked') {
    view.setBigUint64(65, BigInt(state.lockedAt), true)
    o[73] = state.voted ? 1 : 0
  } else if (state.kind === 'SpentPending') {
    view.setUint32(65, state.votes, true)
    o[69] = state.voted ? 1 : 0
  } else {
    // SpentFinalized has nothing more; Confirmed has its height.
    if (state.kind === 'Confirmed') view.setUint32(65, state.height, true)
  }
  return o
}

export function decodeUtxoRecord(key: Uint8Array, value: Uint8Array): UtxoEntry {
  const { output, height, state } = UtxoRecordCodec.decode(value)
  return { outpoint: outpointFromUtxoKey(key), output, height: height ?? null, state }
}

/** Bytes of one live output's commitment element: outpoint ‖ value ‖ address. */
export const COMMITMENT_ELEMENT_BYTES = 32 + 4 + 8 + 20

/** Writes `entry`'s commitment element (txid ‖ u32le vout ‖ u64le value ‖ address) into `out`. */
export function writeCommitmentElement(entry: UtxoEntry, out: Uint8Array): Uint8Array {
  return writeOutputElement(entry.outpoint, entry.output, out)
}

/** The commitment element of output `output` at `outpoint`, written into `out` (64 bytes). */
export function writeOutputElement(
  outpoint: OutPoint,
  output: TxOutput,
  out: Uint8Array,
): Uint8Array {
  const view = new DataView(out.buffer, out.byteOffset, COMMITMENT_ELEMENT_BYTES)
  out.set(outpoint.txid, 0)
  view.setUint32(32, outpoint.vout, true)
  view.setBigUint64(36, output.value, true)
  out.set(output.address, 44)
  return out
}

/** Bytes hashed into the UTXO-set commitment for one live output: outpoint ‖ value ‖ address. */
export function commitmentElement(entry: UtxoEntry): Uint8Array {
  return writeCommitmentElement(entry, new Uint8Array(COMMITMENT_ELEMENT_BYTES))
}
