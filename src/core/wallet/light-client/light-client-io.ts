/**
 * The light client's boundary with its adapter: its configuration, the inputs it takes, the
 * commands and events it returns — and `ClientIo`, the one place the parts of the client
 * (requests, proof checks, the address book) write their commands to during a call.
 *
 * Invariants: commands leave in the order the parts pushed them; a call's commands are handed out
 * once (`run` starts each call with an empty list); `now` is the time of the current call.
 */
import type { Committee } from '../../consensus/committee.ts'
import type { SignatureCheck } from '../../crypto/ed25519.ts'
import { PeerAction, TimeCoinError, WalletError } from '../../errors.ts'
import type { AddressPayload } from '../../primitives/address.ts'
import type { OutPoint } from '../../primitives/outpoint.ts'
import type { Transaction } from '../../primitives/transaction.ts'
import type { Txid } from '../../primitives/txid.ts'
import type { WalletUtxo } from '../../protocol/utxo-proofs.ts'
import type { WireError } from '../../protocol/wire-fields.ts'

export interface LightClientConfig {
  /** The network's genesis hash: every signature is bound to it. */
  readonly genesisHash: Uint8Array
  /** C_0, from the network's genesis file: every later committee is proven from it. */
  readonly genesisCommittee: Committee
  /** A request unanswered this long breaks the stream (default: the protocol's, 30 s). */
  readonly requestTimeoutMs?: number
  /** A status that differs from the client's own is re-read after this long (default 1 s). */
  readonly resyncDelayMs?: number
  /** Addresses watched (default and most: 1,000, one subscribe's worth). */
  readonly maxAddresses?: number
  /** Requests in flight (default 64). */
  readonly maxRequests?: number
  /** Committees held besides the genesis one (default 64; the lowest epochs go first). */
  readonly maxCommittees?: number
}

export const DEFAULT_RESYNC_DELAY_MS = 1_000
export const DEFAULT_MAX_CLIENT_REQUESTS = 64
export const DEFAULT_MAX_COMMITTEES = 64

/** An output as the client holds it: what the masternode said, and whether a proof backs it. */
export interface HeldUtxo {
  readonly utxo: WalletUtxo
  /** A proof (certificate, certified block or reward) backs it; always so for a final state. */
  readonly proven: boolean
}

export type LightClientInput =
  /** The wallet stream is open. */
  | { readonly type: 'connected' }
  /** The wallet stream closed (or failed). */
  | { readonly type: 'disconnected' }
  /** A frame's payload from the masternode (the length prefix already taken off). */
  | { readonly type: 'frame'; readonly frame: Uint8Array }
  /** Timer `id` of a `setTimer` command fired. */
  | { readonly type: 'timer'; readonly id: string }
  /** The verdicts of the `verify` command `id`, one per check, in order. */
  | { readonly type: 'verified'; readonly id: number; readonly verdicts: readonly boolean[] }

export type LightClientEvent =
  /** An output's new state, applied (from a notification or a resync). */
  | { readonly type: 'utxo'; readonly address: AddressPayload; readonly held: HeldUtxo }
  /** A resync found the masternode no longer holds this output (spent long ago and pruned). */
  | { readonly type: 'removed'; readonly address: AddressPayload; readonly outpoint: OutPoint }
  /** The address's outputs hash to the masternode's status: nothing is missing. */
  | { readonly type: 'synced'; readonly address: AddressPayload; readonly status: Uint8Array }
  /** A transaction paying to or spending from a watched address was seen (not yet final). */
  | { readonly type: 'transaction'; readonly txid: Txid; readonly tx: Transaction }
  /** The answer to `submit`: admitted (`error` null; finality follows as `utxo` events) or not. */
  | {
      readonly type: 'submitted'
      readonly requestId: number
      readonly txid: Txid
      readonly error: WireError | null
    }
  /** The committee of `epoch` is proven (from genesis, signatures checked). */
  | { readonly type: 'committee'; readonly epoch: number }
  /** Something the masternode sent was refused: a proof that does not hold, a bad committee step. */
  | {
      readonly type: 'refused'
      readonly address: AddressPayload | null
      readonly outpoint: OutPoint | null
      readonly error: TimeCoinError
    }
  /** The masternode refused a request (request id 0: a notice before it closes the stream). */
  | { readonly type: 'error'; readonly requestId: number; readonly error: WireError }

export type LightClientCommand =
  /** Send one frame (its payload: the adapter adds the length prefix). */
  | { readonly type: 'send'; readonly frame: Uint8Array }
  /** Verify these signatures and answer with a `verified` input of the same id. */
  | { readonly type: 'verify'; readonly id: number; readonly checks: readonly SignatureCheck[] }
  | { readonly type: 'setTimer'; readonly id: string; readonly at: number }
  | { readonly type: 'clearTimer'; readonly id: string }
  /** The masternode broke the protocol or stopped answering: close the stream. */
  | { readonly type: 'close'; readonly error: TimeCoinError }
  | { readonly type: 'event'; readonly event: LightClientEvent }

/** What every part of the client shares during a call: the time, the stream, the commands out. */
export class ClientIo {
  /** The time of the current call. */
  now = 0
  /** A wallet stream is open. */
  connected = false
  #out: LightClientCommand[] = []

  /** Runs one call of the client and returns the commands it produced, in order. */
  run(now: number, body: () => void): LightClientCommand[] {
    this.now = now
    this.#out = []
    body()
    const out = this.#out
    this.#out = []
    return out
  }

  push(command: LightClientCommand): void {
    this.#out.push(command)
  }

  emit(event: LightClientEvent): void {
    this.#out.push({ type: 'event', event })
  }

  /** The masternode broke the protocol: the stream is closed (a `disconnected` input follows). */
  broken(error: unknown): void {
    const typed =
      error instanceof TimeCoinError
        ? error
        : new WalletError('WALLET_UNKNOWN_REQUEST', String(error), PeerAction.LowToleranceError)
    this.#out.push({ type: 'close', error: typed })
  }
}
