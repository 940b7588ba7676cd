/**
 * Frame limits on `lpStream` reads (the per-request protocols: handshake, tx, peers, sync), and how
 * a service tells that a peer broke them. `frameLimits(max)` gives the read options: the largest
 * frame, a read buffer of one frame and its prefix, and a length decoder that refuses a prefix
 * longer than the largest frame's as soon as it is — libp2p's own decoder treats an unfinished
 * varint as "read on" however long it grows, so a peer trickling continuation bytes would pile
 * them up until the read's deadline. `isOversizeRead` recognises each refusal: the announced length
 * over the limit (InvalidDataLengthError), a prefix too long (InvalidDataLengthLengthError), or
 * more bytes at once than the read buffer holds (StreamBufferError) — a peer that sends more than
 * one frame's worth before it is answered. Each is the peer's fault and costs it (low tolerance);
 * nothing past the limit is buffered.
 *
 * Invariants: pure; a prefix is decoded exactly as libp2p's unsigned varint is; libp2p's errors
 * are recognised by name only (no import of their classes).
 */
import type { Uint8ArrayList } from 'uint8arraylist'

const OVERSIZE_ERRORS: ReadonlySet<string> = new Set([
  'InvalidDataLengthError',
  'InvalidDataLengthLengthError',
  'StreamBufferError',
])

/** Whether a stream read failed because the peer sent more than the protocol's frame limit. */
export function isOversizeRead(error: unknown): boolean {
  return error instanceof Error && OVERSIZE_ERRORS.has(error.name)
}

/** Bytes of the unsigned varint of `n`. */
function varintLength(n: number): number {
  let bytes = 1
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) bytes++
  return bytes
}

/** A length prefix longer than the frame limit needs (libp2p's error name, so one check sees it). */
class InvalidDataLengthLengthError extends Error {
  override name = 'InvalidDataLengthLengthError'
}

/** A length decoder for `lpStream` that refuses a prefix longer than `maxDataLength` needs. */
export function boundedLengthDecoder(
  maxDataLength: number,
): (data: Uint8ArrayList | Uint8Array) => number {
  const maxPrefix = varintLength(maxDataLength)
  return (data) => {
    let length = 0
    let scale = 1
    const available = Math.min(data.byteLength, maxPrefix)
    for (let i = 0; i < available; i++) {
      const byte = (data instanceof Uint8Array ? data[i] : data.get(i)) ?? 0
      length += (byte & 0x7f) * scale
      if (byte < 0x80) return length
      scale *= 0x80
    }
    if (data.byteLength >= maxPrefix)
      throw new InvalidDataLengthLengthError(
        `a length prefix longer than ${maxPrefix} bytes (limit ${maxDataLength})`,
      )
    throw new RangeError('the length prefix is not complete yet')
  }
}

/** `lpStream` options that hold a read to frames of at most `maxDataLength` bytes. */
export function frameLimits(maxDataLength: number): {
  readonly maxDataLength: number
  readonly maxBufferSize: number
  readonly lengthDecoder: (data: Uint8ArrayList | Uint8Array) => number
} {
  return {
    maxDataLength,
    maxBufferSize: maxDataLength + varintLength(maxDataLength),
    lengthDecoder: boundedLengthDecoder(maxDataLength),
  }
}
