/**
 * The persisted peer book's port: what a node remembers of other nodes between runs, as plain
 * records, loaded once at start and saved whole from time to time. The Node shell writes a JSON
 * file atomically (src/node/net/peer-book-file.ts); tests and browsers use `MemoryPeerBookStore`.
 *
 * Invariants: a store hands back what it was given (or less, never other records); records
 * are checked again when they are loaded (`checkRecord`), so a damaged or hand-edited file can
 * put nothing into the book that peer exchange could not.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_PEER_ADDRS } from '../../protocol/peer-exchange.ts'
import { type AddressPolicy, dialableAddress, peerIdToBytes } from './address-policy.ts'

/** One peer as the book keeps it. */
export interface PeerRecord {
  /** The libp2p peer id (base58btc). */
  readonly peerId: string
  /** Its multiaddrs, without `/p2p` (at most MAX_PEER_ADDRS). */
  readonly addrs: readonly string[]
  /** When this node last had a handshaken connection to it (or a peer said so): ms since the Unix epoch. */
  readonly lastSeen: number
  /** Dials that failed since it was last reached. */
  readonly failures: number
  /** Its masternode key (hex), when a handshake proved one. */
  readonly masternodeKey?: string
}

export interface PeerBookStore {
  /** The records saved last (none for a new store). */
  load(): Promise<readonly PeerRecord[]>
  /** Replaces the saved records, atomically: a crash leaves the old set or the new one. */
  save(records: readonly PeerRecord[]): Promise<void>
}

export class MemoryPeerBookStore implements PeerBookStore {
  #records: readonly PeerRecord[] = []
  saves = 0

  async load(): Promise<readonly PeerRecord[]> {
    return this.#records
  }

  async save(records: readonly PeerRecord[]): Promise<void> {
    this.#records = records.map((r) => ({ ...r, addrs: [...r.addrs] }))
    this.saves++
  }
}

/**
 * `value` as a record the book may hold (addresses the policy refuses are dropped), or undefined
 * when it is not one: a peer id that does not parse, no address left, a time or count out of range.
 */
export function checkRecord(value: unknown, policy: AddressPolicy): PeerRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const r = value as Partial<Record<keyof PeerRecord, unknown>>
  if (typeof r.peerId !== 'string' || peerIdToBytes(r.peerId) === undefined) return undefined
  if (!Number.isSafeInteger(r.lastSeen) || (r.lastSeen as number) < 0) return undefined
  if (!Number.isSafeInteger(r.failures) || (r.failures as number) < 0) return undefined
  const key = r.masternodeKey
  if (key !== undefined && !(typeof key === 'string' && /^[0-9a-f]{64}$/.test(key)))
    return undefined
  if (!Array.isArray(r.addrs)) return undefined
  const addrs: string[] = []
  for (const a of r.addrs.slice(0, MAX_PEER_ADDRS)) {
    if (typeof a !== 'string') return undefined
    let verdict: ReturnType<typeof dialableAddress>
    try {
      verdict = dialableAddress(multiaddr(a), r.peerId, policy)
    } catch {
      return undefined
    }
    if (verdict.ok && !addrs.includes(verdict.address.toString()))
      addrs.push(verdict.address.toString())
  }
  if (addrs.length === 0) return undefined
  return {
    peerId: r.peerId,
    addrs,
    lastSeen: r.lastSeen as number,
    failures: r.failures as number,
    ...(key === undefined ? {} : { masternodeKey: key as string }),
  }
}
