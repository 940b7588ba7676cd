/**
 * Which addresses a node keeps, shares and dials (docs/PROTOCOL.md §22.1): a multiaddr of a
 * transport the hosts speak — `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`, optionally `/ws`, `/wss`
 * or `/tls[/sni/<name>]/ws`, optionally `/p2p/<the peer's id>` — or, for in-process tests,
 * `/memory/<name>`. Private, loopback, link-local and other non-routable hosts (and `/memory`) are
 * refused unless `allowPrivate` (a devnet, a LAN, a test). And how a peer id's bytes become its
 * string: a multihash of an inline key (identity, ≤ 42 bytes) or of a SHA-256, in base58btc.
 *
 * Invariants: `dialableAddress` returns the address without its `/p2p` part, or a reason it is
 * refused; it never throws for any input; `peerIdFromBytes` accepts exactly the two multihash
 * forms libp2p peer ids take.
 */

import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { base58 } from '@scure/base'

export interface AddressPolicy {
  /** Keep private, loopback and link-local hosts and `/memory` addresses (default false). */
  readonly allowPrivate: boolean
}

/** Why an address is not kept: `malformed` costs the peer that sent it, the others do not. */
export type AddressRefusal = 'malformed' | 'other-peer' | 'unsupported' | 'private'

export type AddressVerdict =
  | { readonly ok: true; readonly address: Multiaddr }
  | { readonly ok: false; readonly why: AddressRefusal }

const HOSTS = new Set(['ip4', 'ip6', 'dns', 'dns4', 'dns6'])
/** The longest DNS name (RFC 1035). */
const MAX_DNS_NAME = 253

/** Multihash codes of a libp2p peer id and the digest lengths they allow. */
const IDENTITY = 0x00
const SHA2_256 = 0x12
/** libp2p inlines keys up to 42 bytes (Ed25519: 36, secp256k1: 37). */
const MAX_INLINE_KEY = 42

/** The peer id string (base58btc of the multihash) of `bytes`, or undefined if it is none. */
export function peerIdFromBytes(bytes: Uint8Array): string | undefined {
  if (bytes.length < 3) return undefined
  const code = bytes[0]
  const length = bytes[1]!
  if (length >= 0x80 || bytes.length !== 2 + length) return undefined
  if (code === IDENTITY ? length > MAX_INLINE_KEY : code !== SHA2_256 || length !== 32)
    return undefined
  return base58.encode(bytes)
}

/** The multihash bytes of a peer id string, or undefined if it is none. */
export function peerIdToBytes(id: string): Uint8Array | undefined {
  let bytes: Uint8Array
  try {
    bytes = base58.decode(id)
  } catch {
    return undefined
  }
  return peerIdFromBytes(bytes) === id ? bytes : undefined
}

function ip4Private(value: string): boolean | undefined {
  const parts = value.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    return undefined
  const [a, b] = parts as [number, number, number, number]
  return (
    a === 0 || // this network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b < 128) || // carrier-grade NAT
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && parts[2] === 0) || // protocol assignments
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  )
}

/** The 16 bytes of an IPv6 address in text form, or undefined. */
function ip6Bytes(value: string): Uint8Array | undefined {
  let text = value.toLowerCase()
  const out = new Uint8Array(16)
  // An IPv4 tail (::ffff:1.2.3.4) is two groups.
  const dotted = text.lastIndexOf(':')
  if (text.includes('.')) {
    const v4 = text
      .slice(dotted + 1)
      .split('.')
      .map(Number)
    if (v4.length !== 4 || v4.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
      return undefined
    text = `${text.slice(0, dotted + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (s: string) => (s === '' ? [] : s.split(':'))
  const head = groups(halves[0]!)
  const tail = halves.length === 2 ? groups(halves[1]!) : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  for (const [i, g] of all.entries()) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined
    const n = Number.parseInt(g, 16)
    out[2 * i] = n >> 8
    out[2 * i + 1] = n & 0xff
  }
  return out
}

function ip6Private(value: string): boolean | undefined {
  const b = ip6Bytes(value)
  if (b === undefined) return undefined
  const zeros = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0)
  if (zeros(0, 15) && (b[15] === 0 || b[15] === 1)) return true // :: and ::1
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff)
    return ip4Private(`${b[12]}.${b[13]}.${b[14]}.${b[15]}`) // IPv4-mapped
  return (
    (b[0]! & 0xfe) === 0xfc || // unique local fc00::/7
    (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) || // link-local fe80::/10
    b[0] === 0xff || // multicast
    (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) // documentation
  )
}

function dnsPrivate(name: string): boolean | undefined {
  if (name.length === 0 || name.length > MAX_DNS_NAME) return undefined
  const n = name.toLowerCase().replace(/\.$/, '')
  return n === 'localhost' || n.endsWith('.localhost') || n.endsWith('.local')
}

function hostPrivate(name: string, value: string): boolean | undefined {
  if (name === 'ip4') return ip4Private(value)
  if (name === 'ip6') return ip6Private(value)
  return dnsPrivate(value)
}

/** Whether the components after host and port name a transport the hosts speak. */
function supportedTail(names: readonly string[]): boolean {
  const t = names.join('/')
  return t === '' || t === 'ws' || t === 'wss' || t === 'tls/ws' || t === 'tls/sni/ws'
}

/**
 * Judges one address of peer `peerId` (its string id): the address to keep, without `/p2p`, or
 * why not. `input` is the binary form (from a peer) or a multiaddr already parsed.
 */
export function dialableAddress(
  input: Uint8Array | Multiaddr,
  peerId: string | undefined,
  policy: AddressPolicy,
): AddressVerdict {
  let address: Multiaddr
  let components: ReturnType<Multiaddr['getComponents']>
  try {
    address = input instanceof Uint8Array ? multiaddr(input) : input
    components = address.getComponents()
  } catch {
    return { ok: false, why: 'malformed' }
  }
  const last = components.at(-1)
  if (last?.name === 'p2p') {
    if (peerId !== undefined && last.value !== peerId) return { ok: false, why: 'other-peer' }
    components = components.slice(0, -1)
  }
  const [host, port, ...rest] = components
  if (host === undefined) return { ok: false, why: 'malformed' }
  let isPrivate: boolean | undefined
  if (host.name === 'memory') {
    if (components.length !== 1) return { ok: false, why: 'unsupported' }
    isPrivate = true
  } else {
    if (!HOSTS.has(host.name) || port?.name !== 'tcp') return { ok: false, why: 'unsupported' }
    const p = Number(port.value)
    if (!Number.isInteger(p) || p < 1 || p > 65_535) return { ok: false, why: 'malformed' }
    if (!supportedTail(rest.map((c) => c.name))) return { ok: false, why: 'unsupported' }
    isPrivate = hostPrivate(host.name, host.value ?? '')
    if (isPrivate === undefined) return { ok: false, why: 'malformed' }
  }
  if (isPrivate && !policy.allowPrivate) return { ok: false, why: 'private' }
  const bare = last?.name === 'p2p' ? multiaddr(components) : address
  return { ok: true, address: bare }
}
