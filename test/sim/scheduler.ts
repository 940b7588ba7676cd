// Virtual clock and event queue. Events run in (time, insertion) order, so equal times run in
// the order they were scheduled; the clock never goes backwards; one run executes at most
// `maxEvents` events, else it fails with the seed (a livelock, or a run that never goes idle).
import { failWithSeed, type Seed, SimFailure } from './seed.ts'

/** Milliseconds of virtual time. */
export type Time = number

export interface TimerHandle {
  readonly time: Time
  /** Still queued: neither run nor cancelled. */
  readonly pending: boolean
  /** Returns whether it was still pending. */
  cancel(): boolean
}

export interface SchedulerOptions {
  /** Named in every failure, so the run can be replayed. */
  readonly seed: Seed
  /** Default bound on events per run call. */
  readonly maxEventsPerRun?: number
}

export interface RunOptions {
  readonly maxEvents?: number
  /** Checked after each event; the run stops as soon as it holds. */
  readonly stop?: () => boolean
}

type State = 'pending' | 'ran' | 'cancelled'

interface Entry {
  readonly time: Time
  readonly seq: number
  readonly fn: () => void
  state: State
}

const DEFAULT_MAX_EVENTS = 5_000_000

function before(x: Entry, y: Entry): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq)
}

export class Scheduler {
  readonly seed: Seed
  readonly maxEventsPerRun: number
  #now: Time = 0
  #seq = 0
  #heap: Entry[] = []
  #live = 0
  #executed = 0
  #running = false
  readonly #afterEach = new Set<() => void>()

  constructor(options: SchedulerOptions) {
    this.seed = options.seed
    this.maxEventsPerRun = options.maxEventsPerRun ?? DEFAULT_MAX_EVENTS
  }

  now(): Time {
    return this.#now
  }

  /** Events queued and not cancelled. */
  get pending(): number {
    return this.#live
  }

  /** Events run since creation. */
  get executed(): number {
    return this.#executed
  }

  /** Time of the next live event, if any. */
  nextTime(): Time | undefined {
    return this.#peek()?.time
  }

  /** Runs `check` after every event (invariants); returns a function that removes it. */
  afterEach(check: () => void): () => void {
    this.#afterEach.add(check)
    return () => this.#afterEach.delete(check)
  }

  at(time: Time, fn: () => void): TimerHandle {
    if (!Number.isFinite(time) || time < this.#now) {
      failWithSeed(this.seed, `scheduled at ${time} ms, before now (${this.#now} ms)`)
    }
    const entry: Entry = { time, seq: this.#seq++, fn, state: 'pending' }
    this.#push(entry)
    this.#live++
    return {
      time,
      get pending() {
        return entry.state === 'pending'
      },
      cancel: () => this.#cancel(entry),
    }
  }

  after(delay: number, fn: () => void): TimerHandle {
    if (!(delay >= 0)) failWithSeed(this.seed, `negative or NaN delay ${delay}`)
    return this.at(this.#now + delay, fn)
  }

  /** Runs the next live event; false when the queue is empty. */
  step(): boolean {
    const entry = this.#peek()
    if (entry === undefined) return false
    this.#pop()
    this.#live--
    entry.state = 'ran'
    this.#now = entry.time
    this.#executed++
    try {
      entry.fn()
      for (const check of this.#afterEach) check()
    } catch (error) {
      if (error instanceof SimFailure) throw error
      const what = error instanceof Error ? error.message : String(error)
      failWithSeed(this.seed, `event at t=${entry.time} ms threw: ${what}`, error)
    }
    return true
  }

  /** Runs every event due at or before `time`, then sets the clock to `time` (unless stopped). */
  runUntil(time: Time, options: RunOptions = {}): number {
    if (time < this.#now) failWithSeed(this.seed, `runUntil(${time}) is before now (${this.#now})`)
    const ran = this.#run(options, (next) => next <= time)
    if (!(options.stop?.() ?? false)) this.#now = time
    return ran
  }

  /** Runs until no event is left. A queue that never drains trips the event bound. */
  runUntilIdle(maxEvents?: number): number {
    return this.#run(maxEvents === undefined ? {} : { maxEvents }, () => true)
  }

  #run(options: RunOptions, due: (next: Time) => boolean): number {
    if (this.#running) failWithSeed(this.seed, 'a run was started from inside an event')
    const max = options.maxEvents ?? this.maxEventsPerRun
    this.#running = true
    let ran = 0
    try {
      for (;;) {
        if (options.stop?.()) break
        const next = this.#peek()
        if (next === undefined || !due(next.time)) break
        if (ran >= max) {
          failWithSeed(
            this.seed,
            `more than ${max} events in one run (livelock?) at t=${this.#now} ms, ${this.#live} pending`,
          )
        }
        this.step()
        ran++
      }
    } finally {
      this.#running = false
    }
    return ran
  }

  #cancel(entry: Entry): boolean {
    if (entry.state !== 'pending') return false
    entry.state = 'cancelled'
    this.#live--
    // Lazy deletion; rebuild when the dead outnumber the live so timeouts reset per message
    // cannot grow the heap without bound.
    if (this.#heap.length > 1024 && this.#heap.length > 2 * this.#live) this.#compact()
    return true
  }

  #peek(): Entry | undefined {
    for (;;) {
      const top = this.#heap[0]
      if (top === undefined || top.state === 'pending') return top
      this.#pop()
    }
  }

  #compact(): void {
    const live = this.#heap.filter((e) => e.state === 'pending')
    this.#heap = []
    for (const e of live) this.#push(e)
  }

  #push(entry: Entry): void {
    const heap = this.#heap
    heap.push(entry)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent] as Entry
      if (!before(entry, p)) break
      heap[i] = p
      i = parent
    }
    heap[i] = entry
  }

  #pop(): void {
    const heap = this.#heap
    const last = heap.pop()
    if (last === undefined || heap.length === 0) return
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= heap.length) break
      const r = l + 1
      const rEntry = heap[r]
      const child = rEntry !== undefined && before(rEntry, heap[l] as Entry) ? r : l
      const c = heap[child] as Entry
      if (!before(c, last)) break
      heap[i] = c
      i = child
    }
    heap[i] = last
  }
}

/**
 * Timers owned by one node, cancelled together when it crashes: a crashed node's timeouts
 * must not fire into its next incarnation.
 */
export class TimerGroup {
  readonly #scheduler: Scheduler
  readonly #handles = new Set<TimerHandle>()

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler
  }

  get size(): number {
    return this.#handles.size
  }

  at(time: Time, fn: () => void): TimerHandle {
    const handle = this.#scheduler.at(time, () => {
      this.#handles.delete(handle)
      fn()
    })
    this.#handles.add(handle)
    return {
      time,
      get pending() {
        return handle.pending
      },
      cancel: () => {
        this.#handles.delete(handle)
        return handle.cancel()
      },
    }
  }

  after(delay: number, fn: () => void): TimerHandle {
    return this.at(this.#scheduler.now() + delay, fn)
  }

  cancelAll(): number {
    let n = 0
    for (const h of this.#handles) if (h.cancel()) n++
    this.#handles.clear()
    return n
  }
}
