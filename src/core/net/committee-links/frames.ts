/**
 * Frames on a long-lived stream: `varint(length) ‖ payload`, the framing of libp2p's `lpStream`
 * (unsigned LEB128 length), read synchronously from a stream's `message` events so one turn
 * decodes every frame that arrived, with no promise per frame.
 *
 * Invariants: a frame's length is checked against the protocol's limit as soon as its prefix is
 * complete, before any of its payload is buffered; a prefix longer than the limit's own varint is
 * refused at once; the reader holds at most one partial frame plus the chunk just received.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { PeerAction, ProtocolError } from '../../errors.ts'

/** Bytes of the varint encoding of `n` (a safe, non-negative integer). */
export function varintLength(n: number): number {
  let bytes = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    bytes++
  }
  return bytes
}

/** Writes the varint of `n` at `at`; returns the offset after it. */
export function writeVarint(n: number, into: Uint8Array, at: number): number {
  while (n >= 0x80) {
    into[at++] = (n % 0x80) | 0x80
    n = Math.floor(n / 0x80)
  }
  into[at++] = n
  return at
}

/** `frames`, each with its length prefix, in one buffer (one write on the stream). */
export function encodeFrames(frames: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const f of frames) size += varintLength(f.length) + f.length
  const out = new Uint8Array(size)
  let at = 0
  for (const f of frames) {
    at = writeVarint(f.length, out, at)
    out.set(f, at)
    at += f.length
  }
  return out
}

export interface FrameReaderInit {
  /** The protocol's largest frame. */
  readonly maxDataLength: number
  /** Throws the protocol's typed error for a length above the limit (its frame codec's check). */
  readonly checkLength?: (length: number) => void
}

export class FrameReader {
  readonly #buffer = new Uint8ArrayList()
  readonly #maxDataLength: number
  readonly #maxPrefix: number
  readonly #checkLength: (length: number) => void
  /** The payload length of the frame being read; -1 while its prefix is incomplete. */
  #need = -1

  constructor(init: FrameReaderInit) {
    this.#maxDataLength = init.maxDataLength
    this.#maxPrefix = varintLength(init.maxDataLength)
    this.#checkLength = init.checkLength ?? ((n) => this.#defaultCheck(n))
  }

  /** Bytes held: a partial frame (and its prefix) not yet complete. */
  get buffered(): number {
    return this.#buffer.byteLength
  }

  /**
   * Appends a received chunk and hands every complete frame to `onFrame`, in order. Throws a
   * typed error (with a peer action) for a frame over the limit; the stream is then unusable.
   */
  push(chunk: Uint8Array | Uint8ArrayList, onFrame: (frame: Uint8Array) => void): void {
    this.#buffer.append(chunk)
    const buffer = this.#buffer
    while (buffer.byteLength > 0) {
      if (this.#need < 0) {
        const prefix = this.#prefix()
        if (prefix === null) return
        this.#checkLength(prefix.length)
        buffer.consume(prefix.bytes)
        this.#need = prefix.length
      }
      if (buffer.byteLength < this.#need) return
      const frame = buffer.subarray(0, this.#need)
      buffer.consume(this.#need)
      this.#need = -1
      onFrame(frame)
    }
  }

  /** The complete length prefix at the head of the buffer, or null while it is incomplete. */
  #prefix(): { length: number; bytes: number } | null {
    const buffer = this.#buffer
    let length = 0
    let scale = 1
    const available = Math.min(buffer.byteLength, this.#maxPrefix)
    for (let i = 0; i < available; i++) {
      const byte = buffer.get(i)
      length += (byte & 0x7f) * scale
      if (byte < 0x80) return { length, bytes: i + 1 }
      scale *= 0x80
    }
    if (available === this.#maxPrefix)
      throw new ProtocolError(
        'PROTOCOL_FRAME_TOO_LARGE',
        `a length prefix longer than ${this.#maxPrefix} bytes (limit ${this.#maxDataLength})`,
        PeerAction.LowToleranceError,
      )
    return null
  }

  #defaultCheck(length: number): void {
    if (length > this.#maxDataLength)
      throw new ProtocolError(
        'PROTOCOL_FRAME_TOO_LARGE',
        `a frame of ${length} bytes, limit ${this.#maxDataLength}`,
        PeerAction.LowToleranceError,
      )
  }
}
