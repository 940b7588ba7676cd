/**
 * The operator's bans (`setban`, `listbanned`, `clearbanned`): IP addresses, subnets and libp2p
 * peer ids refused until a time, as a libp2p `ConnectionGater` the daemon composes with the
 * defence layer's, and the act of a ban — every open connection it covers is closed at once. The
 * defence's own bans (the peers its scores banned, and their IP addresses on its blacklist) are
 * listed, lifted and cleared with them, so `listbanned` shows everything the node refuses.
 *
 * Invariants: a subnet is kept in its canonical form (the address masked to its prefix, IPv4 as
 * itself, IPv4-mapped IPv6 as IPv4), so one subnet is one entry; an entry is in force until its
 * time and dropped when looked at after it; at most `maxEntries` entries (the oldest goes first);
 * a ban applies to every transport, loopback included (the defence's `exempt_loopback` is not
 * asked: an operator who bans 127.0.0.2 means it).
 */

import { BlockList, isIP } from 'node:net'
import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import { ipOf } from '../../core/net/defence/ip-address.ts'

/** Entries kept at most (the operator's own; a full list drops its oldest). */
export const DEFAULT_MAX_BANS = 10_000

/** What a ban names: an IP subnet (a single address is a /32 or /128) or a peer id. */
export type BanTarget =
  | {
      readonly kind: 'subnet'
      /** Canonical: `1.2.3.0/24`, `2001:db8::/32`, `1.2.3.4/32`. */
      readonly text: string
      readonly address: string
      readonly prefix: number
      readonly family: 'ipv4' | 'ipv6'
    }
  | { readonly kind: 'peer'; readonly text: string; readonly peer: PeerId }

export interface BanEntry {
  readonly target: BanTarget
  /** Milliseconds since the epoch; undefined for the defence's entries (not recorded). */
  readonly created: number | undefined
  readonly until: number
  /** `operator` (setban) or `defence` (a peer its scores banned). */
  readonly source: 'operator' | 'defence'
}

/** The defence layer's part (its IP blacklist), as `Defence` offers it. */
export interface BlacklistSource {
  blacklisted(): readonly { readonly ip: string; readonly until: number }[]
  unblacklistIp(ip: string): boolean
  clearBlacklist(): number
  /** The peers its scores banned. */
  bannedPeers(): readonly { readonly peer: string; readonly until: number }[]
  unbanPeer(peer: string): boolean
}

/** An open connection as a ban looks at it (libp2p's `Connection`). */
export interface BannableConnection {
  readonly remoteAddr: Multiaddr
  readonly remotePeer: PeerId
  close(options?: { signal?: AbortSignal }): Promise<void>
  abort(error: Error): void
}

/** A banned connection closes in order within this, or is aborted. */
export const BAN_CLOSE_TIMEOUT_MS = 2_000

export interface BanListInit {
  readonly defence?: BlacklistSource
  readonly maxEntries?: number
  /** Milliseconds since the epoch (default `Date.now`). */
  readonly now?: () => number
  /**
   * Told after every change of the operator's bans (the daemon saves them: ban-file.ts); what it
   * returns is what `settled()` waits for.
   */
  readonly onChange?: () => void | Promise<void>
}

/** The four bytes of an IPv4 address, or undefined. */
function ipv4Bytes(text: string): number[] | undefined {
  if (isIP(text) !== 4) return undefined
  return text.split('.').map(Number)
}

/** The sixteen bytes of an IPv6 address (zone dropped), or undefined. */
function ipv6Bytes(text: string): number[] | undefined {
  const plain = text.replace(/%.*$/, '')
  if (isIP(plain) !== 6) return undefined
  const halves = plain.split('::')
  const groups = (part: string | undefined): number[] => {
    if (part === undefined || part === '') return []
    return part.split(':').flatMap((g) => {
      const v4 = ipv4Bytes(g)
      if (v4 !== undefined) return [v4[0]! * 256 + v4[1]!, v4[2]! * 256 + v4[3]!]
      return [Number.parseInt(g, 16)]
    })
  }
  const head = groups(halves[0])
  const tail = groups(halves[1])
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
  return all.flatMap((g) => [g >> 8, g & 0xff])
}

function masked(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8))
    return b & (0xff << (8 - keep)) & 0xff
  })
}

function ipv6Text(bytes: readonly number[]): string {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push(bytes[i]! * 256 + bytes[i + 1]!)
  // The longest run of zero groups (two or more) becomes '::'.
  let best = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) {
      best = i
      bestLength = j - i
    }
    i = j === i ? i + 1 : j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`
}

/** A netmask `255.255.255.0` as a prefix length, or undefined when its ones are not contiguous. */
function maskPrefix(mask: string): number | undefined {
  const bytes = ipv4Bytes(mask)
  if (bytes === undefined) return undefined
  const bits = bytes.map((b) => b.toString(2).padStart(8, '0')).join('')
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : undefined
}

/**
 * What `text` names: `1.2.3.4`, `1.2.3.0/24`, `1.2.3.0/255.255.255.0`, `2001:db8::/32`, `::1`, or
 * a libp2p peer id; undefined when it is none of them.
 */
export function parseBanTarget(text: string): BanTarget | undefined {
  const slash = text.indexOf('/')
  const address = slash < 0 ? text : text.slice(0, slash)
  const mask = slash < 0 ? undefined : text.slice(slash + 1)
  const v6 = ipv6Bytes(address)
  const mapped = v6?.slice(0, 12).join('.') === '0.0.0.0.0.0.0.0.0.0.255.255'
  const v4 = ipv4Bytes(address) ?? (mapped ? v6!.slice(12) : undefined)
  if (v4 === undefined && v6 === undefined) {
    if (slash >= 0 || !/^[1-9A-HJ-NP-Za-km-z]{40,100}$/.test(text)) return undefined
    try {
      const peer = peerIdFromString(text)
      return { kind: 'peer', text: peer.toString(), peer }
    } catch {
      return undefined
    }
  }
  const full = v4 === undefined ? 128 : 32
  let prefix: number | undefined = full
  if (mask !== undefined)
    prefix = /^\d{1,3}$/.test(mask) ? Number(mask) : v4 === undefined ? undefined : maskPrefix(mask)
  if (prefix === undefined || prefix > (mapped && mask !== undefined ? 128 : full)) return undefined
  if (mapped && mask !== undefined) prefix = Math.max(0, prefix - 96)
  if (v4 !== undefined) {
    const net = masked(v4, prefix).join('.')
    return { kind: 'subnet', text: `${net}/${prefix}`, address: net, prefix, family: 'ipv4' }
  }
  const net = ipv6Text(masked(v6!, prefix))
  return { kind: 'subnet', text: `${net}/${prefix}`, address: net, prefix, family: 'ipv6' }
}

interface Held {
  readonly target: BanTarget
  readonly created: number
  readonly until: number
  /** One subnet, for matching (node:net checks IPv4-mapped addresses against IPv4 rules). */
  readonly list: BlockList | undefined
}

export class BanList {
  /** Refuses what is banned: dials to, and connections from, banned addresses and peers. */
  readonly gater: ConnectionGater
  readonly #defence: BlacklistSource | undefined
  readonly #max: number
  readonly #now: () => number
  readonly #onChange: () => void | Promise<void>
  #saving: Promise<void> = Promise.resolve()
  /** Canonical target text → entry, in the order added. */
  readonly #held = new Map<string, Held>()
  #connections: () => readonly BannableConnection[] = () => []

  constructor(init: BanListInit = {}) {
    this.#defence = init.defence
    this.#max = init.maxEntries ?? DEFAULT_MAX_BANS
    if (!(this.#max >= 1)) throw new RangeError('the ban list needs room for one entry')
    this.#now = init.now ?? Date.now
    this.#onChange = init.onChange ?? (() => {})
    this.gater = {
      denyDialPeer: (peer: PeerId) => this.peerBanned(peer),
      denyDialMultiaddr: (address: Multiaddr) => this.addressBanned(address),
      denyInboundConnection: (connection: MultiaddrConnection) =>
        this.addressBanned(connection.remoteAddr),
      denyOutboundConnection: (peer: PeerId, connection: MultiaddrConnection) =>
        this.peerBanned(peer) || this.addressBanned(connection.remoteAddr),
      denyInboundEncryptedConnection: (peer: PeerId) => this.peerBanned(peer),
      denyOutboundEncryptedConnection: (peer: PeerId) => this.peerBanned(peer),
    }
  }

  /** Where a ban finds the connections to close (the daemon: its host's `getConnections`). */
  attach(connections: () => readonly BannableConnection[]): void {
    this.#connections = connections
  }

  /**
   * Whether `target` is banned by the operator now: that very subnet or peer id, or — for a single
   * address, as bitcoind's `IsBanned(addr)` — any subnet holding it.
   */
  has(target: BanTarget): boolean {
    if (this.#live(target.text) !== undefined) return true
    if (target.kind !== 'subnet' || target.prefix !== (target.family === 'ipv4' ? 32 : 128))
      return false
    const now = this.#now()
    for (const h of this.#held.values())
      if (h.until > now && h.list?.check(target.address, target.family)) return true
    return false
  }

  /**
   * Bans `target` until `until` (ms since the epoch), replacing an earlier ban of it, and closes
   * every open connection it covers; resolves with how many it closed.
   */
  async ban(target: BanTarget, until: number): Promise<number> {
    this.#hold(target, this.#now(), until)
    this.#changed()
    const covered = this.#connections().filter((c) =>
      target.kind === 'peer'
        ? c.remotePeer.equals(target.peer)
        : this.#matches(this.#held.get(target.text)!, c.remoteAddr),
    )
    await Promise.all(
      covered.map((c) =>
        c
          .close({ signal: AbortSignal.timeout(BAN_CLOSE_TIMEOUT_MS) })
          .catch(() => c.abort(new Error(`banned: ${target.text}`))),
      ),
    )
    return covered.length
  }

  /**
   * Lifts the operator's ban of `target` and the defence's ban of the same peer id, address or
   * IPv6 /64; false when neither held it.
   */
  unban(target: BanTarget): boolean {
    const operator = this.#live(target.text) !== undefined
    this.#held.delete(target.text)
    // The defence's entries: a peer, an IPv4 address, an IPv6 /64 (its key for any address in it).
    const d = this.#defence
    let defence = false
    if (target.kind === 'peer') defence = d?.unbanPeer(target.text) ?? false
    else if (target.prefix === (target.family === 'ipv4' ? 32 : 128) || target.prefix === 64)
      defence = d?.unblacklistIp(target.address) ?? false
    if (operator) this.#changed()
    return operator || defence
  }

  /** Takes back bans saved earlier (at start: no connection to close yet); ended ones are skipped. */
  restore(saved: readonly { target: BanTarget; created: number; until: number }[]): void {
    const now = this.#now()
    for (const b of saved) if (b.until > now) this.#hold(b.target, b.created, b.until)
  }

  /** The operator's bans in force, oldest first (what the daemon saves). */
  saved(): { target: BanTarget; created: number; until: number }[] {
    return this.list()
      .filter((e) => e.source === 'operator')
      .map((e) => ({ target: e.target, created: e.created ?? 0, until: e.until }))
  }

  /** Every ban in force: the operator's, then the defence's blacklist. */
  list(): BanEntry[] {
    const now = this.#now()
    const out: BanEntry[] = []
    for (const [key, h] of this.#held) {
      if (h.until <= now) this.#held.delete(key)
      else out.push({ target: h.target, created: h.created, until: h.until, source: 'operator' })
    }
    const defence: { text: string; until: number }[] = [
      ...(this.#defence?.blacklisted() ?? []).map((e) => ({ text: e.ip, until: e.until })),
      ...(this.#defence?.bannedPeers() ?? []).map((e) => ({ text: e.peer, until: e.until })),
    ]
    for (const { text, until } of defence) {
      const target = parseBanTarget(text)
      if (target !== undefined) out.push({ target, created: undefined, until, source: 'defence' })
    }
    return out
  }

  /** Lifts every ban, the defence's (its blacklist, its peer bans) included; returns how many. */
  clear(): number {
    const held = this.#held.size
    const d = this.#defence
    let n = held + (d?.clearBlacklist() ?? 0)
    for (const { peer } of d?.bannedPeers() ?? []) if (d?.unbanPeer(peer)) n++
    this.#held.clear()
    if (held > 0) this.#changed()
    return n
  }

  peerBanned(peer: PeerId): boolean {
    return this.#live(peer.toString()) !== undefined
  }

  addressBanned(address: Multiaddr): boolean {
    if (this.#held.size === 0) return false
    const now = this.#now()
    for (const [key, h] of this.#held) {
      if (h.until <= now) {
        this.#held.delete(key)
        continue
      }
      if (this.#matches(h, address)) return true
    }
    return false
  }

  get size(): number {
    return this.#held.size
  }

  /** Resolves once what the last change started (its save) is done. */
  settled(): Promise<void> {
    return this.#saving
  }

  #changed(): void {
    const result = this.#onChange()
    if (result !== undefined) this.#saving = result.catch(() => {})
  }

  #hold(target: BanTarget, created: number, until: number): void {
    this.#held.delete(target.text)
    const list = target.kind === 'subnet' ? new BlockList() : undefined
    if (target.kind === 'subnet') list!.addSubnet(target.address, target.prefix, target.family)
    this.#held.set(target.text, { target, created, until, list })
    if (this.#held.size > this.#max) {
      const oldest = this.#held.keys().next().value
      if (oldest !== undefined) this.#held.delete(oldest)
    }
  }

  #matches(h: Held, address: Multiaddr): boolean {
    if (h.list === undefined) return false
    const ip = ipOf(address)
    if (ip === undefined) return false
    const family = isIP(ip)
    return family !== 0 && h.list.check(ip, family === 4 ? 'ipv4' : 'ipv6')
  }

  #live(key: string): Held | undefined {
    const h = this.#held.get(key)
    if (h === undefined) return undefined
    if (h.until > this.#now()) return h
    this.#held.delete(key)
    return undefined
  }
}
