/**
 * Peer scores in the manner of Lodestar's peer manager: each peer id has a penalty score that the
 * named actions of typed errors raise (Fatal bans at once; low, mid and high tolerance errors cost
 * decreasing amounts; an ignored message costs nothing) and that halves every half-life. A peer
 * whose score reaches the ban score is banned for a while. Time comes from an injected clock, so
 * the arithmetic is checked without waiting.
 *
 * Decay goes in steps of a tenth of the half-life (one minute by default) on the clock's grid, as
 * Lodestar applies it at its heartbeat: penalties within one step add up exactly, so "five
 * low-tolerance errors ban" holds for a burst, while errors spread out decay away.
 *
 * Invariants: a score is in [0, banScore]; a ban lasts exactly `banDurationSeconds` from the
 * penalty that caused it and is never extended by penalties during it; the score does not decay
 * while a ban lasts (a peer leaving a ban is still at the ban score, so its next offence bans it
 * again); at most `maxTrackedPeers` peers are held — past that the least relevant goes (an
 * unbanned peer of the lowest score, else the ban that ends first).
 */
import { PeerAction } from '../../errors.ts'
import type { DefenceSettings } from './settings.ts'

/** What a penalty did. */
export type ScoreVerdict =
  /** The action costs nothing (an ignored message): nothing is recorded. */
  | 'ignored'
  /** Recorded; the peer is below the ban score. */
  | 'scored'
  /** This penalty reached the ban score: the peer is banned from now on. */
  | 'banned'
  /** The peer was banned already. */
  | 'still-banned'

interface Entry {
  /** The score at `since`; it decays from then on. */
  score: number
  /** When decay starts: the last penalty, or the end of a ban. */
  since: number
  /** When the current ban ends; 0 when the peer was never banned. */
  bannedUntil: number
}

/** A decayed score below this (in ban-score units) is forgotten by `sweep`. */
const FORGET_SHARE = 0.005
/** Decay steps per half-life: each step multiplies a score by 2^(-1/10). */
const DECAY_STEPS = 10

export class PeerScores {
  readonly #costs: Readonly<Record<PeerAction, number>>
  readonly #banScore: number
  readonly #stepMs: number
  readonly #banMs: number
  readonly #maxPeers: number
  readonly #now: () => number
  /** Peer id string → its entry (insertion order carries no meaning). */
  readonly #entries = new Map<string, Entry>()

  constructor(settings: DefenceSettings, now: () => number) {
    this.#banScore = settings.banScore
    this.#costs = {
      [PeerAction.Fatal]: settings.banScore,
      [PeerAction.LowToleranceError]: settings.lowToleranceCost,
      [PeerAction.MidToleranceError]: settings.midToleranceCost,
      [PeerAction.HighToleranceError]: settings.highToleranceCost,
    }
    this.#stepMs = (settings.scoreHalfLifeSeconds * 1000) / DECAY_STEPS
    this.#banMs = settings.banDurationSeconds * 1000
    this.#maxPeers = settings.maxTrackedPeers
    this.#now = now
  }

  /** What `action` costs (undefined: an ignored message, free). */
  costOf(action: PeerAction | undefined): number {
    return action === undefined ? 0 : this.#costs[action]
  }

  /** Charges `peer` for `action`; undefined is an ignored message and costs nothing. */
  apply(peer: string, action: PeerAction | undefined): ScoreVerdict {
    const cost = this.costOf(action)
    if (cost === 0) return 'ignored'
    const now = this.#now()
    const known = this.#entries.get(peer)
    if (known !== undefined && now < known.bannedUntil) return 'still-banned'
    const entry = known ?? { score: 0, since: now, bannedUntil: 0 }
    const score = Math.min(this.#banScore, this.#decayed(entry, now) + cost)
    const banned = score >= this.#banScore
    entry.score = score
    entry.since = now
    if (banned) {
      entry.bannedUntil = now + this.#banMs
      entry.since = entry.bannedUntil
    }
    if (known === undefined) {
      this.#entries.set(peer, entry)
      this.#bound(peer)
    }
    return banned ? 'banned' : 'scored'
  }

  /** Whether `peer` is banned now. */
  isBanned(peer: string): boolean {
    const entry = this.#entries.get(peer)
    return entry !== undefined && this.#now() < entry.bannedUntil
  }

  /** When `peer`'s ban ends (ms, the clock's), or undefined when it is not banned. */
  bannedUntil(peer: string): number | undefined {
    const entry = this.#entries.get(peer)
    return entry !== undefined && this.#now() < entry.bannedUntil ? entry.bannedUntil : undefined
  }

  /** The peers banned now, each with when (ms, the clock's) its ban ends. */
  banned(): { readonly peer: string; readonly until: number }[] {
    const now = this.#now()
    const out: { peer: string; until: number }[] = []
    for (const [peer, entry] of this.#entries)
      if (now < entry.bannedUntil) out.push({ peer, until: entry.bannedUntil })
    return out
  }

  /** Lifts `peer`'s ban and forgets its score (the operator's `setban … remove`); false if not banned. */
  unban(peer: string): boolean {
    if (!this.isBanned(peer)) return false
    this.#entries.delete(peer)
    return true
  }

  /** `peer`'s score now (0 for a peer never charged, or forgotten). */
  score(peer: string): number {
    const entry = this.#entries.get(peer)
    return entry === undefined ? 0 : this.#decayed(entry, this.#now())
  }

  /** Forgets peers whose ban is over and whose score has decayed to nearly nothing. */
  sweep(keep?: string): number {
    const now = this.#now()
    let forgotten = 0
    for (const [peer, entry] of this.#entries)
      if (peer !== keep && this.#forgettable(entry, now)) {
        this.#entries.delete(peer)
        forgotten++
      }
    return forgotten
  }

  get size(): number {
    return this.#entries.size
  }

  /** The score after the decay steps between `since` and `now` (none while a ban lasts). */
  #decayed(entry: Entry, now: number): number {
    if (now <= entry.since) return entry.score
    const steps = Math.floor(now / this.#stepMs) - Math.floor(entry.since / this.#stepMs)
    return steps === 0 ? entry.score : entry.score * 2 ** (-steps / DECAY_STEPS)
  }

  #forgettable(entry: Entry, now: number): boolean {
    return now >= entry.bannedUntil && this.#decayed(entry, now) < this.#banScore * FORGET_SHARE
  }

  /** Over the bound: sweep, and if that freed nothing, drop the least relevant other peer. */
  #bound(keep: string): void {
    if (this.#entries.size <= this.#maxPeers) return
    if (this.sweep(keep) > 0 && this.#entries.size <= this.#maxPeers) return
    const now = this.#now()
    let victim: string | undefined
    let victimScore = Number.POSITIVE_INFINITY
    let firstBanEnd: string | undefined
    let firstBanEndAt = Number.POSITIVE_INFINITY
    for (const [peer, entry] of this.#entries) {
      if (peer === keep) continue
      if (now < entry.bannedUntil) {
        if (entry.bannedUntil < firstBanEndAt) {
          firstBanEnd = peer
          firstBanEndAt = entry.bannedUntil
        }
        continue
      }
      const score = this.#decayed(entry, now)
      if (score < victimScore) {
        victim = peer
        victimScore = score
      }
    }
    const drop = victim ?? firstBanEnd
    if (drop !== undefined) this.#entries.delete(drop)
  }
}
