/**
 * One definition per protocol (docs/PROTOCOL.md §19.2): how its streams are used, the frames each
 * side sends with their codecs, the largest frame (`maxDataLength`, to give libp2p's `lpStream`,
 * which checks it before it buffers a frame) and the request timeout. A network service takes
 * everything about a protocol from here; adding a protocol is adding an entry.
 *
 * Invariants: every `maxDataLength` follows from the frame codecs' limits, which follow from the
 * component codecs' `maxSize` — none is a guess; a side reads the other side's frames, so it reads
 * with the other side's codec and limit.
 */
import type { Message } from '../engine/messages.ts'
import type { NetworkName } from '../primitives/network.ts'
import { EngineMessageCodec } from './engine-messages.ts'
import { PEERS_ANSWER_FRAMES, PEERS_REQUEST_FRAMES } from './peer-exchange.ts'
import { PROTOCOL_VERSIONS, type ProtocolName, protocolId } from './protocol-ids.ts'
import { SYNC_ANSWER_FRAMES, SYNC_REQUEST_FRAMES } from './sync-messages.ts'
import { type FrameCodec, frameCodec } from './tagged-union.ts'
import { WALLET_CLIENT_FRAMES, WALLET_SERVER_FRAMES } from './wallet-messages.ts'

export interface ProtocolSpec<Dialer, Listener> {
  readonly name: ProtocolName
  readonly version: number
  /**
   * `long-lived`: one stream per peer pair, opened once and kept (committee links, a wallet's
   * stream); `per-request`: a new stream for each request and its answer, then closed.
   */
  readonly streams: 'long-lived' | 'per-request'
  /** What the side that opened the stream sends. */
  readonly dialer: FrameCodec<Dialer>
  /** What the side that accepted it sends; null when it sends nothing. */
  readonly listener: FrameCodec<Listener> | null
  /** The largest frame either way. */
  readonly maxDataLength: number
  /**
   * Milliseconds: per-request, from opening the stream to the answer's last frame; long-lived,
   * for a request on it to be answered (wallet), or for the stream to open and a written frame
   * to drain (committee links) before the stream counts as broken.
   */
  readonly timeoutMs: number
}

function spec<D, L>(
  name: ProtocolName,
  streams: ProtocolSpec<D, L>['streams'],
  dialer: FrameCodec<D>,
  listener: FrameCodec<L> | null,
  timeoutMs: number,
): ProtocolSpec<D, L> {
  return {
    name,
    version: PROTOCOL_VERSIONS[name],
    streams,
    dialer,
    listener,
    maxDataLength: Math.max(dialer.maxDataLength, listener?.maxDataLength ?? 0),
    timeoutMs,
  }
}

const ENGINE_TYPES = Object.keys(EngineMessageCodec.tags) as Message['type'][]
const committeeLink = frameCodec('consensus', EngineMessageCodec, ENGINE_TYPES)

/**
 * The protocols every node speaks, besides the handshake (its codec is handshake.ts, its id
 * `protocolId(network, 'handshake')`, its deadline the handshake service's):
 * - `consensus`: the committee link between two masternodes, every engine message both ways;
 * - `tx`: a transaction from anyone (a full node or wallet relaying it), no answer;
 * - `wallet`: a wallet's stream to a masternode (wallet-messages.ts);
 * - `sync`: blocks by range and snapshot chunks (sync-messages.ts);
 * - `peers`: peer exchange (peer-exchange.ts).
 */
export const PROTOCOLS = {
  consensus: spec('consensus', 'long-lived', committeeLink, committeeLink, 10_000),
  tx: spec(
    'tx',
    'per-request',
    frameCodec('tx', EngineMessageCodec, ['TransactionBroadcast']),
    null,
    10_000,
  ),
  wallet: spec('wallet', 'long-lived', WALLET_CLIENT_FRAMES, WALLET_SERVER_FRAMES, 30_000),
  sync: spec('sync', 'per-request', SYNC_REQUEST_FRAMES, SYNC_ANSWER_FRAMES, 60_000),
  peers: spec('peers', 'per-request', PEERS_REQUEST_FRAMES, PEERS_ANSWER_FRAMES, 10_000),
} as const

export type ProtocolKey = keyof typeof PROTOCOLS

/** The id of a protocol of the table on `network`. */
export function protocolIdOf(network: NetworkName, key: ProtocolKey): string {
  return protocolId(network, key, PROTOCOLS[key].version)
}
