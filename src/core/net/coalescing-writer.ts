/**
 * The write side of a kept-open stream, shared by committee links and wallet sessions: what its
 * owner queues during one turn goes out in one write (a microtask after the first `schedule`), cut
 * into writes of the size the owner's `take` chooses; a write the stream cannot take yet (`send()`
 * false, or `writableNeedsDrain`) waits for the owner to report `onDrain()`.
 *
 * Invariants: bytes reach the sink in the order `take` returned them; at most one write waits for
 * drain, and while it waits nothing more is written; a wait longer than `drainTimeoutMs` is
 * reported once (`drainTimedOut`); a `send` that throws is reported (`writeFailed`) and ends the
 * flush; with no sink attached, or once `close`d, nothing is written and no timer is left running.
 */

/** What the writer needs of a stream (a libp2p `Stream` is one). */
export interface WriteSink {
  /** Queues `bytes`; false: they are taken, but wait for the `drain` event before sending more. */
  send(bytes: Uint8Array): boolean
  readonly writableNeedsDrain: boolean
}

/** One write's bytes and the number of frames they carry (for counters). */
export interface TakenWrite {
  readonly bytes: Uint8Array
  readonly frames: number
}

export interface CoalescingWriterInit {
  /** Whether something is ready to write (the head of the owner's queue). */
  readonly ready: () => boolean
  /** Takes the next write's bytes off the owner's queue (only called after `ready()`). */
  readonly take: () => TakenWrite
  /** Whether the sink may be written to now (open, not closing). */
  readonly writable: () => boolean
  readonly drainTimeoutMs: number
  /** A `send` threw: the stream is unusable (the flush stops). */
  readonly writeFailed: (error: unknown) => void
  /** A write waited for drain longer than `drainTimeoutMs`. */
  readonly drainTimedOut: () => void
  /** One write went to the sink. */
  readonly written?: (frames: number, bytes: number) => void
  /** A write started waiting for drain. */
  readonly waiting?: () => void
}

export class CoalescingWriter {
  readonly #init: CoalescingWriterInit
  #sink: WriteSink | null = null
  #scheduled = false
  #drainTimer: ReturnType<typeof setTimeout> | undefined
  #closed = false

  constructor(init: CoalescingWriterInit, sink: WriteSink | null = null) {
    this.#init = init
    this.#sink = sink
  }

  /** A write is waiting for the sink to drain. */
  get waitingForDrain(): boolean {
    return this.#drainTimer !== undefined
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Writes to `sink` from now on (a wait for the previous sink's drain is dropped). */
  attach(sink: WriteSink): void {
    this.#clearDrainTimer()
    this.#sink = sink
  }

  /** Stops writing to the current sink (what is queued stays with the owner). */
  detach(): void {
    this.#clearDrainTimer()
    this.#sink = null
  }

  /** Flushes at the end of the current turn (once, however often it is asked). */
  schedule(): void {
    if (this.#scheduled || this.#closed) return
    this.#scheduled = true
    queueMicrotask(this.flush)
  }

  /** Writes what is ready now, write after write, until the sink needs to drain. */
  readonly flush = (): void => {
    this.#scheduled = false
    const sink = this.#sink
    const init = this.#init
    while (
      !this.#closed &&
      sink !== null &&
      sink === this.#sink &&
      init.writable() &&
      init.ready()
    ) {
      if (this.#drainTimer !== undefined) return
      if (sink.writableNeedsDrain) return this.#awaitDrain()
      const { bytes, frames } = init.take()
      let accepted: boolean
      try {
        accepted = sink.send(bytes)
      } catch (error) {
        init.writeFailed(error)
        return
      }
      init.written?.(frames, bytes.length)
      if (!accepted) return this.#awaitDrain()
    }
  }

  /** The sink drained: the waiting write's successors go out. */
  onDrain(): void {
    this.#clearDrainTimer()
    this.flush()
  }

  /** Nothing more is written; the drain timer is cleared. */
  close(): void {
    this.#closed = true
    this.#clearDrainTimer()
    this.#sink = null
  }

  #awaitDrain(): void {
    if (this.#drainTimer !== undefined) return
    this.#init.waiting?.()
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = undefined
      this.#init.drainTimedOut()
    }, this.#init.drainTimeoutMs)
  }

  #clearDrainTimer(): void {
    if (this.#drainTimer === undefined) return
    clearTimeout(this.#drainTimer)
    this.#drainTimer = undefined
  }
}
