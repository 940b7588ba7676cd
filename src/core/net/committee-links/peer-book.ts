/**
 * Where masternodes listen, by masternode key: what the committee links dial. In a node it is the
 * discovery service's `AddressBook` (src/core/net/discovery: `addnode`, the persisted peer book,
 * peer exchange, keys from handshakes); tests fill a `MemoryPeerBook` by hand. The links also
 * dial a member by the libp2p id it last proved (the host's peer store then knows its addresses).
 *
 * Invariants: at most `maxEntries` keys (the oldest set goes first), at most `maxAddresses`
 * addresses each.
 */
import type { Multiaddr } from '@multiformats/multiaddr'
import { bytesToHex } from '../../encoding/bytes.ts'

export interface PeerBook {
  addressesOf(masternodeKey: Uint8Array): readonly Multiaddr[]
}

export const DEFAULT_PEER_BOOK_ENTRIES = 4_096
export const DEFAULT_PEER_BOOK_ADDRESSES = 8

export class MemoryPeerBook implements PeerBook {
  readonly #entries = new Map<string, readonly Multiaddr[]>()
  readonly #maxEntries: number
  readonly #maxAddresses: number

  constructor(maxEntries = DEFAULT_PEER_BOOK_ENTRIES, maxAddresses = DEFAULT_PEER_BOOK_ADDRESSES) {
    if (!(maxEntries >= 1 && maxAddresses >= 1))
      throw new RangeError('a peer book needs room for one address')
    this.#maxEntries = maxEntries
    this.#maxAddresses = maxAddresses
  }

  /** Sets (replaces) a masternode's addresses; an empty list forgets it. */
  set(masternodeKey: Uint8Array, addresses: readonly Multiaddr[]): void {
    const id = bytesToHex(masternodeKey)
    this.#entries.delete(id)
    if (addresses.length === 0) return
    this.#entries.set(id, addresses.slice(0, this.#maxAddresses))
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value
      if (oldest === undefined) break
      this.#entries.delete(oldest)
    }
  }

  addressesOf(masternodeKey: Uint8Array): readonly Multiaddr[] {
    return this.#entries.get(bytesToHex(masternodeKey)) ?? []
  }

  get size(): number {
    return this.#entries.size
  }
}
