/**
 * Error codes of the network: the handshake, committee links, peers, the wire protocol's messages
 * and sync.
 *
 * One part of the project's one table of error codes; ../error-codes.ts composes the parts and
 * says what holds across them (codes unique, each entry's fields, docs/ERRORS.md in step).
 */
import { type ErrorCodeInfo, RpcErrorCode } from './types.ts'

const { DESERIALIZATION_ERROR, INVALID_PARAMETER, MISC_ERROR, VERIFY_REJECTED } = RpcErrorCode

export const NET_PROTOCOL_CODES = {
  // ── handshake ──
  HANDSHAKE_VERSION: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning: 'A peer that speaks another handshake version: disconnected, not banned.',
  },
  HANDSHAKE_WRONG_NETWORK: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning: 'A peer whose handshake names another network: disconnected and banned.',
  },
  HANDSHAKE_WRONG_GENESIS: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning:
      "A peer whose genesis hash is not this node's (another chain, perhaps of the same name): disconnected and banned.",
  },
  HANDSHAKE_BINDING: {
    domain: 'handshake',
    rpc: VERIFY_REJECTED,
    meaning:
      "A masternode handshake whose key is weak or whose signature does not bind that key to the peer's libp2p id: disconnected and banned.",
  },
  HANDSHAKE_TIMEOUT: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning: 'No handshake within the deadline (10 s by default): disconnected.',
  },
  HANDSHAKE_FAILED: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning:
      "The handshake stream failed (refused, reset, or closed before the peer's message): disconnected.",
  },
  HANDSHAKE_BANNED: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning: 'A connection from or to a peer that is still banned: closed at once.',
  },
  // ── link ──
  LINK_STREAM_REFUSED: {
    domain: 'link',
    rpc: MISC_ERROR,
    meaning:
      'A consensus stream refused and reset: its peer is not a handshaken masternode, or the guest links are full.',
  },
  LINK_WRONG_PEER: {
    domain: 'link',
    rpc: MISC_ERROR,
    meaning:
      "A committee member's address led to a peer proving another masternode key, or none: not linked, dialled again later.",
  },
  LINK_NO_ADDRESS: {
    domain: 'link',
    rpc: MISC_ERROR,
    meaning:
      'No address is known for a committee member (none in the peer book, never connected): it is tried again later.',
  },
  LINK_BROKEN: {
    domain: 'link',
    rpc: MISC_ERROR,
    meaning:
      'A committee link failed: its dial or stream failed, it closed, or it did not drain or answer pings in time; dialled again with backoff.',
  },
  // ── peer ──
  PEER_REQUEST_INVALID: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning: 'A request for something no honest node asks for (a height that cannot exist).',
  },
  PEER_ORPHANS_LIMIT: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning: "Too many of a peer's transactions wait for unknown parents at once.",
  },
  PEER_ORPHAN_PARENTS_MISSING: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning: "The parents a peer's transaction named never appeared within the orphan deadline.",
  },
  PEER_PENALIZED: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning:
      "A peer whose message was judged Fatal (by a protocol service or the engine): banned; the message names the judging error's code.",
  },
  PEER_EXCHANGE_INVALID: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning:
      'A peer-exchange answer with more peers than asked for, a peer id that is no multihash of a key, a malformed multiaddr, or an address of another peer: dropped whole.',
  },
  PEER_RATE_LIMITED: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning:
      'A peer that sent more frames of one class than its token bucket allows (max_requests_per_second): the frames over it are dropped, and it is charged a MidToleranceError at most once per class and interval.',
  },
  // ── protocol ──
  PROTOCOL_ID_INVALID: {
    domain: 'protocol',
    rpc: INVALID_PARAMETER,
    meaning: 'A protocol id asked for with an unknown network, name or version (local misuse).',
  },
  PROTOCOL_FRAME_TOO_LARGE: {
    domain: 'protocol',
    rpc: DESERIALIZATION_ERROR,
    meaning: "A frame longer than its protocol's maxDataLength, refused before it is buffered.",
  },
  PROTOCOL_UNEXPECTED_MESSAGE: {
    domain: 'protocol',
    rpc: DESERIALIZATION_ERROR,
    meaning:
      'A well-formed message that its protocol or its direction does not carry (e.g. a block on the tx protocol).',
  },
  // ── sync ──
  SYNC_UNAVAILABLE: {
    domain: 'sync',
    rpc: MISC_ERROR,
    meaning:
      'A sync request the peer cannot answer (blocks above its tip, a snapshot at a height it does not keep): not its fault; another peer is asked.',
  },
  SYNC_REQUEST_FAILED: {
    domain: 'sync',
    rpc: MISC_ERROR,
    meaning:
      'A sync request that failed: the stream was refused, reset or closed early, or no answer came within the timeout; another peer is asked (no penalty).',
  },
  SYNC_BAD_ANSWER: {
    domain: 'sync',
    rpc: DESERIALIZATION_ERROR,
    meaning:
      'A sync answer that is not what was asked: blocks from another height or not consecutive, or a snapshot chunk of another height or index, out of outpoint order, or at odds with the chunks before it.',
  },
  SYNC_SNAPSHOT_MISMATCH: {
    domain: 'sync',
    rpc: VERIFY_REJECTED,
    meaning:
      'A UTXO snapshot whose outputs do not hash to the utxoCommitment of its certified block: dropped, and the peer that served it whole is penalized.',
  },
} as const satisfies Record<string, ErrorCodeInfo>
