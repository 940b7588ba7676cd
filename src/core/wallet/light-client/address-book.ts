/**
 * The light client's watched addresses: their outputs and status hashes, the subscriptions that
 * keep them current, the resyncs (paged `UTXOStateQuery` reads) that bring an address back in step
 * after a reconnect or a status mismatch, and the queue of what the masternode sent, applied in
 * the order it was sent once the proof checks of its outputs settled.
 *
 * Invariants: arrivals are applied in arrival order, each only when every item in it is checked (a
 * refused item is reported and not applied); at most `maxAddresses` addresses are watched; an
 * address has at most one resync and one resync timer at a time, and its resync delay doubles per
 * failed attempt (up to 2^6 × the base); `backlog` is the number of outputs in arrivals not yet
 * applied; a disconnect keeps the addresses and their outputs, nothing else.
 */
import { bytesToHex, equalBytes } from '../../encoding/bytes.ts'
import { PeerAction, WalletError } from '../../errors.ts'
import type { AddressPayload } from '../../primitives/address.ts'
import { type OutPoint, OutPointCodec } from '../../primitives/outpoint.ts'
import { addressStatus, type WalletUtxo } from '../../protocol/utxo-proofs.ts'
import {
  type AddressStatus,
  MAX_WALLET_ADDRESSES,
  type WalletMessage,
} from '../../protocol/wallet-messages.ts'
import type { ClientIo, HeldUtxo } from './light-client-io.ts'
import type { Item, ProofChecker } from './proof-checks.ts'
import type { RequestTracker } from './requests.ts'

/** Resync delays double per failed attempt up to this many doublings (1 s … 64 s). */
const MAX_RESYNC_DOUBLINGS = 6

const RESYNC = 'resync:'

/** Whether timer `id` is an address's resync timer (hand it to `AddressBook.onResyncTimer`). */
export function isResyncTimer(id: string): boolean {
  return id.startsWith(RESYNC)
}

function resyncTimer(address: string): string {
  return `${RESYNC}${address}`
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

export interface AddressBookInit {
  readonly resyncDelayMs: number
  readonly maxAddresses: number
}

export class AddressBook {
  readonly #io: ClientIo
  readonly #requests: RequestTracker
  readonly #checker: ProofChecker
  readonly #resyncDelayMs: number
  readonly #maxAddresses: number
  /** Watched addresses by payload (hex), ≤ `maxAddresses`. */
  readonly #watched = new Map<string, Watched>()
  readonly #arrivals: Arrival[] = []
  /** Outputs in `#arrivals` (a page counts its outputs). */
  #backlog = 0

  constructor(
    io: ClientIo,
    requests: RequestTracker,
    checker: ProofChecker,
    init: AddressBookInit,
  ) {
    this.#io = io
    this.#requests = requests
    this.#checker = checker
    this.#resyncDelayMs = init.resyncDelayMs
    this.#maxAddresses = init.maxAddresses
    if (!(this.#maxAddresses >= 1 && this.#maxAddresses <= MAX_WALLET_ADDRESSES))
      throw new RangeError(`maxAddresses is between 1 and ${MAX_WALLET_ADDRESSES}`)
  }

  // ── reading ──

  get size(): number {
    return this.#watched.size
  }

  get backlog(): number {
    return this.#backlog
  }

  outputs(address: AddressPayload): HeldUtxo[] {
    const w = this.#watched.get(bytesToHex(address))
    if (w === undefined) return []
    return [...w.outputs.keys()].sort().map((k) => w.outputs.get(k)!)
  }

  statusOf(address: AddressPayload): Uint8Array | undefined {
    const w = this.#watched.get(bytesToHex(address))
    return w === undefined ? undefined : this.#status(w)
  }

  isSynced(address: AddressPayload): boolean {
    const w = this.#watched.get(bytesToHex(address))
    return (
      w !== undefined &&
      w.server !== null &&
      w.resync === null &&
      equalBytes(w.server, this.#status(w))
    )
  }

  // ── the application's requests ──

  subscribe(addresses: readonly AddressPayload[]): void {
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
    if (this.#io.connected && fresh.length > 0) this.#sendSubscribe(fresh)
  }

  unsubscribe(addresses: readonly AddressPayload[]): void {
    const gone: AddressPayload[] = []
    for (const address of addresses) {
      const hex = bytesToHex(address)
      const w = this.#watched.get(hex)
      if (w === undefined) continue
      this.#clearResyncTimer(hex, w)
      this.#watched.delete(hex)
      gone.push(w.address)
    }
    if (this.#io.connected && gone.length > 0)
      this.#requests.send({ kind: 'unsubscribe' }, (requestId) => ({
        type: 'UTXOUnsubscribe',
        requestId,
        addresses: gone,
      }))
  }

  resync(address: AddressPayload): void {
    const hex = bytesToHex(address)
    const w = this.#watched.get(hex)
    if (w !== undefined && this.#io.connected) this.#startResync(hex, w)
  }

  // ── the stream ──

  /** The stream opened: every watched address is subscribed again. */
  connected(): void {
    const all = [...this.#watched.values()].map((w) => w.address)
    if (all.length > 0) this.#sendSubscribe(all)
  }

  /** The stream closed: what was not applied is dropped; the addresses keep their outputs. */
  disconnected(): void {
    this.#arrivals.length = 0
    this.#backlog = 0
    for (const [hex, w] of this.#watched) {
      this.#clearResyncTimer(hex, w)
      w.server = null
      w.resync = null
    }
  }

  onResyncTimer(id: string): void {
    const hex = id.slice(RESYNC.length)
    const w = this.#watched.get(hex)
    if (w === undefined) return
    w.timer = false
    if (!this.#io.connected || w.server === null || w.resync !== null) return
    if (!equalBytes(w.server, this.#status(w))) this.#startResync(hex, w)
  }

  // ── frames ──

  onNotification(utxo: WalletUtxo, status: Uint8Array): void {
    const address = bytesToHex(utxo.output.address)
    if (!this.#watched.has(address)) return
    const item = this.#checker.item(utxo)
    this.#arrive({ kind: 'notification', address, item, status })
  }

  onSubscribed(message: Extract<WalletMessage, { type: 'UTXOSubscribeAnswer' }>): void {
    const pending = this.#requests.get(message.requestId)
    if (pending?.kind === 'unsubscribe') {
      this.#requests.answered(message.requestId, 'unsubscribe')
      return
    }
    if (this.#requests.answered(message.requestId, 'subscribe') === undefined) return
    this.#arrive({ kind: 'statuses', statuses: message.statuses })
  }

  onPage(message: Extract<WalletMessage, { type: 'UTXOStateAnswer' }>): void {
    const pending = this.#requests.answered(message.requestId, 'query')
    if (pending === undefined) return
    const address = bytesToHex(message.address)
    if (address !== pending.address || message.from !== pending.from)
      return this.#io.broken(
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
      return this.#checker.item(u)
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

  /** The masternode refused a page of `address`'s resync: it is tried again after a wait. */
  queryRefused(address: string, requestId: number): void {
    const w = this.#watched.get(address)
    if (w?.resync?.requestId === requestId) {
      w.resync = null
      this.#scheduleResync(address, w)
    }
  }

  // ── requests ──

  #sendSubscribe(addresses: readonly AddressPayload[]): void {
    this.#requests.send(
      { kind: 'subscribe', addresses: addresses.map(bytesToHex) },
      (requestId) => ({
        type: 'UTXOSubscribe',
        requestId,
        addresses,
      }),
    )
  }

  #startResync(hex: string, w: Watched): void {
    this.#clearResyncTimer(hex, w)
    w.attempts++
    const requestId = this.#requests.send({ kind: 'query', address: hex, from: 0 }, (id) => ({
      type: 'UTXOStateQuery',
      requestId: id,
      address: w.address,
      from: 0,
    }))
    w.resync = { requestId, status: null, collected: new Map() }
  }

  #nextPage(hex: string, w: Watched, from: number): void {
    const requestId = this.#requests.send({ kind: 'query', address: hex, from }, (id) => ({
      type: 'UTXOStateQuery',
      requestId: id,
      address: w.address,
      from,
    }))
    if (w.resync !== null) w.resync = { ...w.resync, requestId }
  }

  #scheduleResync(hex: string, w: Watched): void {
    if (w.timer || !this.#io.connected) return
    w.timer = true
    const delay = this.#resyncDelayMs * 2 ** Math.min(w.attempts, MAX_RESYNC_DOUBLINGS)
    this.#io.push({ type: 'setTimer', id: resyncTimer(hex), at: this.#io.now + delay })
  }

  #clearResyncTimer(hex: string, w: Watched): void {
    if (!w.timer) return
    w.timer = false
    this.#io.push({ type: 'clearTimer', id: resyncTimer(hex) })
  }

  // ── applying, in arrival order ──

  #arrive(arrival: Arrival): void {
    this.#arrivals.push(arrival)
    this.#backlog += weight(arrival)
    this.drain()
  }

  #ready(a: Arrival): boolean {
    if (a.kind === 'notification') return !a.item.waiting
    if (a.kind === 'page') return a.items.every((i) => !i.waiting)
    return true
  }

  /** Applies every checked arrival at the head of the queue. */
  drain(): void {
    while (this.#arrivals.length > 0 && this.#ready(this.#arrivals[0]!)) {
      const a = this.#arrivals.shift()!
      this.#backlog -= weight(a)
      if (a.kind === 'notification') this.#applyNotification(a)
      else if (a.kind === 'statuses') this.#applyStatuses(a.statuses)
      else this.#applyPage(a)
    }
  }

  #refused(w: Watched, item: Item): void {
    this.#io.emit({
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
    this.#io.emit({ type: 'utxo', address: w.address, held })
  }

  /** A resync's result replaces the address's outputs. */
  #replace(w: Watched, next: ReadonlyMap<string, HeldUtxo>): void {
    for (const [key, held] of w.outputs)
      if (!next.has(key)) {
        w.outputs.delete(key)
        this.#io.emit({ type: 'removed', address: w.address, outpoint: held.utxo.outpoint })
      }
    for (const [key, held] of next) {
      const before = w.outputs.get(key)
      w.outputs.set(key, held)
      if (before === undefined || !sameState(before.utxo, held.utxo))
        this.#io.emit({ type: 'utxo', address: w.address, held })
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
    this.#io.emit({ type: 'synced', address: w.address, status: w.server! })
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
