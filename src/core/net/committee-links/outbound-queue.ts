/**
 * One link's frames waiting to be written, bounded in bytes. When a frame does not fit, the
 * oldest non-essential frames (requests the engine repeats on its own) make room; if that is not
 * enough the new frame is dropped. Either way the drop is counted and the engine re-sends what
 * matters (its votes, proposals and requests are re-sent on timers).
 *
 * Invariants: `bytes` is the sum of the queued frames' lengths and stays ≤ `maxBytes`, except
 * that an empty queue takes one frame of any size (a proposal may be larger than the bound);
 * frames leave in the order they came, less the dropped ones; every operation is O(1) amortized.
 */

export interface PushResult {
  /** Whether the new frame was queued. */
  readonly queued: boolean
  /** Frames dropped by this push: older non-essential ones, and the new one if it was refused. */
  readonly dropped: number
}

export class OutboundQueue {
  readonly maxBytes: number
  /** Every queued frame by sequence number; a Map iterates in insertion order (FIFO). */
  readonly #frames = new Map<number, Uint8Array>()
  /** The non-essential ones among them, oldest first. */
  readonly #optional = new Map<number, Uint8Array>()
  #next = 0
  #bytes = 0

  constructor(maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError('an outbound queue needs a positive byte bound')
    this.maxBytes = maxBytes
  }

  get bytes(): number {
    return this.#bytes
  }

  get length(): number {
    return this.#frames.size
  }

  push(frame: Uint8Array, essential: boolean): PushResult {
    let dropped = 0
    if (this.#frames.size > 0 && this.#bytes + frame.length > this.maxBytes) {
      for (const [seq, old] of this.#optional) {
        if (this.#bytes + frame.length <= this.maxBytes) break
        this.#optional.delete(seq)
        this.#frames.delete(seq)
        this.#bytes -= old.length
        dropped++
      }
      if (this.#frames.size > 0 && this.#bytes + frame.length > this.maxBytes)
        return { queued: false, dropped: dropped + 1 }
    }
    const seq = this.#next++
    this.#frames.set(seq, frame)
    if (!essential) this.#optional.set(seq, frame)
    this.#bytes += frame.length
    return { queued: true, dropped }
  }

  /** Takes frames from the head, at least one, until the next would pass `maxBytes` in total. */
  take(maxBytes: number): Uint8Array[] {
    const out: Uint8Array[] = []
    let size = 0
    for (const [seq, frame] of this.#frames) {
      if (out.length > 0 && size + frame.length > maxBytes) break
      out.push(frame)
      size += frame.length
      this.#frames.delete(seq)
      this.#optional.delete(seq)
    }
    this.#bytes -= size
    return out
  }

  /** Empties the queue; returns how many frames it held. */
  clear(): number {
    const n = this.#frames.size
    this.#frames.clear()
    this.#optional.clear()
    this.#bytes = 0
    return n
  }
}
