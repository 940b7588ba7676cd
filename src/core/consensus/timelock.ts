/**
 * The two-phase TimeLock vote for ONE height (Tendermint's algorithm, Buchman–Kwon–Milosevic
 * 2018, with weight instead of head count). Pure and synchronous: inputs are verified proposals,
 * counted votes and fired timeouts; outputs are the votes to sign, proposals to make, timers to
 * arm and the decision. Values are block hashes (hex); NIL is the empty vote.
 *
 * Invariants: a node precommits a block only after > 2/3 prevotes for it in that attempt, and
 * then locks on it; in later attempts it prevotes only its locked block unless > 2/3 prevoted
 * another block at an attempt at or after its lock. Hence two blocks can never both gather
 * > 2/3 precommits at one height while less than a third of the weight is Byzantine.
 */
import type { Committee } from './committee.ts'

export const NIL = 'nil'

export type Step = 'propose' | 'prevote' | 'precommit' | 'decided'

export type TimeLockOutput =
  /** This node proposes at `attempt`: `value` is the block to re-propose, or null for a new one. */
  | {
      readonly type: 'propose'
      readonly attempt: number
      readonly value: string | null
      readonly validAttempt: number
    }
  | { readonly type: 'prevote'; readonly attempt: number; readonly value: string }
  | { readonly type: 'precommit'; readonly attempt: number; readonly value: string }
  | {
      readonly type: 'timeout'
      readonly step: 'propose' | 'prevote' | 'precommit'
      readonly attempt: number
      readonly afterMs: number
    }
  | { readonly type: 'decide'; readonly attempt: number; readonly value: string }

export interface TimeLockTimeouts {
  readonly proposeMs: number
  readonly prevoteMs: number
  readonly precommitMs: number
  /** Added per attempt, so timeouts eventually exceed any delay (partial synchrony). */
  readonly growthMs: number
}

interface Tally {
  /** voter → value; a voter's first vote in an attempt is the one counted. */
  readonly byVoter: Map<string, string>
  readonly weight: Map<string, number>
  total: number
}

export class TimeLockHeight {
  readonly height: number
  readonly committee: Committee
  attempt = 0
  step: Step = 'propose'
  lockedValue: string | null = null
  lockedAttempt = -1
  validValue: string | null = null
  validAttempt = -1
  decision: string | null = null
  readonly #isProposer: (attempt: number) => boolean
  readonly #timeouts: TimeLockTimeouts
  /** attempt → proposed value, with the attempt it claims a prevote quorum at (-1: none). */
  readonly #proposals = new Map<number, { value: string; validAttempt: number; valid: boolean }>()
  readonly #prevotes = new Map<number, Tally>()
  readonly #precommits = new Map<number, Tally>()
  readonly #done = new Set<string>()
  readonly #voterWeights = new Map<string, number>()
  #out: TimeLockOutput[] = []

  constructor(
    height: number,
    committee: Committee,
    isProposer: (attempt: number) => boolean,
    timeouts: TimeLockTimeouts,
  ) {
    this.height = height
    this.committee = committee
    this.#isProposer = isProposer
    this.#timeouts = timeouts
  }

  start(): TimeLockOutput[] {
    return this.#run(() => this.#startAttempt(0))
  }

  /**
   * Resumes after a restart from this node's own persisted votes at this height: the latest
   * attempt, the step those votes reached, and the lock (the highest non-nil precommit). The node
   * then never votes again at a (attempt, step) it already voted at, nor against its lock.
   */
  resume(
    votes: readonly {
      readonly attempt: number
      readonly kind: 'prevote' | 'precommit'
      readonly value: string
    }[],
  ): TimeLockOutput[] {
    return this.#run(() => {
      if (votes.length === 0) return this.#startAttempt(0)
      const last = Math.max(...votes.map((v) => v.attempt))
      for (const v of votes) {
        if (v.kind === 'precommit' && v.value !== NIL && v.attempt > this.lockedAttempt) {
          this.lockedAttempt = v.attempt
          this.lockedValue = v.value
        }
      }
      this.attempt = last
      const atLast = votes.filter((v) => v.attempt === last)
      this.step = atLast.some((v) => v.kind === 'precommit') ? 'precommit' : 'prevote'
      const after = (ms: number) => this.#after(ms)
      // The timeouts that were running are gone with the old process: arm the one for this step.
      this.#emit(
        this.step === 'precommit'
          ? {
              type: 'timeout',
              step: 'precommit',
              attempt: last,
              afterMs: after(this.#timeouts.precommitMs),
            }
          : {
              type: 'timeout',
              step: 'prevote',
              attempt: last,
              afterMs: after(this.#timeouts.prevoteMs),
            },
      )
    })
  }

  /** A proposal for `attempt` from that attempt's proposer, already checked by the caller. */
  onProposal(
    attempt: number,
    value: string,
    validAttempt: number,
    valid: boolean,
  ): TimeLockOutput[] {
    return this.#run(() => {
      if (this.#proposals.has(attempt)) return
      this.#proposals.set(attempt, { value, validAttempt, valid })
      this.#evaluate()
    })
  }

  onPrevote(attempt: number, voter: string, value: string, weight: number): TimeLockOutput[] {
    return this.#run(() => {
      this.#count(this.#prevotes, attempt, voter, value, weight)
      this.#evaluate()
    })
  }

  onPrecommit(attempt: number, voter: string, value: string, weight: number): TimeLockOutput[] {
    return this.#run(() => {
      this.#count(this.#precommits, attempt, voter, value, weight)
      this.#evaluate()
    })
  }

  onTimeout(step: 'propose' | 'prevote' | 'precommit', attempt: number): TimeLockOutput[] {
    return this.#run(() => {
      if (this.decision !== null || attempt !== this.attempt) return
      if (step === 'propose' && this.step === 'propose') this.#prevote(NIL)
      else if (step === 'prevote' && this.step === 'prevote') this.#precommit(NIL)
      else if (step === 'precommit') this.#startAttempt(attempt + 1)
      this.#evaluate()
    })
  }

  /** Entry counts of this height's maps (votes are one entry per voter and attempt). */
  sizes(): Record<string, number> {
    let prevotes = 0
    let precommits = 0
    for (const t of this.#prevotes.values()) prevotes += t.byVoter.size
    for (const t of this.#precommits.values()) precommits += t.byVoter.size
    return {
      'height.proposals': this.#proposals.size,
      'height.prevotes': prevotes,
      'height.precommits': precommits,
      'height.done': this.#done.size,
    }
  }

  /** Weight of precommits for `value` at `attempt` (for assembling the block certificate). */
  precommitWeight(attempt: number, value: string): number {
    return this.#precommits.get(attempt)?.weight.get(value) ?? 0
  }

  // ── the rules ─────────────────────────────────────────────────────────────

  #evaluate(): void {
    // Re-check every rule until none fires: one input can unlock several steps.
    for (let guard = 0; guard < 64 && this.decision === null; guard++) {
      const before = this.#out.length
      this.#rules()
      if (this.#out.length === before) return
    }
  }

  #rules(): void {
    const r = this.attempt
    const proposal = this.#proposals.get(r)
    // Decide: > 2/3 precommits for a proposed, valid value at any attempt.
    for (const [a, tally] of this.#precommits) {
      for (const [value, weight] of tally.weight) {
        if (value === NIL || !this.committee.isQuorum(weight)) continue
        const p = [...this.#proposals.values()].find((x) => x.value === value)
        if (p?.valid) {
          this.decision = value
          this.step = 'decided'
          this.#emit({ type: 'decide', attempt: a, value })
          return
        }
      }
    }
    // Skip ahead: more than a third of the weight is already at a later attempt.
    for (const a of new Set([...this.#prevotes.keys(), ...this.#precommits.keys()])) {
      if (a > r && this.#moreThanThird(this.#participation(a))) return this.#startAttempt(a)
    }
    if (proposal !== undefined && this.step === 'propose') {
      const { value, validAttempt, valid } = proposal
      if (validAttempt === -1) {
        this.#prevote(
          valid && (this.lockedAttempt === -1 || this.lockedValue === value) ? value : NIL,
        )
        return
      }
      if (validAttempt < r && this.#quorumFor(this.#prevotes, validAttempt, value)) {
        this.#prevote(
          valid && (this.lockedAttempt <= validAttempt || this.lockedValue === value) ? value : NIL,
        )
        return
      }
    }
    const prevotes = this.#prevotes.get(r)
    if (
      this.step === 'prevote' &&
      prevotes !== undefined &&
      this.committee.isQuorum(prevotes.total)
    ) {
      this.#once(`prevote-timeout ${r}`, () =>
        this.#emit({
          type: 'timeout',
          step: 'prevote',
          attempt: r,
          afterMs: this.#after(this.#timeouts.prevoteMs),
        }),
      )
    }
    if (
      proposal?.valid &&
      this.step !== 'propose' &&
      this.#quorumFor(this.#prevotes, r, proposal.value)
    ) {
      this.#once(`polka ${r}`, () => {
        if (this.step === 'prevote') {
          this.lockedValue = proposal.value
          this.lockedAttempt = r
          this.#precommit(proposal.value)
        }
        this.validValue = proposal.value
        this.validAttempt = r
      })
    }
    if (this.step === 'prevote' && this.#quorumFor(this.#prevotes, r, NIL)) this.#precommit(NIL)
    const precommits = this.#precommits.get(r)
    if (precommits !== undefined && this.committee.isQuorum(precommits.total)) {
      this.#once(`precommit-timeout ${r}`, () =>
        this.#emit({
          type: 'timeout',
          step: 'precommit',
          attempt: r,
          afterMs: this.#after(this.#timeouts.precommitMs),
        }),
      )
    }
  }

  #startAttempt(attempt: number): void {
    this.attempt = attempt
    this.step = 'propose'
    if (this.#isProposer(attempt)) {
      this.#emit({
        type: 'propose',
        attempt,
        value: this.validValue,
        validAttempt: this.validAttempt,
      })
    } else {
      this.#emit({
        type: 'timeout',
        step: 'propose',
        attempt,
        afterMs: this.#after(this.#timeouts.proposeMs),
      })
    }
  }

  #prevote(value: string): void {
    this.step = 'prevote'
    this.#emit({ type: 'prevote', attempt: this.attempt, value })
  }

  #precommit(value: string): void {
    this.step = 'precommit'
    this.#emit({ type: 'precommit', attempt: this.attempt, value })
  }

  // ── bookkeeping ───────────────────────────────────────────────────────────

  #count(
    tallies: Map<number, Tally>,
    attempt: number,
    voter: string,
    value: string,
    weight: number,
  ): void {
    let t = tallies.get(attempt)
    if (t === undefined) {
      t = { byVoter: new Map(), weight: new Map(), total: 0 }
      tallies.set(attempt, t)
    }
    if (t.byVoter.has(voter)) return
    this.#voterWeights.set(voter, weight)
    t.byVoter.set(voter, value)
    t.weight.set(value, (t.weight.get(value) ?? 0) + weight)
    t.total += weight
  }

  #quorumFor(tallies: Map<number, Tally>, attempt: number, value: string): boolean {
    return this.committee.isQuorum(tallies.get(attempt)?.weight.get(value) ?? 0)
  }

  /** Weight of distinct voters who sent anything at `attempt`. */
  #participation(attempt: number): number {
    const voters = new Set<string>()
    for (const tallies of [this.#prevotes, this.#precommits]) {
      for (const voter of tallies.get(attempt)?.byVoter.keys() ?? []) voters.add(voter)
    }
    let w = 0
    for (const voter of voters) w += this.#voterWeights.get(voter) ?? 0
    return w
  }

  #moreThanThird(weight: number): boolean {
    return 3 * weight > this.committee.totalWeight
  }

  #after(base: number): number {
    return base + this.attempt * this.#timeouts.growthMs
  }

  #once(key: string, fn: () => void): void {
    if (this.#done.has(key)) return
    this.#done.add(key)
    fn()
  }

  #emit(o: TimeLockOutput): void {
    this.#out.push(o)
  }

  #run(body: () => void): TimeLockOutput[] {
    this.#out = []
    body()
    return this.#out
  }
}
