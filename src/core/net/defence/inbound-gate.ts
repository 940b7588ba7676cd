/**
 * The gate every protocol service asks before it handles an inbound frame (`InboundGate.admit`),
 * and the message classes its token buckets count: a flood of one class (transactions, requests)
 * is cut without touching another (votes). A frame is classed by its protocol and, on the
 * committee link, by its tag byte alone — before it is decoded, so a refused frame costs nothing
 * more.
 *
 * Invariants: `messageClassOf` reads at most the frame's first byte and is total (an empty or
 * unknown-tagged frame falls in its protocol's class; the decoder refuses it afterwards).
 */
import type { PeerId } from '@libp2p/interface'
import type { Message } from '../../engine/messages.ts'
import { ENGINE_MESSAGE_TAGS } from '../../protocol/engine-messages.ts'
import type { ProtocolKey } from '../../protocol/protocols.ts'

export const MessageClass = {
  /** Votes, certificates, proposals, commits and lock reports. */
  Consensus: 'consensus',
  /** Transactions: on the `tx` protocol, and broadcasts and vote requests on a link. */
  Tx: 'tx',
  /** Requests for a transaction or a block on a link. */
  Request: 'request',
  Wallet: 'wallet',
  Sync: 'sync',
  Peers: 'peers',
} as const
export type MessageClass = (typeof MessageClass)[keyof typeof MessageClass]

/** The class of each engine message on a committee link, by tag. */
const LINK_CLASSES: ReadonlyMap<number, MessageClass> = new Map(
  (Object.entries(ENGINE_MESSAGE_TAGS) as [Message['type'], number][]).map(([type, tag]) => {
    switch (type) {
      case 'TransactionBroadcast':
      case 'InstantFinalityRequest':
        return [tag, MessageClass.Tx]
      case 'TransactionRequest':
      case 'BlockRequest':
        return [tag, MessageClass.Request]
      default:
        return [tag, MessageClass.Consensus]
    }
  }),
)

/** The class a frame of `protocol` counts against. */
export function messageClassOf(protocol: ProtocolKey, frame: Uint8Array): MessageClass {
  switch (protocol) {
    case 'consensus':
      return LINK_CLASSES.get(frame[0] ?? -1) ?? MessageClass.Consensus
    case 'tx':
      return MessageClass.Tx
    case 'wallet':
      return MessageClass.Wallet
    case 'sync':
      return MessageClass.Sync
    case 'peers':
      return MessageClass.Peers
  }
}

/**
 * Who is in the current committee, by libp2p peer (the committee links service): a peer counts
 * when its handshake proved a masternode key that is a member now. Asked for every committee-link
 * frame, so it answers in O(1).
 */
export interface CommitteeMembership {
  isCommitteePeer(peer: PeerId): boolean
}

/**
 * Asked by a protocol service for every inbound frame, before decoding it. False: drop the frame
 * (the gate has charged the peer if that was due); true: handle it.
 */
export interface InboundGate {
  admit(peer: PeerId, protocol: ProtocolKey, frame: Uint8Array): boolean
}
