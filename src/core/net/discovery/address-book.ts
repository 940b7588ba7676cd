/**
 * The peer book discovery fills and the committee links read: by libp2p peer id, the addresses a
 * node may dial, when it last had a connection to the peer, how many dials failed since, and the
 * masternode key a handshake proved. It is the committee links' `PeerBook` (a member's addresses
 * by masternode key, each with `/p2p/<id>`), it answers peer exchange (a bounded, recent,
 * shuffled sample) and it is saved through a `PeerBookStore` and restored at start.
 *
 * Invariants: at most `maxEntries` peers — when full, a newcomer takes the place of the worst
 * (most failures, then oldest) only if it is better, and a peer this node handshook always gets
 * in; at most MAX_PEER_ADDRS addresses each, every one allowed by the policy; a masternode key
 * names at most one peer (the latest to prove it), and the key index never outgrows the book;
 * never this node's own id.
 */
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { bytesToHex } from '../../encoding/bytes.ts'
import { MAX_PEER_ADDRS } from '../../protocol/peer-exchange.ts'
import { DEFAULT_BACKOFF_MAX_MS, DEFAULT_BACKOFF_MIN_MS } from '../committee-links/constants.ts'
import type { PeerBook } from '../committee-links/peer-book.ts'
import type { AddressPolicy } from './address-policy.ts'
import { DEFAULT_BOOK_ENTRIES, DEFAULT_MAX_FAILURES } from './constants.ts'
import { checkRecord, type PeerRecord } from './peer-book-store.ts'

export interface AddressBookOptions extends Partial<AddressPolicy> {
  /** This node's own peer id: never an entry. */
  readonly self?: string
  readonly maxEntries?: number
  /** Failed dials after which an entry is dropped (default 10). */
  readonly maxFailures?: number
  readonly backoffMinMs?: number
  readonly backoffMaxMs?: number
}

interface Entry {
  readonly peerId: string
  addrs: string[]
  lastSeen: number
  failures: number
  masternodeKey: string | undefined
  /** Not dialled again before this time (backoff after failures; not saved). */
  retryAt: number
}

/** What `sample` hands to peer exchange. */
export interface SharedPeer {
  readonly peerId: string
  readonly addrs: readonly string[]
  readonly lastSeen: number
}

export class AddressBook implements PeerBook {
  readonly policy: AddressPolicy
  readonly #entries = new Map<string, Entry>()
  /** Masternode key (hex) → peer id; only keys of entries in the book. */
  readonly #byKey = new Map<string, string>()
  readonly #self: string | undefined
  readonly #max: number
  readonly #maxFailures: number
  readonly #backoffMinMs: number
  readonly #backoffMaxMs: number
  /** Changed since the last `records()` (what the saver asks). */
  #dirty = false

  constructor(options: AddressBookOptions = {}) {
    this.policy = { allowPrivate: options.allowPrivate ?? false }
    this.#self = options.self
    this.#max = options.maxEntries ?? DEFAULT_BOOK_ENTRIES
    this.#maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES
    this.#backoffMinMs = options.backoffMinMs ?? DEFAULT_BACKOFF_MIN_MS
    this.#backoffMaxMs = options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS
    if (!(this.#max >= 1 && this.#maxFailures >= 1))
      throw new RangeError('an address book needs room for one peer and one failure')
    if (!(this.#backoffMinMs > 0 && this.#backoffMaxMs >= this.#backoffMinMs))
      throw new RangeError('an address book needs 0 < backoff min ≤ max')
  }

  get size(): number {
    return this.#entries.size
  }

  get dirty(): boolean {
    return this.#dirty
  }

  /**
   * Loads saved records (each checked as if a peer had sent it); returns how many were taken.
   * Entries already in the book (this run's) win over saved ones.
   */
  restore(records: readonly unknown[]): number {
    let taken = 0
    for (const value of records) {
      if (this.#entries.size >= this.#max) break
      const r = checkRecord(value, this.policy)
      if (r === undefined || r.peerId === this.#self || this.#entries.has(r.peerId)) continue
      this.#insert({
        peerId: r.peerId,
        addrs: [...r.addrs],
        lastSeen: r.lastSeen,
        failures: r.failures,
        masternodeKey: r.masternodeKey,
        retryAt: 0,
      })
      taken++
    }
    return taken
  }

  /** Every entry as a record to save; clears `dirty`. */
  records(): PeerRecord[] {
    this.#dirty = false
    return [...this.#entries.values()].map((e) => ({
      peerId: e.peerId,
      addrs: [...e.addrs],
      lastSeen: e.lastSeen,
      failures: e.failures,
      ...(e.masternodeKey === undefined ? {} : { masternodeKey: e.masternodeKey }),
    }))
  }

  get(peerId: string): Readonly<Entry> | undefined {
    return this.#entries.get(peerId)
  }

  /**
   * A peer this node has a handshaken connection to: seen now, failures cleared, `addrs`
   * (already judged by the policy) put first, its masternode key recorded. Always kept.
   */
  seen(
    peerId: string,
    now: number,
    facts: { readonly addrs?: readonly Multiaddr[]; readonly masternodeKey?: Uint8Array } = {},
  ): void {
    if (peerId === this.#self) return
    let entry = this.#entries.get(peerId)
    const addrs = (facts.addrs ?? []).map((a) => a.toString())
    if (entry === undefined) {
      if (addrs.length === 0) return // nothing to dial it by (a peer that does not listen)
      entry = {
        peerId,
        addrs: [],
        lastSeen: now,
        failures: 0,
        masternodeKey: undefined,
        retryAt: 0,
      }
      this.#makeRoom(entry, true)
      this.#insert(entry)
    }
    entry.addrs = merged(addrs, entry.addrs)
    entry.lastSeen = Math.max(entry.lastSeen, now)
    entry.failures = 0
    entry.retryAt = 0
    if (facts.masternodeKey !== undefined) this.#setKey(entry, bytesToHex(facts.masternodeKey))
    this.#dirty = true
  }

  /**
   * A peer another node named (peer exchange): its addresses are added after those known, its
   * `lastSeen` moves forward only. False when the book had no room for a newcomer.
   */
  learn(peerId: string, addrs: readonly Multiaddr[], lastSeen: number): boolean {
    if (peerId === this.#self || addrs.length === 0) return false
    const entry = this.#entries.get(peerId)
    if (entry !== undefined) {
      entry.addrs = merged(
        entry.addrs,
        addrs.map((a) => a.toString()),
      )
      entry.lastSeen = Math.max(entry.lastSeen, lastSeen)
      this.#dirty = true
      return true
    }
    const fresh: Entry = {
      peerId,
      addrs: merged(
        [],
        addrs.map((a) => a.toString()),
      ),
      lastSeen,
      failures: 0,
      masternodeKey: undefined,
      retryAt: 0,
    }
    if (!this.#makeRoom(fresh, false)) return false
    this.#insert(fresh)
    return true
  }

  /** A dial of `peerId` failed: backoff 1, 2, 4 … 32 s; dropped after `maxFailures`. */
  failed(peerId: string, now: number): void {
    const entry = this.#entries.get(peerId)
    if (entry === undefined) return
    entry.failures++
    this.#dirty = true
    if (entry.failures >= this.#maxFailures) return this.forget(peerId)
    const delay = this.#backoffMinMs * 2 ** Math.min(entry.failures - 1, 30)
    entry.retryAt = now + Math.min(this.#backoffMaxMs, delay)
  }

  forget(peerId: string): void {
    const entry = this.#entries.get(peerId)
    if (entry === undefined) return
    this.#entries.delete(peerId)
    if (entry.masternodeKey !== undefined && this.#byKey.get(entry.masternodeKey) === peerId)
      this.#byKey.delete(entry.masternodeKey)
    this.#dirty = true
  }

  /** Committee links: where masternode `key` listens, each address ending in `/p2p/<id>`. */
  addressesOf(masternodeKey: Uint8Array): readonly Multiaddr[] {
    const id = this.#byKey.get(bytesToHex(masternodeKey))
    const entry = id === undefined ? undefined : this.#entries.get(id)
    return entry === undefined ? [] : dialAddresses(entry)
  }

  /**
   * Up to `limit` peers to dial now: not `excluded` (connected, or being dialled), out of
   * backoff; fewest failures first, then the most recently seen.
   */
  candidates(now: number, limit: number, excluded: (peerId: string) => boolean): Entry[] {
    const out: Entry[] = []
    for (const e of this.#entries.values()) if (e.retryAt <= now && !excluded(e.peerId)) out.push(e)
    out.sort((a, b) => a.failures - b.failures || b.lastSeen - a.lastSeen)
    return out.slice(0, limit)
  }

  /**
   * Up to `limit` peers for a peer-exchange answer, shuffled: seen since `seenSince`, with fewer
   * than `maxFailures` failures, not `excluded`; `lastSeen(e)` gives the time to report (now, for a
   * peer connected at this moment).
   */
  sample(
    limit: number,
    random: () => number,
    filter: { readonly seenSince: number; readonly maxFailures: number },
    excluded: (peerId: string) => boolean,
    lastSeen: (entry: Readonly<Entry>) => number,
  ): SharedPeer[] {
    const pool: SharedPeer[] = []
    for (const e of this.#entries.values()) {
      if (excluded(e.peerId) || e.failures >= filter.maxFailures) continue
      const seen = lastSeen(e)
      if (seen >= filter.seenSince) pool.push({ peerId: e.peerId, addrs: e.addrs, lastSeen: seen })
    }
    // Partial Fisher–Yates: the first `limit` places are a uniform sample.
    const n = Math.min(limit, pool.length)
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(random() * (pool.length - i))
      const t = pool[i]!
      pool[i] = pool[j]!
      pool[j] = t
    }
    return pool.slice(0, n)
  }

  #insert(entry: Entry): void {
    this.#entries.set(entry.peerId, entry)
    if (entry.masternodeKey !== undefined) this.#setKey(entry, entry.masternodeKey)
    this.#dirty = true
  }

  #setKey(entry: Entry, key: string): void {
    if (entry.masternodeKey !== undefined && this.#byKey.get(entry.masternodeKey) === entry.peerId)
      this.#byKey.delete(entry.masternodeKey)
    // The key moved to this peer (a restarted masternode with a new identity): the old peer
    // keeps its addresses but no longer answers for the key.
    const previous = this.#byKey.get(key)
    if (previous !== undefined && previous !== entry.peerId) {
      const old = this.#entries.get(previous)
      if (old !== undefined) old.masternodeKey = undefined
    }
    entry.masternodeKey = key
    this.#byKey.set(key, entry.peerId)
  }

  /** Frees a place for `newcomer` when the book is full; false when it is not worth one. */
  #makeRoom(newcomer: Entry, always: boolean): boolean {
    if (this.#entries.size < this.#max) return true
    let worst: Entry | undefined
    for (const e of this.#entries.values()) if (worst === undefined || worse(e, worst)) worst = e
    if (worst === undefined || (!always && !worse(worst, newcomer))) return false
    this.forget(worst.peerId)
    return true
  }
}

/** Whether `a` is a worse entry to keep than `b`: more failures, or as many and seen earlier. */
function worse(a: Readonly<Entry>, b: Readonly<Entry>): boolean {
  return a.failures > b.failures || (a.failures === b.failures && a.lastSeen < b.lastSeen)
}

/** `first`, then those of `then` not in it, at most MAX_PEER_ADDRS. */
function merged(first: readonly string[], then: readonly string[]): string[] {
  const out: string[] = []
  for (const a of [...first, ...then]) {
    if (out.length >= MAX_PEER_ADDRS) break
    if (!out.includes(a)) out.push(a)
  }
  return out
}

/** An entry's addresses as dial targets, each naming the peer (`/p2p/<id>`). */
export function dialAddresses(entry: {
  readonly peerId: string
  readonly addrs: readonly string[]
}): Multiaddr[] {
  return entry.addrs.map((a) => multiaddr(`${a}/p2p/${entry.peerId}`))
}
