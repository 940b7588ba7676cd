/**
 * Which addresses a browser host may dial. A page can only open WebSockets, and a secure page
 * only `wss`; production masternodes serve `wss` under a certificate (DESIGN §5). Plain `ws://`
 * is allowed to loopback alone, and only when the caller says so (development against a local
 * devnet).
 *
 * Invariants: with `allowInsecureLoopback` off, only TLS WebSocket addresses that are not private
 * IPs are dialable; with it on, loopback addresses (127.0.0.0/8, ::1, `localhost`) are too.
 */

import { isLoopback, isPrivate } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

const LOCALHOST_NAMES = new Set(['dns', 'dns4', 'dns6'])

function isLoopbackTarget(address: Multiaddr): boolean {
  if (isLoopback(address)) return true
  const [first] = address.getComponents()
  return first !== undefined && LOCALHOST_NAMES.has(first.name) && first.value === 'localhost'
}

function isSecureWebSocket(address: Multiaddr): boolean {
  const names = address.getComponents().map((c) => c.name)
  return names.includes('wss') || (names.includes('tls') && names.includes('ws'))
}

/** `denyDialMultiaddr` for a browser host: true refuses the address. */
export function browserDialDenied(address: Multiaddr, allowInsecureLoopback: boolean): boolean {
  if (allowInsecureLoopback && isLoopbackTarget(address)) return false
  if (!isSecureWebSocket(address)) return true
  return isPrivate(address)
}
