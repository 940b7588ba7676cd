// The local addresses TCP sockets listen on at a port, read from /proc/net/tcp and tcp6: how the
// integration tests check that a process's RPC and metrics servers are bound to loopback only,
// without sending traffic anywhere.
import { readFileSync } from 'node:fs'

/** Listening addresses at `port`: dotted IPv4, or `ipv6:<hex>` as /proc prints it. */
export function listeningAddresses(port: number): string[] {
  const out: string[] = []
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      const [hex = '', portHex = ''] = (local ?? '').split(':')
      if (state !== '0A' || Number.parseInt(portHex, 16) !== port) continue
      out.push(hex.length === 8 ? ipv4(hex) : `ipv6:${hex}`)
    }
  }
  return out
}

/** /proc/net/tcp's little-endian hex IPv4 address. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.')
}
