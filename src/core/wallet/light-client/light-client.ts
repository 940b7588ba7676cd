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
 * Invariants: what the masternode sends is applied in the order it was sent, each item once its
 * proof is checked (a refused one is reported and not applied); an output's final state is held
 * only with a verified proof; a committee is held only once its proof from genesis verified
 * (signatures included); every map is bounded (addresses, requests in flight, committees, items
 * awaiting checks); nothing survives a disconnect but the addresses, their outputs and the
 * committees.
 */
import { Committee } from '../../consensus/committee.ts'
import { checkCommitteeProof, committeeProofBundle } from '../../consensus/committee-proof.ts'
import type { SignatureCheck } from '../../crypto/ed25519.ts'
import { assertVerdicts, type SignatureBundle } from '../../crypto/signature-bundle.ts'
import { bytesToHex, equalBytes } from '../../encoding/bytes.ts'
import { PeerAction, TimeCoinError, WalletError } from '../../errors.ts'
import type { AddressPayload } from '../../primitives/address.ts'
import { type OutPoint, OutPointCodec } from '../../primitives/outpoint.ts'
import { computeTxid, type Transaction } from '../../primitives/transaction.ts'
import type { Txid } from '../../primitives/txid.ts'
import { PROTOCOLS } from '../../protocol/protocols.ts'
import { addressStatus, type WalletUtxo } from '../../protocol/utxo-proofs.ts'
import {
  type AddressStatus,
  MAX_WALLET_ADDRESSES,
  type WalletMessage,
  type WalletResponse,
} from '../../protocol/wallet-messages.ts'
import type { WireError } from '../../protocol/wire-fields.ts'
import { checkUtxoProof, proofEpoch } from './utxo-proof-check.ts'

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
/** Resync delays double per failed attempt up to this many doublings (1 s … 64 s). */
const MAX_RESYNC_DOUBLINGS = 6

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

type Pending =
  | { readonly kind: 'subscribe'; readonly addresses: readonly string[] }
  | { readonly kind: 'unsubscribe' }
  | { readonly kind: 'query'; readonly address: string; readonly from: number }
  | { readonly kind: 'submit'; readonly txid: Txid }
  | { readonly kind: 'committee'; readonly fromEpoch: number }

/** One output to check, then apply. */
interface Item {
  readonly utxo: WalletUtxo
  /** Checks still outstanding (a committee to learn, signatures to verify). */
  waiting: boolean
  error: TimeCoinError | null
}

/** What the masternode sent that changes addresses, applied in order once its items are checked. */
type Arrival =
  | {
      readonly kind: 'notification'
      readonly address: string
      readonly item: Item
      readonly status: Uint8Array
    }
  | { readonly kind: 'statuses'; readonly statuses: readonly AddressStatus[] }
  | {
      readonly kind: 'page'
      readonly requestId: number
      readonly address: string
      readonly status: Uint8Array
      readonly total: number
      readonly from: number
      readonly items: readonly Item[]
    }

interface Resync {
  readonly requestId: number
  /** The status of the first page: every later page must carry the same. */
  status: Uint8Array | null
  readonly collected: Map<string, HeldUtxo>
}

interface Watched {
  readonly address: AddressPayload
  /** Held outputs by outpoint encoding (hex), which sorts as the protocol orders them. */
  readonly outputs: Map<string, HeldUtxo>
  /** `addressStatus` of `outputs`, recomputed when they change. */
  status: Uint8Array | null
  /** The masternode's last status for the address (null: not subscribed on this stream yet). */
  server: Uint8Array | null
  resync: Resync | null
  /** Resyncs since the address was last in step (their delay doubles). */
  attempts: number
  timer: boolean
}

/** Outputs of an address by this key: their 36-byte encoding in hex (protocol order). */
function outputKey(outpoint: OutPoint): string {
  return bytesToHex(OutPointCodec.encode(outpoint))
}

function timeoutTimer(requestId: number): string {
  return `request:${requestId}`
}

function resyncTimer(address: string): string {
  return `resync:${address}`
}

export class LightClient {
  readonly genesisHash: Uint8Array
  readonly #timeoutMs: number
  readonly #resyncDelayMs: number
  readonly #maxAddresses: number
  readonly #maxRequests: number
  readonly #maxCommittees: number
  readonly #committees = new Map<number, Committee>()
  readonly #watched = new Map<string, Watched>()
  readonly #requests = new Map<number, Pending>()
  readonly #arrivals: Arrival[] = []
  /** Items waiting for the committee of an epoch, by epoch. */
  readonly #awaiting = new Map<number, Item[]>()
  readonly #verifying = new Map<
    number,
    { bundle: SignatureBundle; done: (e: TimeCoinError | null) => void }
  >()
  #out: LightClientCommand[] = []
  #now = 0
  #connected = false
  #nextRequest = 1
  #nextVerify = 1
  /** The epoch the masternode last said it is at. */
  #serverEpoch = 0
  /** A committee request is in flight. */
  #fetchingCommittees = false
  /** Outputs in `#arrivals` (a page counts its outputs). */
  #backlog = 0

  constructor(config: LightClientConfig) {
    if (config.genesisCommittee.epoch !== 0)
      throw new RangeError('the genesis committee is the committee of epoch 0')
    this.genesisHash = config.genesisHash
    this.#committees.set(0, config.genesisCommittee)
    this.#timeoutMs = config.requestTimeoutMs ?? PROTOCOLS.wallet.timeoutMs
    this.#resyncDelayMs = config.resyncDelayMs ?? DEFAULT_RESYNC_DELAY_MS
    this.#maxAddresses = config.maxAddresses ?? MAX_WALLET_ADDRESSES
    this.#maxRequests = config.maxRequests ?? DEFAULT_MAX_CLIENT_REQUESTS
    this.#maxCommittees = config.maxCommittees ?? DEFAULT_MAX_COMMITTEES
    if (!(this.#maxAddresses >= 1 && this.#maxAddresses <= MAX_WALLET_ADDRESSES))
      throw new RangeError(`maxAddresses is between 1 and ${MAX_WALLET_ADDRESSES}`)
  }

  // ── reading ──

  get connected(): boolean {
    return this.#connected
  }

  /** Items received and not yet applied (the adapter stops reading while this is high). */
  get backlog(): number {
    return this.#backlog
  }

  /** The highest epoch whose committee is proven here. */
  get epoch(): number {
    return Math.max(...this.#committees.keys())
  }

  committeeOf(epoch: number): Committee | undefined {
    return this.#committees.get(epoch)
  }

  /** The outputs held for a watched address, in protocol (outpoint) order. */
  outputs(address: AddressPayload): HeldUtxo[] {
    const w = this.#watched.get(bytesToHex(address))
    if (w === undefined) return []
    return [...w.outputs.keys()].sort().map((k) => w.outputs.get(k)!)
  }

  /** The status hash of what the client holds for `address` (what a masternode's must equal). */
  statusOf(address: AddressPayload): Uint8Array | undefined {
    const w = this.#watched.get(bytesToHex(address))
    return w === undefined ? undefined : this.#status(w)
  }

  /** Whether `address` is known to be in step with the masternode. */
  isSynced(address: AddressPayload): boolean {
    const w = this.#watched.get(bytesToHex(address))
    return (
      w !== undefined &&
      w.server !== null &&
      w.resync === null &&
      equalBytes(w.server, this.#status(w))
    )
  }

  get watching(): number {
    return this.#watched.size
  }

  get requestsInFlight(): number {
    return this.#requests.size
  }

  // ── requests from the application ──

  /** Watches `addresses` (subscribed at once when connected, else on connecting). */
  subscribe(addresses: readonly AddressPayload[], now: number): LightClientCommand[] {
    return this.#run(now, () => {
      const fresh: AddressPayload[] = []
      for (const address of addresses) {
        const hex = bytesToHex(address)
        if (this.#watched.has(hex) || fresh.some((a) => equalBytes(a, address))) continue
        fresh.push(address)
      }
      if (this.#watched.size + fresh.length > this.#maxAddresses)
        throw new WalletError(
          'WALLET_TOO_MANY_ADDRESSES',
          `watching ${this.#watched.size + fresh.length} addresses, limit ${this.#maxAddresses}`,
        )
      for (const address of fresh)
        this.#watched.set(bytesToHex(address), {
          address: address.slice() as AddressPayload,
          outputs: new Map(),
          status: null,
          server: null,
          resync: null,
          attempts: 0,
          timer: false,
        })
      if (this.#connected && fresh.length > 0) this.#sendSubscribe(fresh)
    })
  }

  /** Stops watching `addresses` and forgets their outputs. */
  unsubscribe(addresses: readonly AddressPayload[], now: number): LightClientCommand[] {
    return this.#run(now, () => {
      const gone: AddressPayload[] = []
      for (const address of addresses) {
        const hex = bytesToHex(address)
        const w = this.#watched.get(hex)
        if (w === undefined) continue
        this.#clearResyncTimer(hex, w)
        this.#watched.delete(hex)
        gone.push(w.address)
      }
      if (this.#connected && gone.length > 0)
        this.#request({ kind: 'unsubscribe' }, (requestId) => ({
          type: 'UTXOUnsubscribe',
          requestId,
          addresses: gone,
        }))
    })
  }

  /**
   * Submits `tx`: the `submitted` event with this request id says whether the masternode admitted
   * it. Throws WALLET_DISCONNECTED when no stream is open.
   */
  submit(tx: Transaction, now: number): { requestId: number; commands: LightClientCommand[] } {
    let requestId = 0
    const commands = this.#run(now, () => {
      if (!this.#connected)
        throw new WalletError('WALLET_DISCONNECTED', 'no wallet stream is open to submit on')
      const txid = computeTxid(tx)
      requestId = this.#request({ kind: 'submit', txid }, (id) => ({
        type: 'SubmitTransaction',
        requestId: id,
        tx,
      }))
    })
    return { requestId, commands }
  }

  /** Reads a watched address again from the masternode (all its outputs, with their proofs). */
  resync(address: AddressPayload, now: number): LightClientCommand[] {
    return this.#run(now, () => {
      const hex = bytesToHex(address)
      const w = this.#watched.get(hex)
      if (w !== undefined && this.#connected) this.#startResync(hex, w)
    })
  }

  // ── inputs ──

  handle(input: LightClientInput, now: number): LightClientCommand[] {
    return this.#run(now, () => {
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
          return this.#onVerified(input.id, input.verdicts)
      }
    })
  }

  #run(now: number, body: () => void): LightClientCommand[] {
    this.#now = now
    this.#out = []
    body()
    const out = this.#out
    this.#out = []
    return out
  }

  #emit(event: LightClientEvent): void {
    this.#out.push({ type: 'event', event })
  }

  #onConnected(): void {
    if (this.#connected) return
    this.#connected = true
    this.#fetchCommittees(this.epoch)
    const all = [...this.#watched.values()].map((w) => w.address)
    if (all.length > 0) this.#sendSubscribe(all)
  }

  #onDisconnected(): void {
    if (!this.#connected) return
    this.#connected = false
    for (const [requestId, pending] of this.#requests) {
      this.#out.push({ type: 'clearTimer', id: timeoutTimer(requestId) })
      if (pending.kind === 'submit')
        this.#emit({
          type: 'submitted',
          requestId,
          txid: pending.txid,
          error: { code: 'WALLET_DISCONNECTED', message: 'the wallet stream closed' },
        })
    }
    this.#requests.clear()
    this.#arrivals.length = 0
    this.#backlog = 0
    this.#awaiting.clear()
    this.#verifying.clear()
    this.#fetchingCommittees = false
    for (const [hex, w] of this.#watched) {
      this.#clearResyncTimer(hex, w)
      w.server = null
      w.resync = null
    }
  }

  #onTimer(id: string): void {
    if (id.startsWith('request:')) {
      const requestId = Number(id.slice('request:'.length))
      if (!this.#requests.has(requestId)) return
      // A long-lived stream whose request goes unanswered counts as broken (PROTOCOL.md §19.2).
      this.#out.push({
        type: 'close',
        error: new WalletError(
          'WALLET_REQUEST_TIMEOUT',
          `request ${requestId} unanswered after ${this.#timeoutMs} ms`,
        ),
      })
      return
    }
    if (id.startsWith('resync:')) {
      const hex = id.slice('resync:'.length)
      const w = this.#watched.get(hex)
      if (w === undefined) return
      w.timer = false
      if (!this.#connected || w.server === null || w.resync !== null) return
      if (!equalBytes(w.server, this.#status(w))) this.#startResync(hex, w)
    }
  }

  // ── frames ──

  #onFrame(frame: Uint8Array): void {
    if (!this.#connected) return
    let message: WalletResponse
    try {
      message = PROTOCOLS.wallet.listener!.decode(frame) as WalletResponse
    } catch (error) {
      return this.#broken(error)
    }
    switch (message.type) {
      case 'UTXOStateNotification':
        return this.#onNotification(message.utxo, message.status)
      case 'NewTransactionNotification':
        return this.#emit({ type: 'transaction', txid: computeTxid(message.tx), tx: message.tx })
      case 'UTXOSubscribeAnswer':
        return this.#onSubscribed(message)
      case 'UTXOStateAnswer':
        return this.#onPage(message)
      case 'SubmitResult':
        return this.#onSubmitResult(message)
      case 'CommitteeProofAnswer':
        return this.#onCommitteeProof(message)
      case 'Error':
        return this.#onError(message.requestId, message.error)
    }
  }

  /** The masternode broke the protocol: the stream is closed (a `disconnected` input follows). */
  #broken(error: unknown): void {
    const typed =
      error instanceof TimeCoinError
        ? error
        : new WalletError('WALLET_UNKNOWN_REQUEST', String(error), PeerAction.LowToleranceError)
    this.#out.push({ type: 'close', error: typed })
  }

  /** Takes the request a message answers; a message answering nothing breaks the stream. */
  #answered<K extends Pending['kind']>(
    requestId: number,
    kind: K,
  ): Extract<Pending, { kind: K }> | undefined {
    const pending = this.#requests.get(requestId)
    if (pending === undefined || pending.kind !== kind) {
      this.#broken(
        new WalletError(
          'WALLET_UNKNOWN_REQUEST',
          `an answer to ${pending === undefined ? 'no request' : `a ${pending.kind}`} (id ${requestId})`,
          PeerAction.LowToleranceError,
        ),
      )
      return undefined
    }
    this.#requests.delete(requestId)
    this.#out.push({ type: 'clearTimer', id: timeoutTimer(requestId) })
    return pending as Extract<Pending, { kind: K }>
  }

  #onNotification(utxo: WalletUtxo, status: Uint8Array): void {
    const address = bytesToHex(utxo.output.address)
    if (!this.#watched.has(address)) return
    const item = this.#item(utxo)
    this.#arrive({ kind: 'notification', address, item, status })
  }

  #onSubscribed(message: Extract<WalletMessage, { type: 'UTXOSubscribeAnswer' }>): void {
    const pending = this.#requests.get(message.requestId)
    if (pending?.kind === 'unsubscribe') {
      this.#answered(message.requestId, 'unsubscribe')
      return
    }
    if (this.#answered(message.requestId, 'subscribe') === undefined) return
    this.#arrive({ kind: 'statuses', statuses: message.statuses })
  }

  #onPage(message: Extract<WalletMessage, { type: 'UTXOStateAnswer' }>): void {
    const pending = this.#answered(message.requestId, 'query')
    if (pending === undefined) return
    const address = bytesToHex(message.address)
    if (address !== pending.address || message.from !== pending.from)
      return this.#broken(
        new WalletError(
          'WALLET_UNKNOWN_REQUEST',
          'an answer for another address or page than asked',
          PeerAction.LowToleranceError,
        ),
      )
    const items = message.utxos.map((u) => {
      if (!equalBytes(u.output.address, message.address)) {
        const item: Item = { utxo: u, waiting: false, error: null }
        item.error = new WalletError(
          'WALLET_PROOF_INVALID',
          'an output of another address in the answer',
          PeerAction.LowToleranceError,
        )
        return item
      }
      return this.#item(u)
    })
    this.#arrive({
      kind: 'page',
      requestId: message.requestId,
      address,
      status: message.status,
      total: message.total,
      from: message.from,
      items,
    })
  }

  #onSubmitResult(message: Extract<WalletMessage, { type: 'SubmitResult' }>): void {
    const pending = this.#answered(message.requestId, 'submit')
    if (pending === undefined) return
    if (!equalBytes(pending.txid, message.txid))
      return this.#broken(
        new WalletError(
          'WALLET_UNKNOWN_REQUEST',
          'a submit result for another transaction',
          PeerAction.LowToleranceError,
        ),
      )
    this.#emit({
      type: 'submitted',
      requestId: message.requestId,
      txid: pending.txid,
      error: message.error,
    })
  }

  #onError(requestId: number, error: WireError): void {
    if (requestId === 0) return this.#emit({ type: 'error', requestId, error })
    const pending = this.#requests.get(requestId)
    if (pending === undefined)
      return this.#broken(
        new WalletError(
          'WALLET_UNKNOWN_REQUEST',
          `an error for no request (id ${requestId})`,
          PeerAction.LowToleranceError,
        ),
      )
    this.#requests.delete(requestId)
    this.#out.push({ type: 'clearTimer', id: timeoutTimer(requestId) })
    switch (pending.kind) {
      case 'submit':
        return this.#emit({ type: 'submitted', requestId, txid: pending.txid, error })
      case 'query': {
        const w = this.#watched.get(pending.address)
        if (w?.resync?.requestId === requestId) {
          w.resync = null
          this.#scheduleResync(pending.address, w)
        }
        break
      }
      case 'committee':
        this.#fetchingCommittees = false
        this.#refuseAwaiting(
          () =>
            new WalletError(
              'WALLET_PROOF_INVALID',
              `no committee proof: ${error.code}`,
              PeerAction.LowToleranceError,
            ),
        )
        break
      case 'subscribe':
      case 'unsubscribe':
        break
    }
    this.#emit({ type: 'error', requestId, error })
  }

  // ── requests ──

  #request(pending: Pending, build: (requestId: number) => WalletMessage): number {
    if (this.#requests.size >= this.#maxRequests)
      throw new WalletError(
        'WALLET_TOO_MANY_REQUESTS',
        `${this.#requests.size} wallet requests in flight, limit ${this.#maxRequests}`,
      )
    const requestId = this.#nextRequest
    this.#nextRequest = this.#nextRequest >= 0xffff_ffff ? 1 : this.#nextRequest + 1
    const frame = PROTOCOLS.wallet.dialer.encode(build(requestId) as never)
    this.#requests.set(requestId, pending)
    this.#out.push({ type: 'send', frame })
    this.#out.push({
      type: 'setTimer',
      id: timeoutTimer(requestId),
      at: this.#now + this.#timeoutMs,
    })
    return requestId
  }

  #sendSubscribe(addresses: readonly AddressPayload[]): void {
    this.#request({ kind: 'subscribe', addresses: addresses.map(bytesToHex) }, (requestId) => ({
      type: 'UTXOSubscribe',
      requestId,
      addresses,
    }))
  }

  #startResync(hex: string, w: Watched): void {
    this.#clearResyncTimer(hex, w)
    w.attempts++
    const requestId = this.#request({ kind: 'query', address: hex, from: 0 }, (id) => ({
      type: 'UTXOStateQuery',
      requestId: id,
      address: w.address,
      from: 0,
    }))
    w.resync = { requestId, status: null, collected: new Map() }
  }

  #nextPage(hex: string, w: Watched, from: number): void {
    const requestId = this.#request({ kind: 'query', address: hex, from }, (id) => ({
      type: 'UTXOStateQuery',
      requestId: id,
      address: w.address,
      from,
    }))
    if (w.resync !== null) w.resync = { ...w.resync, requestId }
  }

  #scheduleResync(hex: string, w: Watched): void {
    if (w.timer || !this.#connected) return
    w.timer = true
    const delay = this.#resyncDelayMs * 2 ** Math.min(w.attempts, MAX_RESYNC_DOUBLINGS)
    this.#out.push({ type: 'setTimer', id: resyncTimer(hex), at: this.#now + delay })
  }

  #clearResyncTimer(hex: string, w: Watched): void {
    if (!w.timer) return
    w.timer = false
    this.#out.push({ type: 'clearTimer', id: resyncTimer(hex) })
  }

  // ── checking ──

  /** Starts checking one output's proof. */
  #item(utxo: WalletUtxo): Item {
    const item: Item = { utxo, waiting: false, error: null }
    const epoch = proofEpoch(utxo.proof)
    if (epoch === null) {
      this.#check(item, null)
      return item
    }
    const committee = this.#committees.get(epoch)
    if (committee !== undefined) {
      this.#check(item, committee)
      return item
    }
    item.waiting = true
    const list = this.#awaiting.get(epoch) ?? []
    list.push(item)
    this.#awaiting.set(epoch, list)
    this.#fetchFor(epoch)
    return item
  }

  /** Structure now; signatures through a `verify` command. Settles the item when done. */
  #check(item: Item, committee: Committee | null): void {
    let bundle: SignatureBundle
    try {
      bundle = checkUtxoProof(item.utxo, committee, this.genesisHash)
    } catch (error) {
      if (!(error instanceof TimeCoinError)) throw error
      item.waiting = false
      item.error = error
      return
    }
    if (bundle.checks.length === 0) {
      item.waiting = false
      return
    }
    item.waiting = true
    this.#verify(bundle, (error) => {
      item.waiting = false
      item.error = error
      this.#drain()
    })
  }

  #verify(bundle: SignatureBundle, done: (error: TimeCoinError | null) => void): void {
    const id = this.#nextVerify++
    this.#verifying.set(id, { bundle, done })
    this.#out.push({ type: 'verify', id, checks: bundle.checks })
  }

  #onVerified(id: number, verdicts: readonly boolean[]): void {
    const v = this.#verifying.get(id)
    if (v === undefined) return // asked before a disconnect: its item is gone
    this.#verifying.delete(id)
    let error: TimeCoinError | null = null
    try {
      if (verdicts.length !== v.bundle.checks.length) throw new RangeError('a verdict per check')
      assertVerdicts(v.bundle, verdicts)
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      error = e
    }
    v.done(error)
  }

  // ── committees ──

  #fetchCommittees(fromEpoch: number): void {
    if (this.#fetchingCommittees || !this.#connected) return
    this.#fetchingCommittees = true
    this.#request({ kind: 'committee', fromEpoch }, (requestId) => ({
      type: 'CommitteeProofRequest',
      requestId,
      fromEpoch,
    }))
  }

  #onCommitteeProof(message: Extract<WalletMessage, { type: 'CommitteeProofAnswer' }>): void {
    const pending = this.#answered(message.requestId, 'committee')
    if (pending === undefined) return
    const { steps } = message
    const reached = pending.fromEpoch + steps.length
    const wrong = (why: string) =>
      this.#broken(
        new WalletError(
          'WALLET_PROOF_INVALID',
          `committee proof: ${why}`,
          PeerAction.LowToleranceError,
        ),
      )
    if (message.fromEpoch !== pending.fromEpoch) return wrong('steps from another epoch')
    if (steps.length === 0 && message.currentEpoch > pending.fromEpoch)
      return wrong(`no steps, yet at epoch ${message.currentEpoch}`)
    if (reached > message.currentEpoch) return wrong('steps past the current epoch')
    this.#serverEpoch = message.currentEpoch
    const from = this.#committees.get(pending.fromEpoch)
    if (from === undefined || steps.length === 0) return this.#walked(reached)
    try {
      checkCommitteeProof(from, steps)
    } catch (error) {
      if (!(error instanceof TimeCoinError)) throw error
      return this.#badCommittee(error)
    }
    this.#verify(committeeProofBundle(steps, this.genesisHash), (error) => {
      if (error !== null) return this.#badCommittee(error)
      let epoch = pending.fromEpoch
      for (const step of steps) {
        epoch++
        if (this.#committees.has(epoch)) continue
        // checkCommitteeProof built this committee from these members: they form one.
        this.#committees.set(epoch, new Committee(epoch, step.members))
        this.#emit({ type: 'committee', epoch })
      }
      this.#walked(reached)
    })
  }

  #badCommittee(error: TimeCoinError): void {
    this.#fetchingCommittees = false
    this.#emit({ type: 'refused', address: null, outpoint: null, error })
    this.#broken(error)
  }

  /**
   * A committee answer is in: what waited for a committee now held is checked, what names an
   * epoch past the masternode's is refused; then older committees are dropped past the bound and
   * the walk goes on — up to the masternode's epoch, or back for a dropped one still awaited.
   */
  #walked(reached: number): void {
    this.#fetchingCommittees = false
    for (const [epoch, items] of [...this.#awaiting]) {
      const committee = this.#committees.get(epoch)
      if (committee === undefined && epoch <= this.#serverEpoch) continue
      this.#awaiting.delete(epoch)
      for (const item of items) {
        if (committee !== undefined) this.#check(item, committee)
        else {
          item.waiting = false
          item.error = new WalletError(
            'WALLET_PROOF_INVALID',
            `a certificate of epoch ${epoch}; the masternode is at epoch ${this.#serverEpoch}`,
            PeerAction.LowToleranceError,
          )
        }
      }
    }
    while (this.#committees.size > this.#maxCommittees + 1) {
      const lowest = Math.min(...[...this.#committees.keys()].filter((e) => e !== 0))
      this.#committees.delete(lowest)
    }
    const top = this.epoch
    if (reached === top && top < this.#serverEpoch) this.#fetchCommittees(top)
    else for (const epoch of this.#awaiting.keys()) this.#fetchFor(epoch)
    this.#drain()
  }

  /** Asks for the committees up to `epoch`, from the nearest one held below it. */
  #fetchFor(epoch: number): void {
    let from = 0
    for (const e of this.#committees.keys()) if (e < epoch && e > from) from = e
    this.#fetchCommittees(from)
  }

  #refuseAwaiting(error: () => TimeCoinError): void {
    for (const items of this.#awaiting.values())
      for (const item of items) {
        item.waiting = false
        item.error = error()
      }
    this.#awaiting.clear()
    this.#drain()
  }

  // ── applying, in arrival order ──

  #arrive(arrival: Arrival): void {
    this.#arrivals.push(arrival)
    this.#backlog += weight(arrival)
    this.#drain()
  }

  #ready(a: Arrival): boolean {
    if (a.kind === 'notification') return !a.item.waiting
    if (a.kind === 'page') return a.items.every((i) => !i.waiting)
    return true
  }

  /** Applies every checked arrival at the head of the queue. */
  #drain(): void {
    while (this.#arrivals.length > 0 && this.#ready(this.#arrivals[0]!)) {
      const a = this.#arrivals.shift()!
      this.#backlog -= weight(a)
      if (a.kind === 'notification') this.#applyNotification(a)
      else if (a.kind === 'statuses') this.#applyStatuses(a.statuses)
      else this.#applyPage(a)
    }
  }

  #refused(w: Watched, item: Item): void {
    this.#emit({
      type: 'refused',
      address: w.address,
      outpoint: item.utxo.outpoint,
      error: item.error!,
    })
  }

  #applyNotification(a: Extract<Arrival, { kind: 'notification' }>): void {
    const w = this.#watched.get(a.address)
    if (w === undefined) return
    if (a.item.error !== null) this.#refused(w, a.item)
    else this.#hold(w, a.item.utxo)
    w.server = a.status
    this.#compare(a.address, w)
  }

  #applyStatuses(statuses: readonly AddressStatus[]): void {
    for (const { address, status } of statuses) {
      const hex = bytesToHex(address)
      const w = this.#watched.get(hex)
      if (w === undefined) continue
      w.server = status
      if (equalBytes(status, this.#status(w))) this.#inStep(hex, w)
      else if (w.resync === null) this.#startResync(hex, w)
    }
  }

  #applyPage(a: Extract<Arrival, { kind: 'page' }>): void {
    const w = this.#watched.get(a.address)
    const resync = w?.resync
    if (w === undefined || resync === undefined || resync === null) return
    for (const item of a.items) if (item.error !== null) this.#refused(w, item)
    if (resync.status !== null && !equalBytes(resync.status, a.status)) {
      // The address changed between pages: read it again from the start.
      w.resync = null
      return this.#startResync(a.address, w)
    }
    resync.status = a.status
    for (const item of a.items)
      if (item.error === null)
        resync.collected.set(outputKey(item.utxo.outpoint), {
          utxo: item.utxo,
          proven: item.utxo.proof.kind !== 'none',
        })
    const next = a.from + a.items.length
    if (next < a.total && a.items.length > 0) return this.#nextPage(a.address, w, next)
    w.resync = null
    this.#replace(w, resync.collected)
    w.server = a.status
    this.#compare(a.address, w)
  }

  /** Holds one output's new state. */
  #hold(w: Watched, utxo: WalletUtxo): void {
    const held: HeldUtxo = { utxo, proven: utxo.proof.kind !== 'none' }
    w.outputs.set(outputKey(utxo.outpoint), held)
    w.status = null
    this.#emit({ type: 'utxo', address: w.address, held })
  }

  /** A resync's result replaces the address's outputs. */
  #replace(w: Watched, next: ReadonlyMap<string, HeldUtxo>): void {
    for (const [key, held] of w.outputs)
      if (!next.has(key)) {
        w.outputs.delete(key)
        this.#emit({ type: 'removed', address: w.address, outpoint: held.utxo.outpoint })
      }
    for (const [key, held] of next) {
      const before = w.outputs.get(key)
      w.outputs.set(key, held)
      if (before === undefined || !sameState(before.utxo, held.utxo))
        this.#emit({ type: 'utxo', address: w.address, held })
    }
    w.status = null
  }

  /** After a change: in step with the masternode, or a resync after a short wait. */
  #compare(hex: string, w: Watched): void {
    if (w.server === null || w.resync !== null) return
    if (equalBytes(w.server, this.#status(w))) this.#inStep(hex, w)
    else this.#scheduleResync(hex, w)
  }

  #inStep(hex: string, w: Watched): void {
    this.#clearResyncTimer(hex, w)
    w.attempts = 0
    this.#emit({ type: 'synced', address: w.address, status: w.server! })
  }

  #status(w: Watched): Uint8Array {
    w.status ??= addressStatus([...w.outputs.values()].map((h) => h.utxo))
    return w.status
  }
}

function weight(a: Arrival): number {
  return a.kind === 'page' ? a.items.length : 1
}

function sameState(a: WalletUtxo, b: WalletUtxo): boolean {
  const x = a.state
  const y = b.state
  if (x.kind !== y.kind) return false
  if (x.kind === 'Unspent' || y.kind === 'Unspent') return true
  if (!equalBytes(x.txid, y.txid)) return false
  if (x.kind === 'SpentPending' && y.kind === 'SpentPending') return x.votes === y.votes
  if (x.kind === 'Confirmed' && y.kind === 'Confirmed') return x.height === y.height
  return true
}
