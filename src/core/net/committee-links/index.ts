/**
 * Committee links' public face: `committeeLinks(init)` is a libp2p service factory
 * (`services: { handshake: handshake(...), committeeLinks: committeeLinks({ ... }) }`, after the
 * handshake, whose service it uses). docs/ARCHITECTURE.md §7 describes the design,
 * docs/PROTOCOL.md §21 the stream.
 */
import { CommitteeLinks } from './committee-links-service.ts'
import type { CommitteeLinksComponents, CommitteeLinksInit } from './types.ts'

export { CommitteeLinks } from './committee-links-service.ts'
export * from './constants.ts'
export { encodeFrames, FrameReader, type FrameReaderInit } from './frames.ts'
export type { LinkCounters } from './link.ts'
export { OutboundQueue, type PushResult } from './outbound-queue.ts'
export {
  DEFAULT_PEER_BOOK_ADDRESSES,
  DEFAULT_PEER_BOOK_ENTRIES,
  MemoryPeerBook,
  type PeerBook,
} from './peer-book.ts'
export { committeeSlotsGater } from './slots-gater.ts'
export {
  type CommitteeLinksComponents,
  type CommitteeLinksEvents,
  type CommitteeLinksInit,
  type CommitteeLinksStats,
  type FrameReceiver,
  type LinkEvent,
  LinkState,
  type MemberStatus,
  type PingService,
} from './types.ts'

export function committeeLinks(
  init: CommitteeLinksInit,
): (components: CommitteeLinksComponents) => CommitteeLinks {
  return (components) => new CommitteeLinks(components, init)
}
