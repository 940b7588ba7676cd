/**
 * Who proposes: weighted round-robin by proposer priority (as in CometBFT). Each step every
 * voting member's priority grows by its weight, the highest priority proposes (ties to the lowest
 * key) and pays back the total weight. The schedule depends only on the committee — never on
 * block contents — so no proposer can grind who comes next. Within an epoch, step
 * (height − firstHeight) + attempt names the proposer of (height, attempt).
 */
import { compareBytes } from '../encoding/bytes.ts'
import { ConsensusError } from '../errors.ts'
import type { Committee, CommitteeMember } from './committee.ts'

export class ProposerSchedule {
  readonly committee: Committee
  /** The first height voted on by this committee. */
  readonly firstHeight: number
  readonly #members: readonly CommitteeMember[]
  readonly #priority: number[]
  /** Leaders of steps #base, #base + 1, … (earlier steps forgotten: see forgetBefore). */
  #leaders: number[] = []
  #base = 0

  constructor(committee: Committee, firstHeight: number) {
    this.committee = committee
    this.firstHeight = firstHeight
    this.#members = [...committee.voters].sort((a, b) => compareBytes(a.key, b.key))
    if (this.#members.length === 0)
      throw new ConsensusError('COMMITTEE_INVALID', 'no voting member can propose')
    this.#priority = this.#members.map(() => 0)
  }

  /** The proposer's key for (height, attempt). */
  proposer(height: number, attempt: number): Uint8Array {
    const step = height - this.firstHeight + attempt
    if (!Number.isSafeInteger(step) || step < 0 || attempt < 0) {
      throw new ConsensusError(
        'COMMITTEE_INVALID',
        `height ${height} is before this committee (from ${this.firstHeight})`,
      )
    }
    // A forgotten step (a height long committed) is recomputed from the start, uncached.
    if (step < this.#base) return this.#members[this.#replay(step)]!.key
    while (this.#base + this.#leaders.length <= step) this.#advance()
    return this.#members[this.#leaders[step - this.#base]!]!.key
  }

  /** Forgets the leaders of heights before `height` (committed: never asked again in practice). */
  forgetBefore(height: number): void {
    const drop = Math.min(height - this.firstHeight - this.#base, this.#leaders.length)
    if (drop <= 0) return
    this.#leaders = this.#leaders.slice(drop)
    this.#base += drop
  }

  /** Leaders cached (at most the steps of the open height's attempts). */
  get cached(): number {
    return this.#leaders.length
  }

  /** The leader index of `step`, walked from the schedule's start without touching the cache. */
  #replay(step: number): number {
    const total = this.committee.totalWeight
    const priority = this.#members.map(() => 0)
    let best = 0
    for (let s = 0; s <= step; s++) {
      best = 0
      for (let i = 0; i < this.#members.length; i++) {
        priority[i]! += this.#members[i]!.weight
        if (priority[i]! > priority[best]!) best = i
      }
      priority[best]! -= total
    }
    return best
  }

  #advance(): void {
    const total = this.committee.totalWeight
    let best = 0
    for (let i = 0; i < this.#members.length; i++) {
      this.#priority[i]! += this.#members[i]!.weight
      if (this.#priority[i]! > this.#priority[best]!) best = i
    }
    this.#priority[best]! -= total
    this.#leaders.push(best)
  }
}
