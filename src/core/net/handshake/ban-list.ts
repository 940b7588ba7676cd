/**
 * The handshake's own ban list: peers that failed a handshake fatally (wrong network or genesis,
 * a forged binding), refused for a while. A stand-in the defence layer replaces by handing the
 * service its own `BanPolicy`.
 *
 * Invariants: at most `maxEntries` bans are held (the oldest ban goes first when full); a ban
 * ends `ttlMs` after it was (last) set and is forgotten when next looked at.
 */
import type { PeerId } from '@libp2p/interface'
import type { TimeCoinError } from '../../errors.ts'

/** Who is banned, and how a handshake failure bans. */
export interface BanPolicy {
  /** Called for every handshake failure whose error is Fatal; the service has closed the peer. */
  ban(peer: PeerId, error: TimeCoinError): void
  isBanned(peer: PeerId): boolean
}

export interface BanListInit {
  /** How long a ban lasts (default one hour). */
  readonly ttlMs?: number
  /** Most bans held at once (default 10,000). */
  readonly maxEntries?: number
  readonly now?: () => number
}

export const DEFAULT_BAN_TTL_MS = 60 * 60 * 1000
export const DEFAULT_MAX_BANS = 10_000

export class BanList implements BanPolicy {
  readonly #ttlMs: number
  readonly #maxEntries: number
  readonly #now: () => number
  /** Peer id string → the time its ban ends; insertion order is ban order (oldest first). */
  readonly #until = new Map<string, number>()

  constructor(init: BanListInit = {}) {
    this.#ttlMs = init.ttlMs ?? DEFAULT_BAN_TTL_MS
    this.#maxEntries = init.maxEntries ?? DEFAULT_MAX_BANS
    this.#now = init.now ?? Date.now
    if (!(this.#maxEntries >= 1)) throw new RangeError('BanList needs room for one ban')
  }

  ban(peer: PeerId): void {
    const key = peer.toString()
    this.#until.delete(key) // re-inserted last: a renewed ban is the newest
    this.#until.set(key, this.#now() + this.#ttlMs)
    while (this.#until.size > this.#maxEntries) {
      const oldest = this.#until.keys().next().value
      if (oldest === undefined) break
      this.#until.delete(oldest)
    }
  }

  isBanned(peer: PeerId): boolean {
    const key = peer.toString()
    const until = this.#until.get(key)
    if (until === undefined) return false
    if (until > this.#now()) return true
    this.#until.delete(key)
    return false
  }

  get size(): number {
    return this.#until.size
  }
}
