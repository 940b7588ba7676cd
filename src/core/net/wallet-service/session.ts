/**
 * One wallet's long-lived stream on the masternode side: frames in (cut synchronously, each
 * length checked against the wallet's limit before its payload is buffered), frames out through
 * an ordered, byte-bounded queue. An answer that takes a moment (a submit, a committee proof, an
 * old block read from the store) holds its place in the queue (`reserve`), so the wallet receives
 * answers and pushes in the order the requests and state changes happened.
 *
 * Frames are queued with their length prefix: a push shared by every subscriber of an address is
 * framed once, and a write of one frame sends those very bytes.
 *
 * Invariants: frames leave in queue order, and none passes a reserved place still empty; queued
 * bytes ≤ `maxQueueBytes` (one larger frame is taken into an empty queue), past it — or when a write
 * has not drained within `timeoutMs` — the wallet is too slow and its stream is reset; at most one
 * write waits for drain; after `close` nothing is queued or written.
 */
import type { PeerId, Stream, StreamMessageEvent } from '@libp2p/interface'
import { type TimeCoinError, WalletError } from '../../errors.ts'
import { PROTOCOLS } from '../../protocol/protocols.ts'
import { CoalescingWriter } from '../coalescing-writer.ts'
import { encodeFrames, FrameReader } from '../committee-links/frames.ts'

/** A place in the queue for an answer still being built; `frame` is the framed answer. */
export interface Slot {
  frame: Uint8Array | null
}

/** `varint(length) ‖ payload`: a frame as it is queued and written. */
export function framed(payload: Uint8Array): Uint8Array {
  return encodeFrames([payload])
}

export interface SessionHooks {
  /** A complete frame from the wallet. */
  frame(session: WalletSession, frame: Uint8Array): void
  /** The stream closed or was reset (by either side); the session is over. */
  closed(session: WalletSession, error: TimeCoinError | undefined): void
}

export interface SessionInit {
  readonly id: number
  readonly peer: PeerId
  readonly stream: Stream
  readonly maxQueueBytes: number
  readonly timeoutMs: number
  readonly hooks: SessionHooks
}

/** Most bytes gathered into one write. */
const MAX_WRITE_BYTES = 256 * 1024

export class WalletSession {
  readonly id: number
  readonly peer: PeerId
  /** The addresses this wallet subscribed to (hex), ≤ the service's per-wallet limit. */
  readonly addresses = new Set<string>()
  /** Requests being answered (their slots reserved, not yet filled). */
  pending = 0
  readonly #stream: Stream
  readonly #reader: FrameReader
  readonly #init: SessionInit
  readonly #queue: Slot[] = []
  #queuedBytes = 0
  readonly #writer: CoalescingWriter
  #closed = false
  /** Closing after a last flush: nothing more is queued. */
  #closing = false
  #paused = false
  /** Frames and bytes written (for stats and tests). */
  framesOut = 0
  bytesOut = 0

  constructor(init: SessionInit) {
    this.id = init.id
    this.peer = init.peer
    this.#init = init
    this.#stream = init.stream
    const limits = PROTOCOLS.wallet.dialer
    this.#reader = new FrameReader({
      maxDataLength: limits.maxDataLength,
      checkLength: limits.checkLength,
    })
    const slow = (why: string) => this.abort(new WalletError('WALLET_SLOW_SUBSCRIBER', why))
    this.#writer = new CoalescingWriter(
      {
        ready: () => this.#queue[0]?.frame != null,
        take: () => this.#take(),
        writable: () => !this.#closed && !this.#closing,
        drainTimeoutMs: init.timeoutMs,
        writeFailed: (error) =>
          slow(`write failed: ${error instanceof Error ? error.message : String(error)}`),
        drainTimedOut: () => slow(`the wallet stream did not drain within ${init.timeoutMs} ms`),
        written: (frames, bytes) => {
          this.framesOut += frames
          this.bytesOut += bytes
        },
      },
      init.stream,
    )
    init.stream.addEventListener('message', this.#onMessage)
    init.stream.addEventListener('close', this.#onClose)
    init.stream.addEventListener('drain', this.#onDrain)
    init.stream.addEventListener('end', this.#onEnd)
  }

  get closed(): boolean {
    return this.#closed
  }

  get queuedBytes(): number {
    return this.#queuedBytes
  }

  /** Queues a frame (`framed`); a wallet whose queue overflows is disconnected. */
  push(frame: Uint8Array): void {
    if (this.#closed || this.#closing) return
    this.#add({ frame })
  }

  /** A place in the queue for an answer built later (`fill`). */
  reserve(): Slot {
    const slot: Slot = { frame: null }
    if (!this.#closed && !this.#closing) this.#queue.push(slot)
    return slot
  }

  fill(slot: Slot, frame: Uint8Array): void {
    if (this.#closed || slot.frame !== null) return
    slot.frame = frame
    this.#count(frame)
  }

  /** Stops reading the wallet's frames (too many requests being answered) until `resume`. */
  pause(): void {
    if (this.#paused || this.#closed) return
    this.#paused = true
    this.#stream.pause()
  }

  resume(): void {
    if (!this.#paused || this.#closed) return
    this.#paused = false
    this.#stream.resume()
  }

  /** Writes what is queued, then closes the stream (a refusal or a notice was the last frame). */
  async closeAfterFlush(): Promise<void> {
    if (this.#closed || this.#closing) return
    this.#writer.flush()
    this.#closing = true
    const signal = AbortSignal.timeout(this.#init.timeoutMs)
    try {
      await this.#stream.close({ signal })
    } catch (error) {
      this.#stream.abort(error instanceof Error ? error : new Error(String(error)))
    }
  }

  /** Resets the stream with `error` (the session ends through the stream's close event). */
  abort(error: TimeCoinError): void {
    if (this.#closed) return
    // Ended first: the stream's own close event (dispatched by abort) no longer reaches us.
    this.#end(error)
    this.#stream.abort(error)
  }

  #add(slot: Slot): void {
    this.#queue.push(slot)
    if (slot.frame !== null) this.#count(slot.frame)
  }

  #count(frame: Uint8Array): void {
    this.#queuedBytes += frame.length
    // A burst in one turn (a block confirming many outputs) is written at once, not held for the
    // turn's end: only a wallet whose stream will not take it is over the bound.
    if (this.#queuedBytes > this.#init.maxQueueBytes) this.#writer.flush()
    if (this.#queuedBytes > this.#init.maxQueueBytes && this.#queue.length > 1) {
      this.abort(
        new WalletError(
          'WALLET_SLOW_SUBSCRIBER',
          `${this.#queuedBytes} bytes queued for the wallet, limit ${this.#init.maxQueueBytes}`,
        ),
      )
      return
    }
    this.#writer.schedule()
  }

  /** The filled frames at the head of the queue, up to MAX_WRITE_BYTES (at least one). */
  #take(): { bytes: Uint8Array; frames: number } {
    const frames: Uint8Array[] = []
    let size = 0
    for (let s = this.#queue[0]; s?.frame != null; s = this.#queue[0]) {
      if (frames.length > 0 && size + s.frame.length > MAX_WRITE_BYTES) break
      frames.push(s.frame)
      size += s.frame.length
      this.#queue.shift()
    }
    this.#queuedBytes -= size
    return { bytes: frames.length === 1 ? frames[0]! : concat(frames, size), frames: frames.length }
  }

  readonly #onDrain = (): void => {
    this.#writer.onDrain()
  }

  readonly #onMessage = (event: StreamMessageEvent): void => {
    if (this.#closed) return
    try {
      this.#reader.push(event.data, (frame) => this.#init.hooks.frame(this, frame))
    } catch (error) {
      // Only an oversize frame throws here (typed, low tolerance).
      this.abort(error as TimeCoinError)
    }
  }

  readonly #onClose = (): void => {
    this.#end(undefined)
  }

  /** The wallet closed its end and all it sent is read: what is queued still goes, then ours closes. */
  readonly #onEnd = (): void => {
    void this.closeAfterFlush()
  }

  #end(error: TimeCoinError | undefined): void {
    if (this.#closed) return
    this.#closed = true
    this.#writer.close()
    this.#queue.length = 0
    this.#queuedBytes = 0
    const stream = this.#stream
    stream.removeEventListener('message', this.#onMessage)
    stream.removeEventListener('close', this.#onClose)
    stream.removeEventListener('drain', this.#onDrain)
    stream.removeEventListener('end', this.#onEnd)
    this.#init.hooks.closed(this, error)
  }
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
