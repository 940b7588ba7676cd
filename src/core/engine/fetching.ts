/**
 * Fetching what this node lacks and asking again for what is still pending: transactions whose
 * parents are unknown wait as orphans (never rejected for it) while the parents are requested,
 * certificates that arrive before their parents are final wait too, and every pending transaction
 * is re-sent to the members with backoff (retryMinMs … retryMaxMs) until it is final.
 * Invariants:
 *  - An orphan is decided (or its waiting certificate applied) as soon as all its missing parents
 *    are here, and only then.
 *  - No amplification: a parent is asked of the orphan's sender first, then of one other member
 *    at a time with backoff; orphans are bounded per transaction (missing parents), per peer and
 *    in all (orphans.ts, limits.ts); a peer whose orphans' parents never appear is penalized.
 *  - A transaction is requested at most once per retryMinMs.
 *  - Retries stop once the transaction is final or has left the mempool.
 */
import type { FinalityCertificate } from '../consensus/certificate.ts'
import { PeerAction, PeerError } from '../errors.ts'
import { txidKey } from '../ledger/map-keys.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'
import type { EngineContext, KnownTx } from './context.ts'
import type { PeerId } from './messages.ts'
import { type Orphan, OrphanPool } from './orphans.ts'
import { RetrySchedule } from './retry-schedule.ts'

export const EXPIRE = 'expire'
/** The one timer of the orphan pool: its next ask for a parent, or its next expiry. */
export const ORPHANS = 'orphans'
/** The one timer of every retry: the earliest due in the retry schedule. */
export const RETRY = 'retry'

export class Fetching {
  readonly #ctx: EngineContext
  readonly #orphans: OrphanPool
  /** When the orphan timer is armed for (null: not armed). */
  #orphanTimer: number | null = null
  /** txid → when we last asked peers for it; asked again at most once per retryMinMs. */
  readonly #requested = new Map<string, number>()
  /** The pending transactions to re-send, each with its backoff delay. */
  readonly #retries = new RetrySchedule()
  /** When the retry timer is armed for (null: not armed). */
  #retryTimer: number | null = null

  constructor(ctx: EngineContext) {
    this.#ctx = ctx
    this.#orphans = new OrphanPool(ctx.limits, { minMs: ctx.retryMinMs, maxMs: ctx.retryMaxMs })
  }

  /**
   * `known` waits for `parents` (its inputs' txids not in the UTXO set): it is kept as an orphan
   * and each parent not awaited yet is asked of `from` (of one member when `from` is null).
   * Not kept, and nothing asked: a transaction naming more distinct missing parents than
   * `maxMissingParents`, one from a peer with `maxOrphansPerPeer` orphans waiting (which costs
   * it), and one whose missing inputs are outputs final parents do not have.
   */
  defer(known: KnownTx, parents: readonly Txid[], from: PeerId | null): void {
    const ctx = this.#ctx
    const missing = new Map<string, Txid>()
    // A final parent has all its outputs here: an input still missing names none of them.
    for (const parent of parents) if (!ctx.isFinal(parent)) missing.set(txidKey(parent), parent)
    if (missing.size === 0) return
    const { result, evicted } = this.#orphans.add(
      known,
      txidKey(known.txid),
      missing,
      from,
      ctx.now,
    )
    if (result.kind === 'peerFull' && from !== null)
      ctx.reject(
        from,
        new PeerError(
          'PEER_ORPHANS_LIMIT',
          `more than ${ctx.limits.maxOrphansPerPeer} transactions waiting for unknown parents`,
          PeerAction.HighToleranceError,
        ),
      )
    for (const orphan of evicted) this.#dropped(orphan)
    if (result.kind !== 'added') return
    for (const parent of result.newParents) {
      // The sender spent those outputs, so it should have their transactions: ask it first.
      if (from !== null) this.request(parent, from, false)
      else this.#askOther(parent, 0, null)
    }
    this.#armOrphanTimer()
  }

  /** A certificate for a transaction whose parents are not final here yet: kept until they are. */
  holdCertificate(
    known: KnownTx,
    certificate: FinalityCertificate,
    parents: readonly Txid[],
  ): void {
    const id = txidKey(known.txid)
    if (this.#orphans.get(id) === undefined) this.defer(known, parents, null)
    const orphan = this.#orphans.get(id)
    if (orphan !== undefined) orphan.certificate = certificate
  }

  /** Whether a waiting orphan is `id` (its transaction must stay known). */
  holds(id: string): boolean {
    return this.#orphans.get(id) !== undefined
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
    // Its retry is forgotten; the timer, if it was the earliest, wakes once for nothing.
    this.#retries.cancel(id)
    this.#requested.delete(id)
    // Final by another path (a certificate in a proposal) while it waited as an orphan.
    this.#orphans.remove(id)
    for (const orphan of this.#orphans.arrived(id)) this.#wake(orphan)
  }

  /**
   * After a commit: parents whose outputs are here now by another path than their finality (a
   * block confirmed them, or they are a block's reward) wake their orphans too.
   */
  recheck(): void {
    const utxos = this.#ctx.ledger.utxos
    const here = new Set<string>()
    for (const orphan of this.#orphans.all())
      for (const { outpoint } of orphan.known.tx.inputs) {
        const parent = txidKey(outpoint.txid)
        if (orphan.awaiting.has(parent) && utxos.get(outpoint) !== undefined) here.add(parent)
      }
    for (const key of here) for (const orphan of this.#orphans.arrived(key)) this.#wake(orphan)
  }

  /** The orphan timer fired: ask other members for parents still missing, drop expired orphans. */
  onOrphanTimer(): void {
    const ctx = this.#ctx
    this.#orphanTimer = null
    for (const { txid, asks } of this.#orphans.due(ctx.now)) this.#askOther(txid, asks + 1, null)
    for (const orphan of this.#orphans.expire(ctx.now)) this.#dropped(orphan)
    this.#armOrphanTimer()
  }

  /** Starts re-sending a pending transaction to the members, with backoff. */
  armRetry(txid: Txid): void {
    const ctx = this.#ctx
    const id = txidKey(txid)
    if (this.#retries.has(id)) return
    this.#retries.add(id, txid, ctx.retryMinMs, ctx.now)
    this.#armRetryTimer()
  }

  /** Transactions that left the mempool (expired locks): no more retries. */
  dropRetries(txids: readonly Txid[]): void {
    for (const txid of txids) this.#retries.cancel(txidKey(txid))
  }

  /** The retry timer fired: re-send every transaction whose retry is due, then re-arm. */
  onRetryTimer(): void {
    const ctx = this.#ctx
    this.#retryTimer = null
    for (const { key, delay } of this.#retries.due(ctx.now)) {
      const known = ctx.known(key)
      if (known === undefined || ctx.isFinal(known.txid)) continue
      if (ctx.ledger.mempool.get(known.txid) === undefined) continue
      // First ask the members whose vote is missing; from then on ask everyone, since a member
      // that already voted may be final and answers with the certificate.
      const voted = delay === ctx.retryMinMs ? ctx.finality.votersOf(known.txid) : new Set<string>()
      const message = { type: 'InstantFinalityRequest' as const, tx: known.tx }
      for (const peer of ctx.epochs.voters)
        if (!voted.has(peer) && peer !== ctx.self) ctx.send(peer, message)
      this.#retries.add(key, known.txid, Math.min(delay * 2, ctx.retryMaxMs), ctx.now)
    }
    this.#armRetryTimer()
  }

  /** Forgets requests old enough to no longer hold back a new one (they only rate-limit). */
  sweep(): void {
    const ctx = this.#ctx
    this.#requested.forEach((at, id) => {
      if (ctx.now - at >= ctx.retryMinMs) this.#requested.delete(id)
    })
  }

  sizes(): Record<string, number> {
    return {
      ...this.#orphans.sizes(),
      'fetching.requested': this.#requested.size,
      'fetching.retries': this.#retries.size,
    }
  }

  /** Asks one member other than this node and `except` for `txid`: the `round`-th, in turn. */
  #askOther(txid: Txid, round: number, except: PeerId | null): void {
    const ctx = this.#ctx
    const others = ctx.epochs.voters.filter((p) => p !== ctx.self && p !== except)
    if (others.length === 0) return
    // Start at a member chosen by the txid, so the asks for many parents spread over members.
    const peer = others[(txid[0]! + round) % others.length]!
    this.#requested.set(txidKey(txid), ctx.now)
    ctx.send(peer, { type: 'TransactionRequest', txid })
  }

  /** An orphan waits for nothing any more: apply its certificate, or decide it. */
  #wake(orphan: Orphan): void {
    const ctx = this.#ctx
    const known = orphan.known
    if (orphan.certificate !== null) return ctx.finality.finalize(known, orphan.certificate)
    if (
      ctx.voting.decisionOf(known.txid) === undefined &&
      ctx.ledger.mempool.get(known.txid) === undefined
    )
      ctx.voting.decide(known, null)
  }

  /**
   * An orphan left the pool unwoken (expired, or evicted for a newer one). If it expired and
   * none of the parents it named ever arrived, its sender named parents that do not exist.
   */
  #dropped(orphan: Orphan): void {
    const ctx = this.#ctx
    const expired = orphan.since + ctx.limits.orphanTtlMs <= ctx.now
    const noneArrived =
      orphan.awaiting.size === orphan.named &&
      [...orphan.awaiting].every((p) => ctx.known(p) === undefined)
    if (expired && noneArrived && orphan.from !== null)
      ctx.reject(
        orphan.from,
        new PeerError(
          'PEER_ORPHAN_PARENTS_MISSING',
          `transaction ${txidToHex(orphan.known.txid)} named parents that never appeared`,
          PeerAction.MidToleranceError,
        ),
      )
  }

  /**
   * Arms the retry timer for the earliest retry unless it is armed for one as early: a timer
   * left armed for an earlier, cancelled retry just wakes once and is armed again then.
   */
  #armRetryTimer(): void {
    const at = this.#retries.nextDue()
    if (at === undefined || (this.#retryTimer !== null && this.#retryTimer <= at)) return
    this.#retryTimer = at
    this.#ctx.emit({ type: 'setTimer', id: RETRY, at })
  }

  #armOrphanTimer(): void {
    const at = this.#orphans.nextWake()
    if (at === undefined || at === this.#orphanTimer) return
    this.#orphanTimer = at
    this.#ctx.emit({ type: 'setTimer', id: ORPHANS, at })
  }
}
