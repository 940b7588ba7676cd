/**
 * IP addresses as the defence layer counts and blacklists them: the address of a multiaddr
 * (`/ip4/…` or `/ip6/…`; none for `/memory/…` and the like), keyed so one holder is one key — an
 * IPv4 address (an IPv4-mapped IPv6 one included) as itself, an IPv6 address by its /64 prefix
 * (one subscriber line holds a whole /64, so a per-address cap or ban would be no bar).
 *
 * Invariants: `ipKey` is deterministic and total on the text multiaddr gives (undefined for text
 * that is no IP address); loopback keys are `127.x.y.z` and `::1`.
 */
import type { Multiaddr } from '@multiformats/multiaddr'

/** The IP address text of a multiaddr, or undefined when it has none. */
export function ipOf(address: Multiaddr): string | undefined {
  for (const c of address.getComponents())
    if ((c.name === 'ip4' || c.name === 'ip6') && c.value !== undefined) return c.value
  return undefined
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

function ipv4(text: string): string | undefined {
  const m = IPV4.exec(text)
  if (m === null) return undefined
  const parts = m.slice(1).map(Number)
  return parts.every((p) => p <= 255) ? parts.join('.') : undefined
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is malformed. */
function ipv6Groups(text: string): number[] | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const parse = (part: string): number[] | undefined => {
    if (part === '') return []
    const out: number[] = []
    const pieces = part.split(':')
    for (const [i, piece] of pieces.entries()) {
      const v4 = i === pieces.length - 1 ? ipv4(piece) : undefined
      if (v4 !== undefined) {
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number]
        out.push(a * 256 + b, c * 256 + d)
      } else if (/^[0-9a-f]{1,4}$/.test(piece)) out.push(Number.parseInt(piece, 16))
      else return undefined
    }
    return out
  }
  const head = parse(halves[0] ?? '')
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : []
  if (head === undefined || tail === undefined) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  return [...head, ...new Array<number>(missing).fill(0), ...tail]
}

/** The key one holder of `ip` is counted and blacklisted under, or undefined for no IP address. */
export function ipKey(ip: string): string | undefined {
  const v4 = ipv4(ip)
  if (v4 !== undefined) return v4
  const groups = ipv6Groups(ip.toLowerCase().replace(/%.*$/, ''))
  if (groups === undefined) return undefined
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff)
    return `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`
  if (groups.every((g, i) => g === (i === 7 ? 1 : 0))) return '::1'
  return `${[g0, g1, g2, g3].map((g) => g.toString(16)).join(':')}::/64`
}

/** Whether a key of `ipKey` is a loopback address. */
export function isLoopbackKey(key: string): boolean {
  return key === '::1' || key.startsWith('127.')
}
