/**
 * What a per-request stream's failure costs (the `tx` and `peers` protocols): a read over the
 * protocol's frame limit is the peer's fault (`PROTOCOL_FRAME_TOO_LARGE`, low tolerance); a stream
 * that ends or resets early is not (`TRUNCATED`, no action); an error already typed keeps its own.
 *
 * Invariants: pure; always returns a `TimeCoinError`, whatever was thrown.
 */
import { EncodingError, PeerAction, ProtocolError, TimeCoinError } from '../errors.ts'
import { PROTOCOLS, type ProtocolKey } from '../protocol/protocols.ts'
import { isOversizeRead } from './defence/read-limits.ts'

export function streamError(error: unknown, protocol: ProtocolKey): TimeCoinError {
  if (error instanceof TimeCoinError) return error
  if (isOversizeRead(error))
    return new ProtocolError(
      'PROTOCOL_FRAME_TOO_LARGE',
      `a ${protocol} frame over ${PROTOCOLS[protocol].maxDataLength} bytes`,
      PeerAction.LowToleranceError,
      { cause: error },
    )
  return new EncodingError(
    'TRUNCATED',
    `the ${protocol} stream failed: ${error instanceof Error ? error.message : String(error)}`,
    undefined,
    { cause: error },
  )
}
