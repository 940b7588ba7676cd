/**
 * Transactions: layout, limits and identity. The signed encoding is the unsigned encoding
 * followed by one 64-byte signature per input, so txid = SHA-256("TIMECOIN/txid/v1" ‖ unsigned
 * encoding) is a hash of a prefix of the wire bytes and no signature can change a txid.
 */
import * as P from 'micro-packed'
import { DomainTags } from '../crypto/domain.ts'
import { taggedHash } from '../crypto/sha256.ts'
import { codec } from '../encoding/codec.ts'
import {
  boundedArray,
  bytes20,
  bytes32,
  bytes64,
  oneOfU16,
  rangedU64,
  u32,
} from '../encoding/fields.ts'
import type { AddressPayload } from './address.ts'
import { type Amount, MAX_AMOUNT } from './amount.ts'
import { type OutPoint, outPointCoder } from './outpoint.ts'
import { payloadCoder, type TxPayload } from './payload.ts'
import type { Txid } from './txid.ts'

export const TX_VERSION = 1
export const MAX_TX_INPUTS = 512
export const MAX_TX_OUTPUTS = 512
/** Largest signed transaction encoding, in bytes. */
export const MAX_TX_SIZE = 100_000
export const TX_SIGNATURE_SIZE = 64

export interface UnsignedTxInput {
  readonly outpoint: OutPoint
  /** The key whose address payload the spent output pays to. */
  readonly publicKey: Uint8Array
}

export interface TxInput extends UnsignedTxInput {
  readonly signature: Uint8Array
}

export interface TxOutput {
  readonly value: Amount
  readonly address: AddressPayload
}

/**
 * Typed payload of special transactions (payload.ts): kind 0 (none) is a plain payment; kinds
 * 1–3 register or deregister a masternode or carry slashing evidence. Any other kind is refused
 * when decoding.
 */
export type { TxPayload } from './payload.ts'

export interface UnsignedTransaction {
  readonly version: number
  readonly inputs: readonly UnsignedTxInput[]
  readonly outputs: readonly TxOutput[]
  readonly lockTime: number
  readonly payload: TxPayload
}

export interface Transaction extends UnsignedTransaction {
  readonly inputs: readonly TxInput[]
}

const unsignedInputCoder = P.struct({ outpoint: outPointCoder, publicKey: bytes32 })

/** `value u64 ‖ address payload (20)`: an output, also as the wire protocol names one. */
export const txOutputCoder = P.struct({
  value: rangedU64(0n, MAX_AMOUNT, 'output value'),
  address: bytes20,
}) as unknown as P.CoderType<TxOutput>

const unsignedTxCoder = P.struct({
  version: oneOfU16([TX_VERSION], 'transaction version'),
  inputs: boundedArray(MAX_TX_INPUTS, unsignedInputCoder, 'transaction inputs'),
  outputs: boundedArray(MAX_TX_OUTPUTS, txOutputCoder, 'transaction outputs'),
  lockTime: u32,
  payload: payloadCoder,
}) as unknown as P.CoderType<UnsignedTransaction>

const signedTxCoder = P.wrap<Transaction>({
  encodeStream(w, tx) {
    unsignedTxCoder.encodeStream(w, tx)
    for (const input of tx.inputs) bytes64.encodeStream(w, input.signature)
  },
  decodeStream(r) {
    const unsigned = unsignedTxCoder.decodeStream(r)
    const inputs = unsigned.inputs.map((input) => ({
      ...input,
      signature: bytes64.decodeStream(r),
    }))
    return { ...unsigned, inputs }
  },
})

/** The part of a transaction its txid and every input signature commit to. */
export const UnsignedTransactionCodec = codec('UnsignedTransaction', unsignedTxCoder, MAX_TX_SIZE)
/** The full wire form: unsigned encoding ‖ signature per input. */
export const TransactionCodec = codec('Transaction', signedTxCoder, MAX_TX_SIZE)

/**
 * What is derived from a transaction object, computed once per object (transactions are
 * immutable: every field is readonly) or handed over by the decoder, which gets both for free.
 * The returned txid is shared: callers must not write into it.
 */
interface Derived {
  txid?: Txid
  /** The signed encoding, shared by every caller of `signedBytes`: never written into. */
  bytes?: Uint8Array
  size?: number
}
const derived = new WeakMap<object, Derived>()

function derivedOf(tx: object): Derived {
  let d = derived.get(tx)
  if (d === undefined) {
    d = {}
    derived.set(tx, d)
  }
  return d
}

export function computeTxid(tx: UnsignedTransaction): Txid {
  const d = derivedOf(tx)
  d.txid ??= taggedHash(DomainTags.txid, UnsignedTransactionCodec.encode(tx)) as Txid
  return d.txid
}

/**
 * The signed encoding, computed once per object and shared: a caller copies it, never writes
 * into it (a mempool record is written when a transaction is admitted and again when final).
 */
export function signedBytes(tx: Transaction): Uint8Array {
  const d = derivedOf(tx)
  d.bytes ??= TransactionCodec.encode(tx)
  return d.bytes
}

/** Size of the signed encoding in bytes (computed once per object). */
export function transactionSize(tx: Transaction): number {
  const d = derivedOf(tx)
  d.size ??= signedBytes(tx).length
  return d.size
}

export interface DecodedTransaction {
  readonly tx: Transaction
  readonly txid: Txid
  /** Size of the signed encoding in bytes. */
  readonly size: number
}

/** Strictly decodes a signed transaction and derives its txid from the unsigned prefix. */
export function decodeTransaction(bytes: Uint8Array): DecodedTransaction {
  const tx = TransactionCodec.decode(bytes)
  const unsignedLength = bytes.length - TX_SIGNATURE_SIZE * tx.inputs.length
  const txid = taggedHash(DomainTags.txid, bytes.subarray(0, unsignedLength)) as Txid
  derived.set(tx, { txid, size: bytes.length })
  return { tx, txid, size: bytes.length }
}

export function encodeTransaction(tx: Transaction): Uint8Array {
  return TransactionCodec.encode(tx)
}
