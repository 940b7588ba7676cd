/**
 * What both sides of a sync stream share (docs/PROTOCOL.md §19.6): the request and answer types,
 * the typed error for whatever a stream operation threw, the `SyncError` answer of something not
 * served here, and the dialer's exchange — one stream per request: our message, the peer's
 * Status, then (for a request) its answer.
 *
 * Invariants: every error leaving here is a `TimeCoinError` (a frame over the protocol's limit is
 * low tolerance; a peer that answers out of order too); an exchange waits for the handshake,
 * reads at most two frames within the protocol's limit, and ends by its deadline or `signal`.
 */
import type { Connection, PeerId } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import { lpStream } from '@libp2p/utils'
import { PeerAction, ProtocolError, SyncError, TimeCoinError } from '../../errors.ts'
import { PROTOCOLS } from '../../protocol/protocols.ts'
import type { SyncMessage } from '../../protocol/sync-messages.ts'
import { frameLimits, isOversizeRead } from '../defence/read-limits.ts'
import type { HandshakeService } from '../handshake/handshake-service.ts'

export type SyncRequest = Extract<
  SyncMessage,
  { type: 'Status' | 'BlocksByRangeRequest' | 'SnapshotChunkRequest' }
>
export type SyncAnswer =
  | Exclude<SyncMessage, SyncRequest>
  | Extract<SyncMessage, { type: 'Status' }>

/** A typed error for whatever a sync stream operation threw. */
export function typed(error: unknown, what: string): TimeCoinError {
  if (error instanceof TimeCoinError) return error
  if (isOversizeRead(error))
    return new ProtocolError(
      'PROTOCOL_FRAME_TOO_LARGE',
      `a sync frame over ${PROTOCOLS.sync.maxDataLength} bytes`,
      PeerAction.LowToleranceError,
      { cause: error },
    )
  return new SyncError(
    'SYNC_REQUEST_FAILED',
    `${what}: ${error instanceof Error ? error.message : String(error)}`,
    undefined,
    { cause: error },
  )
}

/** The answer to a request this node cannot serve. */
export function unavailable(message: string): SyncAnswer {
  return { type: 'SyncError', error: { code: 'SYNC_UNAVAILABLE', message } }
}

export interface ExchangeParts {
  readonly protocol: string
  readonly connectionManager: Pick<ConnectionManager, 'getConnections'>
  readonly handshake: Pick<HandshakeService, 'verified'>
  /** Ends the exchange early (the service stopping). */
  readonly signal: AbortSignal
  readonly timeoutMs: number
  /** The peer's tip, from the Status that opens its side. */
  readonly onStatus: (peer: PeerId, height: number, hash: Uint8Array) => void
}

/**
 * Opens a sync stream to `peer`, sends `message`, and reads the peer's Status (handed to
 * `onStatus`) and, for a request, the answer.
 */
export async function exchange(
  parts: ExchangeParts,
  peer: PeerId,
  message: SyncRequest,
): Promise<SyncAnswer | undefined> {
  const spec = PROTOCOLS.sync
  const signal = AbortSignal.any([AbortSignal.timeout(parts.timeoutMs), parts.signal])
  const connection: Connection | undefined = parts.connectionManager
    .getConnections(peer)
    .find((c) => c.status === 'open')
  if (connection === undefined)
    throw new SyncError('SYNC_REQUEST_FAILED', `no open connection to ${peer}`)
  await parts.handshake.verified(connection, { signal })
  const stream = await connection.newStream(parts.protocol, { signal })
  try {
    // The answer may follow the peer's Status in one write: room for both.
    const limits = frameLimits(spec.listener!.maxDataLength)
    const lp = lpStream(stream, { ...limits, maxBufferSize: limits.maxBufferSize + 64 })
    await lp.write(spec.dialer.encode(message), { signal })
    const status = spec.listener!.decode((await lp.read({ signal })).subarray())
    if (status.type !== 'Status')
      throw new SyncError(
        'SYNC_BAD_ANSWER',
        `a ${status.type} before the Status`,
        PeerAction.LowToleranceError,
      )
    parts.onStatus(peer, status.height, status.hash)
    const answer =
      message.type === 'Status'
        ? undefined
        : spec.listener!.decode((await lp.read({ signal })).subarray())
    await stream.close({ signal })
    return answer
  } catch (error) {
    stream.abort(error instanceof Error ? error : new Error(String(error)))
    throw error
  }
}
