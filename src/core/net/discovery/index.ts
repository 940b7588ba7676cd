/**
 * Discovery's public face: `discovery(init)` is a libp2p service factory
 * (`services: { handshake, discovery: discovery({ network, addnode, book, store }) }`, after the
 * handshake, whose service it uses). Share one `AddressBook` with the committee links
 * (`committeeLinks({ peerBook: book })`) so members are dialled at the addresses found here.
 * docs/PROTOCOL.md §22 has the rules, docs/ARCHITECTURE.md §7 the design.
 */
import {
  type DiscoveryComponents,
  type DiscoveryInit,
  DiscoveryService,
} from './discovery-service.ts'

export {
  AddressBook,
  type AddressBookOptions,
  dialAddresses,
  type SharedPeer,
} from './address-book.ts'
export {
  type AddressPolicy,
  type AddressRefusal,
  type AddressVerdict,
  dialableAddress,
  peerIdFromBytes,
  peerIdToBytes,
} from './address-policy.ts'
export * from './constants.ts'
export {
  type DiscoveryComponents,
  type DiscoveryInit,
  DiscoveryService,
  type DiscoveryStats,
} from './discovery-service.ts'
export {
  checkRecord,
  MemoryPeerBookStore,
  type PeerBookStore,
  type PeerRecord,
} from './peer-book-store.ts'

export function discovery(
  init: DiscoveryInit,
): (components: DiscoveryComponents) => DiscoveryService {
  return (components) => new DiscoveryService(components, init)
}
