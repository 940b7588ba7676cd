/**
 * Fetching what this node lacks and asking again for what is still pending: transactions whose
 * parents are unknown wait as orphans (never rejected for it) while the parents are requested,
 * certificates that arrive before their parents are final wait too, and every pending transaction
 * is re-sent to the members with backoff (retryMinMs … retryMaxMs) until it is final.
 * Invariants:
 *  - An orphan is decided (or its waiting certificate applied) as soon as its parent is final,
 *    and only then.
 *  - A transaction is requested at most once per retryMinMs.
 *  - Retries stop once the transaction is final or has left the mempool.
 */
import type { FinalityCertificate } from '../consensus/certificate.ts'
import { fromHex } from '../encoding/bytes.ts'
import { txidKey } from '../ledger/map-keys.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'
import type { EngineContext, KnownTx } from './context.ts'
import type { PeerId } from './messages.ts'

const RETRY = 'retry:'
export const EXPIRE = 'expire'

/** The retry timer of a transaction (its id names the txid in hex: timer ids reach the host). */
function retryTimer(txid: Txid): string {
  return RETRY + txidToHex(txid)
}

/** Whether timer `id` is a retry timer of this part. */
export function isRetryTimer(id: string): boolean {
  return id.startsWith(RETRY)
}

export class Fetching {
  readonly #ctx: EngineContext
  /** parent txid → children waiting for it (unknown inputs). */
  readonly #orphans = new Map<string, Set<string>>()
  /** Certificates that arrived before their transaction's parents were final here. */
  readonly #pendingCerts = new Map<string, FinalityCertificate>()
  /** txid → when we last asked peers for it; asked again at most once per retryMinMs. */
  readonly #requested = new Map<string, number>()
  readonly #retryDelay = new Map<string, number>()

  constructor(ctx: EngineContext) {
    this.#ctx = ctx
  }

  /** `known` waits for `parents`; they are requested (from `from` and, with backoff, everyone). */
  defer(known: KnownTx, parents: readonly Txid[], from: PeerId | null): void {
    const child = txidKey(known.txid)
    for (const parent of parents) {
      const id = txidKey(parent)
      const waiting = this.#orphans.get(id) ?? new Set<string>()
      this.#orphans.set(id, waiting.add(child))
      this.request(parent, from)
    }
  }

  /** A certificate for a transaction whose parents are not final here yet: kept until they are. */
  holdCertificate(
    known: KnownTx,
    certificate: FinalityCertificate,
    parents: readonly Txid[],
  ): void {
    this.#pendingCerts.set(txidKey(known.txid), certificate)
    this.defer(known, parents, null)
  }

  /** Asks for a transaction: `from` alone, or (with `everyone`) every member too. */
  request(txid: Txid, from: PeerId | null, everyone = true): void {
    const ctx = this.#ctx
    const id = txidKey(txid)
    const last = this.#requested.get(id)
    if (last !== undefined && ctx.now - last < ctx.retryMinMs) return
    this.#requested.set(id, ctx.now)
    const targets = new Set(everyone || from === null ? ctx.epochs.voters : [])
    if (from !== null) targets.add(from)
    targets.delete(ctx.self)
    for (const peer of targets) ctx.send(peer, { type: 'TransactionRequest', txid })
  }

  onTransactionRequest(txid: Txid, from: PeerId): void {
    const ctx = this.#ctx
    const known = ctx.known(txidKey(txid))
    if (known === undefined) return
    const certificate = ctx.certificateOf(txid)
    if (certificate !== undefined)
      ctx.send(from, { type: 'FinalityCertificate', tx: known.tx, certificate })
    else ctx.send(from, { type: 'TransactionBroadcast', tx: known.tx })
  }

  /** `txid` is final: stop asking for it, and wake the transactions that waited for it. */
  onFinal(txid: Txid): void {
    const id = txidKey(txid)
    this.#pendingCerts.delete(id)
    this.#retryDelay.delete(id)
    this.#requested.delete(id)
    this.#ctx.emit({ type: 'clearTimer', id: retryTimer(txid) })
    const children = this.#orphans.get(id)
    if (children === undefined) return
    this.#orphans.delete(id)
    const ctx = this.#ctx
    for (const child of children) {
      const known = ctx.known(child)
      if (known === undefined) continue
      const certificate = this.#pendingCerts.get(child)
      if (certificate !== undefined) ctx.finality.finalize(known, certificate)
      else if (
        ctx.voting.decisionOf(known.txid) === undefined &&
        ctx.ledger.mempool.get(known.txid) === undefined
      )
        ctx.voting.decide(known, null)
    }
  }

  /** Starts re-sending a pending transaction to the members, with backoff. */
  armRetry(txid: Txid): void {
    const ctx = this.#ctx
    const id = txidKey(txid)
    if (this.#retryDelay.has(id)) return
    this.#retryDelay.set(id, ctx.retryMinMs)
    ctx.emit({ type: 'setTimer', id: retryTimer(txid), at: ctx.now + ctx.retryMinMs })
  }

  /** Transactions that left the mempool (expired locks): no more retries. */
  dropRetries(txids: readonly Txid[]): void {
    for (const txid of txids) this.#retryDelay.delete(txidKey(txid))
  }

  onRetryTimer(timer: string): void {
    const ctx = this.#ctx
    const id = txidKey(fromHex(timer.slice(RETRY.length), 32))
    const known = ctx.known(id)
    const delay = this.#retryDelay.get(id)
    if (known === undefined || delay === undefined || ctx.isFinal(known.txid)) return
    if (ctx.ledger.mempool.get(known.txid) === undefined) return void this.#retryDelay.delete(id)
    // First ask the members whose vote is missing; from then on ask everyone, since a member
    // that already voted may be final and answers with the certificate.
    const voted = delay === ctx.retryMinMs ? ctx.finality.votersOf(known.txid) : new Set<string>()
    const message = { type: 'InstantFinalityRequest' as const, tx: known.tx }
    for (const peer of ctx.epochs.voters)
      if (!voted.has(peer) && peer !== ctx.self) ctx.send(peer, message)
    const next = Math.min(delay * 2, ctx.retryMaxMs)
    this.#retryDelay.set(id, next)
    ctx.emit({ type: 'setTimer', id: timer, at: ctx.now + next })
  }
}
