/**
 * The handshake service's public face: `handshake(init)` is a libp2p service factory
 * (`services: { handshake: handshake({ ... }) }`) for the Node host, the browser host and
 * `@libp2p/memory` tests alike. docs/PROTOCOL.md ("Handshake") has the bytes.
 */
import {
  type HandshakeComponents,
  type HandshakeInit,
  HandshakeService,
} from './handshake-service.ts'

export { banGater } from './ban-gater.ts'
export { BanList, type BanListInit, type BanPolicy, DEFAULT_BAN_TTL_MS } from './ban-list.ts'
export { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_TRACKED_CONNECTIONS } from './constants.ts'
export {
  type HandshakeComponents,
  type HandshakeEvents,
  type HandshakeFailure,
  type HandshakeInit,
  HandshakeService,
  type Tip,
} from './handshake-service.ts'
export type { VerifiedPeer } from './verified-peers.ts'

export function handshake(
  init: HandshakeInit,
): (components: HandshakeComponents) => HandshakeService {
  return (components) => new HandshakeService(components, init)
}
