/**
 * The peers whose handshake succeeded, by peer id and by masternode key, so the committee-links
 * layer finds "the peer that is masternode key K" in O(1).
 *
 * Invariants: a peer is listed while at least one of its handshaken connections is open, with
 * the facts of its latest handshake; a masternode key maps to a peer that is listed and that
 * presented that key last; entries ≤ the handshaken connections open, which the service bounds.
 */
import type { PeerId } from '@libp2p/interface'
import { bytesToHex } from '../../encoding/bytes.ts'
import type { PeerRole } from '../../protocol/handshake.ts'

/** What a handshake proved about a peer. */
export interface VerifiedPeer {
  readonly peerId: PeerId
  /** The connection whose handshake this is (libp2p's `Connection.id`). */
  readonly connectionId: string
  readonly role: PeerRole
  /** The masternode key the peer proved it holds (bound to `peerId`); only for a masternode. */
  readonly masternodeKey: Uint8Array | undefined
  readonly protocolVersion: number
  /** The peer's tip when it connected (later status messages are not the handshake's). */
  readonly tipHeight: number
  readonly tipHash: Uint8Array
}

interface Entry {
  peer: VerifiedPeer
  readonly connections: Set<string>
}

export class VerifiedPeers {
  readonly #byPeer = new Map<string, Entry>()
  /** Masternode key (hex) → peer id string. */
  readonly #byKey = new Map<string, string>()

  /** Records a successful handshake on one connection; the latest facts win. */
  add(peer: VerifiedPeer): void {
    const id = peer.peerId.toString()
    const entry = this.#byPeer.get(id)
    if (entry === undefined) {
      this.#byPeer.set(id, { peer, connections: new Set([peer.connectionId]) })
    } else {
      this.#unindexKey(entry.peer, id)
      entry.peer = peer
      entry.connections.add(peer.connectionId)
    }
    if (peer.masternodeKey !== undefined) this.#byKey.set(bytesToHex(peer.masternodeKey), id)
  }

  /** Forgets one connection; returns the peer when it was its last handshaken connection. */
  removeConnection(peerId: PeerId, connectionId: string): VerifiedPeer | undefined {
    const id = peerId.toString()
    const entry = this.#byPeer.get(id)
    if (entry === undefined || !entry.connections.delete(connectionId)) return undefined
    if (entry.connections.size > 0) return undefined
    this.#byPeer.delete(id)
    this.#unindexKey(entry.peer, id)
    return entry.peer
  }

  get(peerId: PeerId): VerifiedPeer | undefined {
    return this.#byPeer.get(peerId.toString())?.peer
  }

  /** The listed peer that proved masternode key `key` most recently. */
  byMasternodeKey(key: Uint8Array): VerifiedPeer | undefined {
    const id = this.#byKey.get(bytesToHex(key))
    return id === undefined ? undefined : this.#byPeer.get(id)?.peer
  }

  *[Symbol.iterator](): IterableIterator<VerifiedPeer> {
    for (const entry of this.#byPeer.values()) yield entry.peer
  }

  get size(): number {
    return this.#byPeer.size
  }

  clear(): void {
    this.#byPeer.clear()
    this.#byKey.clear()
  }

  #unindexKey(peer: VerifiedPeer, id: string): void {
    if (peer.masternodeKey === undefined) return
    const hex = bytesToHex(peer.masternodeKey)
    if (this.#byKey.get(hex) === id) this.#byKey.delete(hex)
  }
}
