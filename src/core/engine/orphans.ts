/**
 * Transactions waiting for parents this node does not have (orphans), bounded so that no peer can
 * make a node hold or ask for much: at most `maxMissingParents` distinct parents per transaction
 * (a transaction naming more is not kept at all), `maxOrphansPerPeer` waiting per sender,
 * `maxOrphans` and `maxOrphanBytes` in all (the oldest goes first), `maxAwaitedParents` distinct
 * parents awaited, and each orphan for `orphanTtlMs` at most. Pure bookkeeping: what to request
 * and from whom, and what an expired orphan costs its sender, is decided by fetching.ts.
 *
 * Invariants:
 *  - Every awaited parent is awaited by at least one kept orphan, and every orphan's awaited
 *    parents are in the parent index (both are removed together).
 *  - An orphan leaves the pool exactly once: woken (nothing awaited any more), expired, evicted
 *    or removed.
 *  - A parent's asks back off: the next one is `delay` after the last, doubling up to a maximum.
 */
import type { FinalityCertificate } from '../consensus/certificate.ts'
import type { Txid } from '../primitives/txid.ts'
import type { KnownTx } from './context.ts'
import type { EngineLimits } from './limits.ts'
import type { PeerId } from './messages.ts'

export interface Orphan {
  readonly id: string
  readonly known: KnownTx
  /** Who sent it (null: submitted locally, or held with a certificate). */
  readonly from: PeerId | null
  readonly since: number
  /** Parents (map keys) still awaited. */
  readonly awaiting: Set<string>
  /** How many parents it waited for at first. */
  readonly named: number
  /** A certificate that arrived before the parents were final here (applied when they are). */
  certificate: FinalityCertificate | null
}

interface Awaited {
  readonly txid: Txid
  readonly children: Set<string>
  /** When to ask the next member for it. */
  nextAsk: number
  delay: number
  /** Members asked so far (chooses the next one, round robin). */
  asks: number
}

export type AddResult =
  | { readonly kind: 'added'; readonly orphan: Orphan; readonly newParents: readonly Txid[] }
  /** Already waiting: nothing to do (no new request). */
  | { readonly kind: 'waiting'; readonly orphan: Orphan }
  /** Names more unknown parents than a transaction may: not kept, nothing requested. */
  | { readonly kind: 'tooManyParents' }
  /** Its sender has too many orphans waiting already. */
  | { readonly kind: 'peerFull' }
  /** It alone exceeds the pool's bytes or parent bound. */
  | { readonly kind: 'tooLarge' }

export class OrphanPool {
  readonly #limits: EngineLimits
  readonly #backoff: { readonly minMs: number; readonly maxMs: number }
  /** child → orphan, oldest first. */
  readonly #orphans = new Map<string, Orphan>()
  /** parent → the orphans waiting for it. */
  readonly #parents = new Map<string, Awaited>()
  readonly #perPeer = new Map<PeerId, number>()
  #bytes = 0

  constructor(limits: EngineLimits, backoff: { minMs: number; maxMs: number }) {
    this.#limits = limits
    this.#backoff = backoff
  }

  get size(): number {
    return this.#orphans.size
  }

  get(child: string): Orphan | undefined {
    return this.#orphans.get(child)
  }

  /** Whether `parent` is awaited by some orphan. */
  awaits(parent: string): boolean {
    return this.#parents.has(parent)
  }

  /**
   * Keeps `known` until `parents` (map key → txid, distinct, none of them final here) are; the
   * oldest orphans make room if the pool is full. Returns the parents not awaited before (to
   * request now) and the orphans evicted to make room.
   */
  add(
    known: KnownTx,
    id: string,
    parents: ReadonlyMap<string, Txid>,
    from: PeerId | null,
    now: number,
  ): { result: AddResult; evicted: readonly Orphan[] } {
    const limits = this.#limits
    const existing = this.#orphans.get(id)
    if (existing !== undefined)
      return { result: { kind: 'waiting', orphan: existing }, evicted: [] }
    if (parents.size > limits.maxMissingParents)
      return { result: { kind: 'tooManyParents' }, evicted: [] }
    if (known.size > limits.maxOrphanBytes || parents.size > limits.maxAwaitedParents)
      return { result: { kind: 'tooLarge' }, evicted: [] }
    if (from !== null && (this.#perPeer.get(from) ?? 0) >= limits.maxOrphansPerPeer)
      return { result: { kind: 'peerFull' }, evicted: [] }
    const evicted: Orphan[] = []
    const fresh = () => [...parents.keys()].filter((p) => !this.#parents.has(p)).length
    while (
      this.#orphans.size >= limits.maxOrphans ||
      this.#bytes + known.size > limits.maxOrphanBytes ||
      this.#parents.size + fresh() > limits.maxAwaitedParents
    ) {
      const oldest = this.#orphans.values().next().value
      if (oldest === undefined) break
      this.remove(oldest.id)
      evicted.push(oldest)
    }
    const orphan: Orphan = {
      id,
      known,
      from,
      since: now,
      awaiting: new Set(parents.keys()),
      named: parents.size,
      certificate: null,
    }
    this.#orphans.set(id, orphan)
    this.#bytes += known.size
    if (from !== null) this.#perPeer.set(from, (this.#perPeer.get(from) ?? 0) + 1)
    const newParents: Txid[] = []
    for (const [key, txid] of parents) {
      let awaited = this.#parents.get(key)
      if (awaited === undefined) {
        const delay = this.#backoff.minMs
        awaited = { txid, children: new Set(), nextAsk: now + delay, delay, asks: 0 }
        this.#parents.set(key, awaited)
        newParents.push(txid)
      }
      awaited.children.add(id)
    }
    return { result: { kind: 'added', orphan, newParents }, evicted }
  }

  /** Takes an orphan out of the pool (its parents stop being awaited for it). */
  remove(child: string): Orphan | undefined {
    const orphan = this.#orphans.get(child)
    if (orphan === undefined) return undefined
    this.#orphans.delete(child)
    this.#bytes -= orphan.known.size
    if (orphan.from !== null) {
      const left = (this.#perPeer.get(orphan.from) ?? 1) - 1
      if (left === 0) this.#perPeer.delete(orphan.from)
      else this.#perPeer.set(orphan.from, left)
    }
    for (const parent of orphan.awaiting) this.#unawait(parent, child)
    return orphan
  }

  /**
   * `parent` is here now (final, or its outputs confirmed): it is awaited no longer. Returns the
   * orphans left waiting for nothing, taken out of the pool, oldest first.
   */
  arrived(parent: string): Orphan[] {
    const awaited = this.#parents.get(parent)
    if (awaited === undefined) return []
    this.#parents.delete(parent)
    const woken: Orphan[] = []
    for (const child of awaited.children) {
      const orphan = this.#orphans.get(child)
      if (orphan === undefined) continue
      orphan.awaiting.delete(parent)
      if (orphan.awaiting.size === 0) {
        this.remove(child)
        woken.push(orphan)
      }
    }
    return woken
  }

  /** The orphans waiting, oldest first. */
  all(): IterableIterator<Orphan> {
    return this.#orphans.values()
  }

  /**
   * Parents due to be asked for again at `now`, each with how many members were asked before
   * (the caller picks the next one); their next ask is pushed back (doubling, up to the maximum).
   */
  due(now: number): { readonly txid: Txid; readonly asks: number }[] {
    const out: { txid: Txid; asks: number }[] = []
    for (const a of this.#parents.values()) {
      if (a.nextAsk > now) continue
      out.push({ txid: a.txid, asks: a.asks })
      a.asks++
      a.delay = Math.min(2 * a.delay, this.#backoff.maxMs)
      a.nextAsk = now + a.delay
    }
    return out
  }

  /** Orphans older than the TTL at `now`, taken out of the pool, oldest first. */
  expire(now: number): Orphan[] {
    const out: Orphan[] = []
    for (const orphan of this.#orphans.values()) {
      if (orphan.since + this.#limits.orphanTtlMs > now) break
      out.push(orphan)
    }
    for (const orphan of out) this.remove(orphan.id)
    return out
  }

  /** When something is next due (an ask or an expiry), if anything waits. */
  nextWake(): number | undefined {
    const oldest = this.#orphans.values().next().value
    if (oldest === undefined) return undefined
    let at = oldest.since + this.#limits.orphanTtlMs
    for (const a of this.#parents.values()) at = Math.min(at, a.nextAsk)
    return at
  }

  sizes(): Record<string, number> {
    return {
      'orphans.txs': this.#orphans.size,
      'orphans.bytes': this.#bytes,
      'orphans.parents': this.#parents.size,
      'orphans.peers': this.#perPeer.size,
    }
  }

  #unawait(parent: string, child: string): void {
    const awaited = this.#parents.get(parent)
    if (awaited === undefined) return
    awaited.children.delete(child)
    if (awaited.children.size === 0) this.#parents.delete(parent)
  }
}
