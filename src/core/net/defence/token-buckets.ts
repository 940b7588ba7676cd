/**
 * Per-peer token buckets, one per message class: a bucket holds up to `burst` tokens, refills at
 * `ratePerSecond`, and each inbound frame takes one. A frame that finds its bucket empty is dropped;
 * the first drop of each `chargeIntervalMs` is also charged to the peer (the caller decides the
 * cost), so a burst over the limit costs little and a sustained flood adds up to a ban.
 *
 * Invariants: 0 ≤ tokens ≤ burst; a bucket is charged at most once per `chargeIntervalMs`; at most
 * `maxPeers` peers hold buckets — the least recently active goes first (its buckets were full or
 * nearly so, and a fresh one is full).
 */

export type TakeResult =
  /** A token was taken: handle the frame. */
  | 'admit'
  /** Over the limit: drop the frame. */
  | 'drop'
  /** Over the limit, and the first drop of this interval: drop it and charge the peer. */
  | 'charge'

export interface TokenBucketsInit {
  readonly ratePerSecond: number
  readonly burst: number
  readonly chargeIntervalMs: number
  readonly maxPeers: number
  readonly now: () => number
}

interface Bucket {
  tokens: number
  /** When `tokens` was last brought up to date. */
  at: number
  /** When the peer was last charged for this class. */
  chargedAt: number
}

export class TokenBuckets<Class extends string> {
  readonly #ratePerMs: number
  readonly #burst: number
  readonly #chargeIntervalMs: number
  readonly #maxPeers: number
  readonly #now: () => number
  /** Peer → its buckets by class; insertion order is recency (the most recent last). */
  readonly #peers = new Map<string, Map<Class, Bucket>>()

  constructor(init: TokenBucketsInit) {
    if (!(init.ratePerSecond > 0 && init.burst >= 1 && init.maxPeers >= 1))
      throw new RangeError('token buckets need a positive rate, a burst ≥ 1 and room for a peer')
    this.#ratePerMs = init.ratePerSecond / 1000
    this.#burst = init.burst
    this.#chargeIntervalMs = init.chargeIntervalMs
    this.#maxPeers = init.maxPeers
    this.#now = init.now
  }

  /** Takes a token of `peer`'s `cls` bucket for one frame. */
  take(peer: string, cls: Class): TakeResult {
    const now = this.#now()
    let buckets = this.#peers.get(peer)
    if (buckets === undefined) {
      buckets = new Map()
      if (this.#peers.size >= this.#maxPeers) {
        const oldest = this.#peers.keys().next().value
        if (oldest !== undefined) this.#peers.delete(oldest)
      }
    } else this.#peers.delete(peer) // re-inserted last: the most recently active
    this.#peers.set(peer, buckets)
    let bucket = buckets.get(cls)
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now, chargedAt: Number.NEGATIVE_INFINITY }
      buckets.set(cls, bucket)
    } else if (now > bucket.at) {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#ratePerMs)
      bucket.at = now
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 'admit'
    }
    if (now - bucket.chargedAt < this.#chargeIntervalMs) return 'drop'
    bucket.chargedAt = now
    return 'charge'
  }

  /** Tokens left in `peer`'s `cls` bucket as of its last frame (the burst for an unknown one). */
  tokens(peer: string, cls: Class): number {
    return this.#peers.get(peer)?.get(cls)?.tokens ?? this.#burst
  }

  forget(peer: string): void {
    this.#peers.delete(peer)
  }

  get size(): number {
    return this.#peers.size
  }
}
