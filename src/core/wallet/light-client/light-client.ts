/**
 * The light client of the wallet protocol (docs/PROTOCOL.md §19.5) as a sans-I/O state machine:
 * inputs in (the stream connected or closed, a frame received, a timer fired, signatures
 * verified), commands out (a frame to send, signatures to verify, timers, closing the stream, and
 * events for the application). It watches addresses, holds their outputs and states, checks every
 * proof itself — each certificate against the committee of its own epoch, learnt through committee
 * proofs walked from the genesis committee — resyncs an address by its status hash after a
 * reconnect or a mismatch, and correlates submitted transactions with their results. The network
 * adapter (src/core/net/wallet-client) only moves bytes, timers and verdicts.
 *
 * This file is the state machine's core: it decodes frames and routes inputs to its parts —
 * requests in flight and submissions (requests.ts), proof and committee checks (proof-checks.ts),
 * watched addresses, resyncs and the ordered application of arrivals (address-book.ts) — which
 * share one command list (light-client-io.ts).
 *
 * Invariants: what the masternode sent is applied in the order it was sent, each item once its
 * proof is checked (a refused one is reported and not applied); an output's final state is held
 * only with a verified proof; a committee is held only once its proof from genesis verified
 * (signatures included); every map is bounded (addresses, requests in flight, committees, items
 * awaiting checks); nothing survives a disconnect but the addresses, their outputs and the
 * committees.
 */
import type { Committee } from '../../consensus/committee.ts'
import { WalletError } from '../../errors.ts'
import type { AddressPayload } from '../../primitives/address.ts'
import { computeTxid, type Transaction } from '../../primitives/transaction.ts'
import { PROTOCOLS } from '../../protocol/protocols.ts'
import { MAX_WALLET_ADDRESSES, type WalletResponse } from '../../protocol/wallet-messages.ts'
import type { WireError } from '../../protocol/wire-fields.ts'
import { AddressBook, isResyncTimer } from './address-book.ts'
import {
  ClientIo,
  DEFAULT_MAX_CLIENT_REQUESTS,
  DEFAULT_MAX_COMMITTEES,
  DEFAULT_RESYNC_DELAY_MS,
  type HeldUtxo,
  type LightClientCommand,
  type LightClientConfig,
  type LightClientInput,
} from './light-client-io.ts'
import { ProofChecker } from './proof-checks.ts'
import { isRequestTimer, RequestTracker } from './requests.ts'

export {
  DEFAULT_MAX_CLIENT_REQUESTS,
  DEFAULT_MAX_COMMITTEES,
  DEFAULT_RESYNC_DELAY_MS,
  type HeldUtxo,
  type LightClientCommand,
  type LightClientConfig,
  type LightClientEvent,
  type LightClientInput,
} from './light-client-io.ts'

export class LightClient {
  readonly genesisHash: Uint8Array
  readonly #io = new ClientIo()
  readonly #requests: RequestTracker
  readonly #checker: ProofChecker
  readonly #book: AddressBook

  constructor(config: LightClientConfig) {
    if (config.genesisCommittee.epoch !== 0)
      throw new RangeError('the genesis committee is the committee of epoch 0')
    this.genesisHash = config.genesisHash
    this.#requests = new RequestTracker(
      this.#io,
      config.requestTimeoutMs ?? PROTOCOLS.wallet.timeoutMs,
      config.maxRequests ?? DEFAULT_MAX_CLIENT_REQUESTS,
    )
    this.#checker = new ProofChecker(this.#io, this.#requests, {
      genesisHash: config.genesisHash,
      genesisCommittee: config.genesisCommittee,
      maxCommittees: config.maxCommittees ?? DEFAULT_MAX_COMMITTEES,
      settled: () => this.#book.drain(),
    })
    this.#book = new AddressBook(this.#io, this.#requests, this.#checker, {
      resyncDelayMs: config.resyncDelayMs ?? DEFAULT_RESYNC_DELAY_MS,
      maxAddresses: config.maxAddresses ?? MAX_WALLET_ADDRESSES,
    })
  }

  // ── reading ──

  get connected(): boolean {
    return this.#io.connected
  }

  /** Items received and not yet applied (the adapter stops reading while this is high). */
  get backlog(): number {
    return this.#book.backlog
  }

  /** The highest epoch whose committee is proven here. */
  get epoch(): number {
    return this.#checker.epoch
  }

  committeeOf(epoch: number): Committee | undefined {
    return this.#checker.committeeOf(epoch)
  }

  /** The outputs held for a watched address, in protocol (outpoint) order. */
  outputs(address: AddressPayload): HeldUtxo[] {
    return this.#book.outputs(address)
  }

  /** The status hash of what the client holds for `address` (what a masternode's must equal). */
  statusOf(address: AddressPayload): Uint8Array | undefined {
    return this.#book.statusOf(address)
  }

  /** Whether `address` is known to be in step with the masternode. */
  isSynced(address: AddressPayload): boolean {
    return this.#book.isSynced(address)
  }

  get watching(): number {
    return this.#book.size
  }

  get requestsInFlight(): number {
    return this.#requests.size
  }

  // ── requests from the application ──

  /** Watches `addresses` (subscribed at once when connected, else on connecting). */
  subscribe(addresses: readonly AddressPayload[], now: number): LightClientCommand[] {
    return this.#io.run(now, () => this.#book.subscribe(addresses))
  }

  /** Stops watching `addresses` and forgets their outputs. */
  unsubscribe(addresses: readonly AddressPayload[], now: number): LightClientCommand[] {
    return this.#io.run(now, () => this.#book.unsubscribe(addresses))
  }

  /**
   * Submits `tx`: the `submitted` event with this request id says whether the masternode admitted
   * it. Throws WALLET_DISCONNECTED when no stream is open.
   */
  submit(tx: Transaction, now: number): { requestId: number; commands: LightClientCommand[] } {
    let requestId = 0
    const commands = this.#io.run(now, () => {
      if (!this.#io.connected)
        throw new WalletError('WALLET_DISCONNECTED', 'no wallet stream is open to submit on')
      const txid = computeTxid(tx)
      requestId = this.#requests.send({ kind: 'submit', txid }, (id) => ({
        type: 'SubmitTransaction',
        requestId: id,
        tx,
      }))
    })
    return { requestId, commands }
  }

  /** Reads a watched address again from the masternode (all its outputs, with their proofs). */
  resync(address: AddressPayload, now: number): LightClientCommand[] {
    return this.#io.run(now, () => this.#book.resync(address))
  }

  // ── inputs ──

  handle(input: LightClientInput, now: number): LightClientCommand[] {
    return this.#io.run(now, () => {
      switch (input.type) {
        case 'connected':
          return this.#onConnected()
        case 'disconnected':
          return this.#onDisconnected()
        case 'frame':
          return this.#onFrame(input.frame)
        case 'timer':
          return this.#onTimer(input.id)
        case 'verified':
          return this.#checker.onVerified(input.id, input.verdicts)
      }
    })
  }

  #onConnected(): void {
    if (this.#io.connected) return
    this.#io.connected = true
    this.#checker.fetchCommittees(this.#checker.epoch)
    this.#book.connected()
  }

  #onDisconnected(): void {
    if (!this.#io.connected) return
    this.#io.connected = false
    this.#requests.disconnected()
    this.#checker.disconnected()
    this.#book.disconnected()
  }

  #onTimer(id: string): void {
    if (isRequestTimer(id)) return this.#requests.onTimeout(id)
    if (isResyncTimer(id)) return this.#book.onResyncTimer(id)
  }

  #onFrame(frame: Uint8Array): void {
    if (!this.#io.connected) return
    let message: WalletResponse
    try {
      message = PROTOCOLS.wallet.listener!.decode(frame) as WalletResponse
    } catch (error) {
      return this.#io.broken(error)
    }
    switch (message.type) {
      case 'UTXOStateNotification':
        return this.#book.onNotification(message.utxo, message.status)
      case 'NewTransactionNotification':
        return this.#io.emit({
          type: 'transaction',
          txid: computeTxid(message.tx),
          tx: message.tx,
        })
      case 'UTXOSubscribeAnswer':
        return this.#book.onSubscribed(message)
      case 'UTXOStateAnswer':
        return this.#book.onPage(message)
      case 'SubmitResult':
        return this.#requests.onSubmitResult(message)
      case 'CommitteeProofAnswer':
        return this.#checker.onCommitteeProof(message)
      case 'Error':
        return this.#onError(message.requestId, message.error)
    }
  }

  /** The masternode refused a request (id 0: a notice before it closes the stream). */
  #onError(requestId: number, error: WireError): void {
    if (requestId === 0) return this.#io.emit({ type: 'error', requestId, error })
    const pending = this.#requests.refused(requestId, error)
    // No such request (the stream is broken), or a submit (its `submitted` event says it all).
    if (pending === undefined || pending.kind === 'submit') return
    if (pending.kind === 'query') this.#book.queryRefused(pending.address, requestId)
    else if (pending.kind === 'committee') this.#checker.committeeRefused(error)
    this.#io.emit({ type: 'error', requestId, error })
  }
}
