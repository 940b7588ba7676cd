/**
 * How a per-request protocol tells that a peer broke its frame limit while `lpStream` read: the
 * announced length is over `maxDataLength` (InvalidDataLengthError), its varint is longer than
 * that limit needs (InvalidDataLengthLengthError), or more bytes arrived at once than the read
 * buffer (`maxBufferSize`: one frame and its prefix) holds (StreamBufferError) — a peer that sends
 * more than one frame's worth before it is answered. Each is the peer's fault and costs it
 * (PROTOCOL_FRAME_TOO_LARGE or the protocol's own code, low tolerance); nothing past the limit was
 * buffered.
 *
 * Invariants: pure; recognises libp2p's errors by name only (no import of their classes).
 */

const OVERSIZE_ERRORS: ReadonlySet<string> = new Set([
  'InvalidDataLengthError',
  'InvalidDataLengthLengthError',
  'StreamBufferError',
])

/** Whether a stream read failed because the peer sent more than the protocol's frame limit. */
export function isOversizeRead(error: unknown): boolean {
  return error instanceof Error && OVERSIZE_ERRORS.has(error.name)
}
