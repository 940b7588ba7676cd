/**
 * Peer exchange (docs/PROTOCOL.md §19.7): a node asks a peer for addresses of other peers it knows
 * and gets a bounded list of libp2p peer ids, their multiaddrs (binary form) and when each was last
 * seen. `u8 tag ‖ body`, tags 0x50–0x51. The bytes are only decoded here; whether a peer id or
 * multiaddr parses is libp2p's to judge, and an answer is a hint to dial, never trusted.
 *
 * Invariants: at most `MAX_EXCHANGED_PEERS` peers, `MAX_PEER_ADDRS` addresses each, every byte
 * string bounded, so an answer never exceeds `PEERS_ANSWER_FRAMES`' limit.
 */
import * as P from 'micro-packed'
import { boundedArray, boundedBytes, limitedLength, u16, u64Number } from '../encoding/fields.ts'
import { frameCodec, taggedUnion, variant } from './tagged-union.ts'

/** Peers in one answer (and the most a request may ask for). */
export const MAX_EXCHANGED_PEERS = 64
/** Multiaddrs per peer. */
export const MAX_PEER_ADDRS = 8
/** A peer id's bytes (its multihash; an Ed25519 identity is 38 bytes). */
export const MAX_PEER_ID_BYTES = 128
/** A multiaddr's bytes (a DNS name of 253 characters fits with its transport and peer id). */
export const MAX_MULTIADDR_BYTES = 512

export interface ExchangedPeer {
  /** The peer id's bytes (`peerId.toMultihash().bytes`). */
  readonly peerId: Uint8Array
  /** Binary multiaddrs (`multiaddr.bytes`). */
  readonly addrs: readonly Uint8Array[]
  /** When the answering node last had a connection to it: ms since the Unix epoch. */
  readonly lastSeen: number
}

export type PeerExchangeMessage =
  /** At most `max` peers (≤ MAX_EXCHANGED_PEERS). */
  | { readonly type: 'PeersRequest'; readonly max: number }
  | { readonly type: 'PeersAnswer'; readonly peers: readonly ExchangedPeer[] }

const exchangedPeer = P.struct({
  peerId: boundedBytes(MAX_PEER_ID_BYTES, 'peer id'),
  addrs: boundedArray(MAX_PEER_ADDRS, boundedBytes(MAX_MULTIADDR_BYTES, 'multiaddr'), 'addrs'),
  lastSeen: u64Number,
})
const PEER_MAX = 4 + MAX_PEER_ID_BYTES + 2 + MAX_PEER_ADDRS * (4 + MAX_MULTIADDR_BYTES) + 8

export const PeerExchangeCodec = taggedUnion<PeerExchangeMessage>('PeerExchange', {
  PeersRequest: variant(0x50, { max: limitedLength(u16, MAX_EXCHANGED_PEERS, 'peers asked') }, 2),
  PeersAnswer: variant(
    0x51,
    { peers: boundedArray(MAX_EXCHANGED_PEERS, exchangedPeer, 'peers') },
    2 + MAX_EXCHANGED_PEERS * PEER_MAX,
  ),
})

export const PEERS_REQUEST_FRAMES = frameCodec('peers (request)', PeerExchangeCodec, [
  'PeersRequest',
])
export const PEERS_ANSWER_FRAMES = frameCodec('peers (answer)', PeerExchangeCodec, ['PeersAnswer'])

export function encodePeerExchange(message: PeerExchangeMessage): Uint8Array {
  return PeerExchangeCodec.encode(message)
}

export function decodePeerExchange(bytes: Uint8Array): PeerExchangeMessage {
  return PeerExchangeCodec.decode(bytes)
}
