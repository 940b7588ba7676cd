/**
 * One link: the kept-open consensus stream to one masternode (or none while it reconnects) and the
 * frames waiting for it. Frames queued during one turn go out in one write; a write the stream
 * cannot take yet (`send()` false) waits for `drain`, and meanwhile frames gather in the bounded
 * queue. Inbound bytes are always read (a stream nobody reads is reset once its buffer fills).
 *
 * Invariants: at most one stream is attached, and only its events reach the link (a replaced
 * stream's listeners are removed); at most one write is waiting for drain, and one that does not
 * drain within `drainTimeoutMs` reports the link broken; frames leave in the order they were sent.
 */
import type { PeerId, Stream, StreamMessageEvent } from '@libp2p/interface'
import { LinkError, type TimeCoinError } from '../../errors.ts'
import { CoalescingWriter } from '../coalescing-writer.ts'
import { encodeFrames, FrameReader, varintLength, writeVarint } from './frames.ts'
import { OutboundQueue } from './outbound-queue.ts'

/** Counters shared by every link of a service (metrics-friendly, only ever growing). */
export interface LinkCounters {
  framesIn: number
  bytesIn: number
  framesOut: number
  bytesOut: number
  /** Stream writes: each carries every frame queued in one turn (up to the write size). */
  writes: number
  /** Frames dropped because a link's queue was full. */
  dropped: number
  /** Writes that had to wait for the stream to drain. */
  drainWaits: number
}

export function newLinkCounters(): LinkCounters {
  return {
    framesIn: 0,
    bytesIn: 0,
    framesOut: 0,
    bytesOut: 0,
    writes: 0,
    dropped: 0,
    drainWaits: 0,
  }
}

export interface LinkHooks {
  /** A complete inbound frame. */
  readonly frame: (link: Link, frame: Uint8Array) => void
  /** A framing error (the stream is unusable), or a write that did not drain in time. */
  readonly failed: (link: Link, error: TimeCoinError) => void
  /** The attached stream closed (of itself, or aborted). */
  readonly closed: (link: Link, stream: Stream) => void
}

export interface LinkInit {
  /** The peer's masternode key, hex (the engine's name for it). */
  readonly key: string
  readonly maxQueueBytes: number
  /** Most bytes gathered into one write. */
  readonly maxWriteBytes: number
  readonly maxDataLength: number
  readonly checkLength?: (length: number) => void
  readonly drainTimeoutMs: number
  readonly counters: LinkCounters
  readonly hooks: LinkHooks
}

export class Link {
  readonly key: string
  readonly queue: OutboundQueue
  readonly #init: LinkInit
  #stream: Stream | null = null
  /** Masternode key (hex) of the side that opened the attached stream. */
  #opener = ''
  #reader: FrameReader | null = null
  readonly #writer: CoalescingWriter
  #paused = false
  /** The libp2p peer at the other end of the attached stream (kept after it closes). */
  peer: PeerId | undefined

  constructor(init: LinkInit) {
    this.key = init.key
    this.#init = init
    this.queue = new OutboundQueue(init.maxQueueBytes)
    const counters = init.counters
    this.#writer = new CoalescingWriter({
      ready: () => this.queue.length > 0,
      take: () => {
        const frames = this.queue.take(init.maxWriteBytes)
        const bytes = frames.length === 1 ? single(frames[0]!) : encodeFrames(frames)
        return { bytes, frames: frames.length }
      },
      writable: () => this.open,
      drainTimeoutMs: init.drainTimeoutMs,
      writeFailed: (error) =>
        init.hooks.failed(this, broken(`write failed: ${messageOf(error)}`, error)),
      drainTimedOut: () =>
        init.hooks.failed(
          this,
          broken(`the stream did not drain within ${init.drainTimeoutMs} ms`),
        ),
      written: (frames, bytes) => {
        counters.writes++
        counters.framesOut += frames
        counters.bytesOut += bytes
      },
      waiting: () => {
        counters.drainWaits++
      },
    })
  }

  get stream(): Stream | null {
    return this.#stream
  }

  /** Whether a stream is attached and open for writing. */
  get open(): boolean {
    const s = this.#stream
    return s !== null && s.status === 'open' && s.writeStatus === 'writable'
  }

  /** Who opened the attached stream ('' when none is). */
  get opener(): string {
    return this.#opener
  }

  /** Attaches `stream` (opened by `opener`) and starts reading it; flushes what was queued. */
  attach(stream: Stream, opener: string, peer: PeerId): void {
    this.detach()
    this.#stream = stream
    this.peer = peer
    this.#opener = opener
    this.#reader = new FrameReader({
      maxDataLength: this.#init.maxDataLength,
      ...(this.#init.checkLength === undefined ? {} : { checkLength: this.#init.checkLength }),
    })
    // A link stream may carry a large proposal: its read buffer (while paused) must hold one.
    stream.maxReadBufferLength = Math.max(
      stream.maxReadBufferLength,
      this.#init.maxDataLength + varintLength(this.#init.maxDataLength),
    )
    stream.addEventListener('message', this.#onMessage)
    stream.addEventListener('close', this.#onClose)
    stream.addEventListener('drain', this.#onDrain)
    if (this.#paused) stream.pause()
    this.#writer.attach(stream)
    this.#writer.schedule()
  }

  /** Detaches the stream (its events no longer reach the link) and returns it, to be closed. */
  detach(): Stream | null {
    const stream = this.#stream
    if (stream === null) return null
    stream.removeEventListener('message', this.#onMessage)
    stream.removeEventListener('close', this.#onClose)
    stream.removeEventListener('drain', this.#onDrain)
    this.#writer.detach()
    this.#stream = null
    this.#opener = ''
    this.#reader = null
    return stream
  }

  /** Queues a frame; returns false when the queue refused it (the drop is counted). */
  send(frame: Uint8Array, essential: boolean): boolean {
    const { queued, dropped } = this.queue.push(frame, essential)
    this.#init.counters.dropped += dropped
    if (queued) this.#writer.schedule()
    return queued
  }

  /** Stops reading (the muxer's flow-control credit then stops the peer) until `resume`. */
  pause(): void {
    this.#paused = true
    this.#stream?.pause()
  }

  resume(): void {
    this.#paused = false
    this.#stream?.resume()
  }

  readonly #onDrain = (): void => {
    this.#writer.onDrain()
  }

  readonly #onMessage = (event: StreamMessageEvent): void => {
    const reader = this.#reader
    if (reader === null) return
    const counters = this.#init.counters
    counters.bytesIn += event.data.byteLength
    try {
      reader.push(event.data, (frame) => {
        counters.framesIn++
        this.#init.hooks.frame(this, frame)
      })
    } catch (error) {
      this.#init.hooks.failed(this, error as TimeCoinError)
    }
  }

  /** Only the attached stream's close reaches here: a detached stream's listeners are gone. */
  readonly #onClose = (): void => {
    const stream = this.#stream
    if (stream === null) return
    this.detach()
    this.#init.hooks.closed(this, stream)
  }
}

/** One frame with its prefix. */
function single(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(frame.length) + frame.length)
  out.set(frame, writeVarint(frame.length, out, 0))
  return out
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export function broken(message: string, cause?: unknown): LinkError {
  return new LinkError('LINK_BROKEN', message, undefined, { cause })
}
