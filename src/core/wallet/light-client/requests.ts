/**
 * The light client's requests in flight: request ids, the timeout of each, the bound on how many
 * may be open, matching an answer to the request it answers, and tracking submitted transactions
 * until their `SubmitResult` (or the stream's end) says what became of them.
 *
 * Invariants: at most `maxRequests` requests are in flight, each with exactly one timeout timer
 * set, cleared when it is answered, refused or the stream closes; an answer is taken only by the
 * request of its id and kind (anything else breaks the stream); every submit gets exactly one
 * `submitted` event — its result, its error, or WALLET_DISCONNECTED when the stream closes first.
 */

import { equalBytes } from '../../encoding/bytes.ts'
import { PeerAction, WalletError } from '../../errors.ts'
import type { Txid } from '../../primitives/txid.ts'
import { PROTOCOLS } from '../../protocol/protocols.ts'
import type { WalletMessage } from '../../protocol/wallet-messages.ts'
import type { WireError } from '../../protocol/wire-fields.ts'
import type { ClientIo } from './light-client-io.ts'

/** What a request in flight asked for (what its answer must match). */
export type Pending =
  | { readonly kind: 'subscribe'; readonly addresses: readonly string[] }
  | { readonly kind: 'unsubscribe' }
  | { readonly kind: 'query'; readonly address: string; readonly from: number }
  | { readonly kind: 'submit'; readonly txid: Txid }
  | { readonly kind: 'committee'; readonly fromEpoch: number }

const TIMEOUT = 'request:'

/** Whether timer `id` is a request's timeout (hand it to `RequestTracker.onTimeout`). */
export function isRequestTimer(id: string): boolean {
  return id.startsWith(TIMEOUT)
}

function timeoutTimer(requestId: number): string {
  return `${TIMEOUT}${requestId}`
}

export class RequestTracker {
  readonly #io: ClientIo
  readonly #timeoutMs: number
  readonly #maxRequests: number
  /** Requests in flight by id (≤ `maxRequests`). */
  readonly #requests = new Map<number, Pending>()
  #nextRequest = 1

  constructor(io: ClientIo, timeoutMs: number, maxRequests: number) {
    this.#io = io
    this.#timeoutMs = timeoutMs
    this.#maxRequests = maxRequests
  }

  get size(): number {
    return this.#requests.size
  }

  get(requestId: number): Pending | undefined {
    return this.#requests.get(requestId)
  }

  /** Sends a request (its frame, then its timeout); throws WALLET_TOO_MANY_REQUESTS past the bound. */
  send(pending: Pending, build: (requestId: number) => WalletMessage): number {
    if (this.#requests.size >= this.#maxRequests)
      throw new WalletError(
        'WALLET_TOO_MANY_REQUESTS',
        `${this.#requests.size} wallet requests in flight, limit ${this.#maxRequests}`,
      )
    const requestId = this.#nextRequest
    this.#nextRequest = this.#nextRequest >= 0xffff_ffff ? 1 : this.#nextRequest + 1
    const frame = PROTOCOLS.wallet.dialer.encode(build(requestId) as never)
    this.#requests.set(requestId, pending)
    this.#io.push({ type: 'send', frame })
    this.#io.push({
      type: 'setTimer',
      id: timeoutTimer(requestId),
      at: this.#io.now + this.#timeoutMs,
    })
    return requestId
  }

  /** Takes the request a message answers; a message answering nothing breaks the stream. */
  answered<K extends Pending['kind']>(
    requestId: number,
    kind: K,
  ): Extract<Pending, { kind: K }> | undefined {
    const pending = this.#requests.get(requestId)
    if (pending === undefined || pending.kind !== kind) {
      this.#io.broken(
        new WalletError(
          'WALLET_UNKNOWN_REQUEST',
          `an answer to ${pending === undefined ? 'no request' : `a ${pending.kind}`} (id ${requestId})`,
          PeerAction.LowToleranceError,
        ),
      )
      return undefined
    }
    this.#settle(requestId)
    return pending as Extract<Pending, { kind: K }>
  }

  /**
   * Takes the request an `Error` message refuses (request id ≠ 0); one refusing no request breaks
   * the stream. A refused submit has its `submitted` event here.
   */
  refused(requestId: number, error: WireError): Pending | undefined {
    const pending = this.#requests.get(requestId)
    if (pending === undefined) {
      this.#io.broken(
        new WalletError(
          'WALLET_UNKNOWN_REQUEST',
          `an error for no request (id ${requestId})`,
          PeerAction.LowToleranceError,
        ),
      )
      return undefined
    }
    this.#settle(requestId)
    if (pending.kind === 'submit')
      this.#io.emit({ type: 'submitted', requestId, txid: pending.txid, error })
    return pending
  }

  #settle(requestId: number): void {
    this.#requests.delete(requestId)
    this.#io.push({ type: 'clearTimer', id: timeoutTimer(requestId) })
  }

  /** A timeout timer fired: a long-lived stream whose request goes unanswered is broken. */
  onTimeout(id: string): void {
    const requestId = Number(id.slice(TIMEOUT.length))
    if (!this.#requests.has(requestId)) return
    // A long-lived stream whose request goes unanswered counts as broken (PROTOCOL.md §19.2).
    this.#io.push({
      type: 'close',
      error: new WalletError(
        'WALLET_REQUEST_TIMEOUT',
        `request ${requestId} unanswered after ${this.#timeoutMs} ms`,
      ),
    })
  }

  /** The answer to a submit: the `submitted` event, for the transaction that was submitted. */
  onSubmitResult(message: Extract<WalletMessage, { type: 'SubmitResult' }>): void {
    const pending = this.answered(message.requestId, 'submit')
    if (pending === undefined) return
    if (!equalBytes(pending.txid, message.txid))
      return this.#io.broken(
        new WalletError(
          'WALLET_UNKNOWN_REQUEST',
          'a submit result for another transaction',
          PeerAction.LowToleranceError,
        ),
      )
    this.#io.emit({
      type: 'submitted',
      requestId: message.requestId,
      txid: pending.txid,
      error: message.error,
    })
  }

  /** The stream closed: every request is dropped, a submit with WALLET_DISCONNECTED. */
  disconnected(): void {
    for (const [requestId, pending] of this.#requests) {
      this.#io.push({ type: 'clearTimer', id: timeoutTimer(requestId) })
      if (pending.kind === 'submit')
        this.#io.emit({
          type: 'submitted',
          requestId,
          txid: pending.txid,
          error: { code: 'WALLET_DISCONNECTED', message: 'the wallet stream closed' },
        })
    }
    this.#requests.clear()
  }
}
