/**
 * The IP blacklist: addresses (keys of `ipKey`) refused for a while — those a banned peer
 * connected from, and any the operator adds. An entry ends `ttl` after it was (last) added; ended
 * entries are dropped when looked at and by the periodic `sweep`.
 *
 * Invariants: at most `maxEntries` entries (the oldest goes first when full); insertion order is
 * the order entries were (last) added.
 */

export interface IpBlacklistInit {
  readonly ttlMs: number
  readonly maxEntries: number
  readonly now: () => number
}

export class IpBlacklist {
  readonly #ttlMs: number
  readonly #maxEntries: number
  readonly #now: () => number
  /** IP key → when its entry ends. */
  readonly #until = new Map<string, number>()

  constructor(init: IpBlacklistInit) {
    if (!(init.maxEntries >= 1)) throw new RangeError('the IP blacklist needs room for one entry')
    this.#ttlMs = init.ttlMs
    this.#maxEntries = init.maxEntries
    this.#now = init.now
  }

  /** Blacklists `key` for `ttlMs` (default: the list's) from now; renews an entry. */
  add(key: string, ttlMs = this.#ttlMs): void {
    this.#until.delete(key)
    this.#until.set(key, this.#now() + ttlMs)
    if (this.#until.size > this.#maxEntries) {
      const oldest = this.#until.keys().next().value
      if (oldest !== undefined) this.#until.delete(oldest)
    }
  }

  has(key: string): boolean {
    const until = this.#until.get(key)
    if (until === undefined) return false
    if (until > this.#now()) return true
    this.#until.delete(key)
    return false
  }

  delete(key: string): boolean {
    return this.#until.delete(key)
  }

  /** The entries in force, oldest first: each key and when (ms) it ends. */
  entries(): { readonly key: string; readonly until: number }[] {
    this.sweep()
    return [...this.#until].map(([key, until]) => ({ key, until }))
  }

  /** Drops every entry; returns how many. */
  clear(): number {
    const n = this.#until.size
    this.#until.clear()
    return n
  }

  /** Drops every ended entry; returns how many. */
  sweep(): number {
    const now = this.#now()
    let dropped = 0
    for (const [key, until] of this.#until)
      if (until <= now) {
        this.#until.delete(key)
        dropped++
      }
    return dropped
  }

  get size(): number {
    return this.#until.size
  }
}
