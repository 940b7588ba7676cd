/**
 * The wallet protocol's messages (docs/PROTOCOL.md §19.5): one long-lived stream that a wallet
 * opens to a masternode (browsers cannot accept dials). The wallet subscribes to addresses,
 * queries their outputs, submits transactions and asks for committee proofs; the masternode
 * answers each request (by its `requestId`) and pushes every state change of a subscribed address
 * with its proof. `u8 tag ‖ body`, tags 0x20–0x2b.
 *
 * Invariants: every list has a bound here, so each direction has a frame limit derived from the
 * component codecs (`WALLET_CLIENT_FRAMES`, `WALLET_SERVER_FRAMES`); a message sent the wrong way
 * is refused (`PROTOCOL_UNEXPECTED_MESSAGE`). Answers to many outputs or proof steps are paged.
 */
import * as P from 'micro-packed'
import { BLOCK_HEADER_SIZE } from '../consensus/block.ts'
import { BlockCertificateCodec } from '../consensus/block-certificate.ts'
import { MAX_COMMITTEE_SIZE } from '../consensus/committee.ts'
import { type CommitteeProofStep, CommitteeProofStepCodec } from '../consensus/committee-proof.ts'
import { boundedArray, bytes20, bytes32, u32 } from '../encoding/fields.ts'
import type { AddressPayload } from '../primitives/address.ts'
import type { Transaction } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import { frameCodec, taggedUnion, variant } from './tagged-union.ts'
import { WALLET_UTXO_MAX, type WalletUtxo, walletUtxoCoder } from './utxo-proofs.ts'
import {
  requestId,
  SIZED_TX_MAX,
  sizedTransaction,
  WIRE_ERROR_MAX,
  type WireError,
  wireErrorCoder,
} from './wire-fields.ts'

/** Addresses in one subscribe, unsubscribe or subscribe answer (a server may allow fewer). */
export const MAX_WALLET_ADDRESSES = 1_000
/** Outputs in one query answer; a wallet pages through more with `from`. */
export const MAX_UTXOS_PER_ANSWER = 16
/** Committee proof steps in one answer; a wallet asks again from the epoch it reached. */
export const MAX_PROOF_STEPS_PER_ANSWER = 16
/** Largest proof step: header, sized block certificate, the members of a full committee. */
export const MAX_PROOF_STEP_SIZE =
  BLOCK_HEADER_SIZE + 4 + BlockCertificateCodec.maxSize + 2 + MAX_COMMITTEE_SIZE * (32 + 8)

export interface AddressStatus {
  readonly address: AddressPayload
  /** `addressStatus` of the address's outputs (utxo-proofs.ts). */
  readonly status: Uint8Array
}

/** Request ids are chosen by the wallet, ≥ 1; an `Error` with request id 0 answers no request. */
export type WalletMessage =
  /** Watch these addresses: answered by `UTXOSubscribeAnswer`, then pushes. */
  | {
      readonly type: 'UTXOSubscribe'
      readonly requestId: number
      readonly addresses: readonly AddressPayload[]
    }
  /** Stop watching these addresses: answered by a `UTXOSubscribeAnswer` with no statuses. */
  | {
      readonly type: 'UTXOUnsubscribe'
      readonly requestId: number
      readonly addresses: readonly AddressPayload[]
    }
  /** The status of each newly subscribed address. */
  | {
      readonly type: 'UTXOSubscribeAnswer'
      readonly requestId: number
      readonly statuses: readonly AddressStatus[]
    }
  /** Pushed: an output of a subscribed address changed state; `status` is its address's new one. */
  | {
      readonly type: 'UTXOStateNotification'
      readonly utxo: WalletUtxo
      readonly status: Uint8Array
    }
  /** Pushed: a transaction paying to or spending from a subscribed address arrived. */
  | { readonly type: 'NewTransactionNotification'; readonly tx: Transaction }
  /** The outputs of `address`, from the `from`-th in outpoint order. */
  | {
      readonly type: 'UTXOStateQuery'
      readonly requestId: number
      readonly address: AddressPayload
      readonly from: number
    }
  /** Outputs `from` … `from + utxos.length − 1` of `total`, with the address's status. */
  | {
      readonly type: 'UTXOStateAnswer'
      readonly requestId: number
      readonly address: AddressPayload
      readonly status: Uint8Array
      readonly total: number
      readonly from: number
      readonly utxos: readonly WalletUtxo[]
    }
  /** The wallet's TransactionBroadcast: answered by `SubmitResult`. */
  | { readonly type: 'SubmitTransaction'; readonly requestId: number; readonly tx: Transaction }
  /** Accepted (`error` null: admitted, votes under way) or refused with the typed error. */
  | {
      readonly type: 'SubmitResult'
      readonly requestId: number
      readonly txid: Txid
      readonly error: WireError | null
    }
  /** The committee proof from the committee of `fromEpoch`, which the wallet holds. */
  | {
      readonly type: 'CommitteeProofRequest'
      readonly requestId: number
      readonly fromEpoch: number
    }
  /** Steps from `fromEpoch` on; fewer than the epochs up to `currentEpoch`: ask again. */
  | {
      readonly type: 'CommitteeProofAnswer'
      readonly requestId: number
      readonly fromEpoch: number
      readonly currentEpoch: number
      readonly steps: readonly CommitteeProofStep[]
    }
  /** A request refused (a limit, an unknown epoch …) or, with request id 0, a notice. */
  | { readonly type: 'Error'; readonly requestId: number; readonly error: WireError }

export type WalletMessageType = WalletMessage['type']

const addresses = boundedArray(MAX_WALLET_ADDRESSES, bytes20, 'addresses')
const ADDRESSES_MAX = 2 + 20 * MAX_WALLET_ADDRESSES

/** Absent (0x00) or present (0x01 ‖ value): one encoding each. */
function nullable<T>(inner: P.CoderType<T>): P.CoderType<T | null> {
  return P.wrap<T | null>({
    encodeStream(w, value) {
      P.bool.encodeStream(w, value !== null)
      if (value !== null) inner.encodeStream(w, value)
    },
    decodeStream: (r) => (P.bool.decodeStream(r) ? inner.decodeStream(r) : null),
  })
}

export const WalletMessageCodec = taggedUnion<WalletMessage>('WalletMessage', {
  UTXOSubscribe: variant(0x20, { requestId, addresses }, 4 + ADDRESSES_MAX),
  UTXOUnsubscribe: variant(0x21, { requestId, addresses }, 4 + ADDRESSES_MAX),
  UTXOSubscribeAnswer: variant(
    0x22,
    {
      requestId,
      statuses: boundedArray(
        MAX_WALLET_ADDRESSES,
        P.struct({ address: bytes20, status: bytes32 }),
        'address statuses',
      ),
    },
    4 + 2 + 52 * MAX_WALLET_ADDRESSES,
  ),
  UTXOStateNotification: variant(
    0x23,
    { utxo: walletUtxoCoder, status: bytes32 },
    WALLET_UTXO_MAX + 32,
  ),
  NewTransactionNotification: variant(0x24, { tx: sizedTransaction }, SIZED_TX_MAX),
  UTXOStateQuery: variant(0x25, { requestId, address: bytes20, from: u32 }, 4 + 20 + 4),
  UTXOStateAnswer: variant(
    0x26,
    {
      requestId,
      address: bytes20,
      status: bytes32,
      total: u32,
      from: u32,
      utxos: boundedArray(MAX_UTXOS_PER_ANSWER, walletUtxoCoder, 'address outputs'),
    },
    4 + 20 + 32 + 4 + 4 + 2 + MAX_UTXOS_PER_ANSWER * WALLET_UTXO_MAX,
  ),
  SubmitTransaction: variant(0x27, { requestId, tx: sizedTransaction }, 4 + SIZED_TX_MAX),
  SubmitResult: variant(
    0x28,
    { requestId, txid: bytes32, error: nullable(wireErrorCoder) },
    4 + 32 + 1 + WIRE_ERROR_MAX,
  ),
  CommitteeProofRequest: variant(0x29, { requestId, fromEpoch: u32 }, 8),
  CommitteeProofAnswer: variant(
    0x2a,
    {
      requestId,
      fromEpoch: u32,
      currentEpoch: u32,
      steps: boundedArray(MAX_PROOF_STEPS_PER_ANSWER, CommitteeProofStepCodec.coder, 'proof steps'),
    },
    4 + 4 + 4 + 2 + MAX_PROOF_STEPS_PER_ANSWER * MAX_PROOF_STEP_SIZE,
  ),
  Error: variant(0x2b, { requestId, error: wireErrorCoder }, 4 + WIRE_ERROR_MAX),
})

/** What a wallet sends. */
export const WALLET_CLIENT_MESSAGES = [
  'UTXOSubscribe',
  'UTXOUnsubscribe',
  'UTXOStateQuery',
  'SubmitTransaction',
  'CommitteeProofRequest',
  'Error',
] as const satisfies readonly WalletMessageType[]

/** What a masternode sends a wallet. */
export const WALLET_SERVER_MESSAGES = [
  'UTXOSubscribeAnswer',
  'UTXOStateNotification',
  'NewTransactionNotification',
  'UTXOStateAnswer',
  'SubmitResult',
  'CommitteeProofAnswer',
  'Error',
] as const satisfies readonly WalletMessageType[]

export type WalletRequest = Extract<
  WalletMessage,
  { readonly type: (typeof WALLET_CLIENT_MESSAGES)[number] }
>
export type WalletResponse = Extract<
  WalletMessage,
  { readonly type: (typeof WALLET_SERVER_MESSAGES)[number] }
>

/** Frames a wallet sends (a masternode reads them with this codec's limit). */
export const WALLET_CLIENT_FRAMES = frameCodec(
  'wallet (client)',
  WalletMessageCodec,
  WALLET_CLIENT_MESSAGES,
)
/** Frames a masternode sends a wallet. */
export const WALLET_SERVER_FRAMES = frameCodec(
  'wallet (server)',
  WalletMessageCodec,
  WALLET_SERVER_MESSAGES,
)

export function encodeWalletMessage(message: WalletMessage): Uint8Array {
  return WalletMessageCodec.encode(message)
}

/** Decodes any wallet message; the direction's frame codecs also refuse the wrong direction. */
export function decodeWalletMessage(bytes: Uint8Array): WalletMessage {
  return WalletMessageCodec.decode(bytes)
}
