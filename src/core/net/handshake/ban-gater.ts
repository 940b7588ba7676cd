/**
 * A connection gater that refuses banned peers at the door: no dial to them, and a connection
 * from or to them is dropped right after Noise proves who they are, before any stream. The
 * handshake service closes such a connection too; the gate saves the upgrade.
 *
 * Invariants: it only adds refusals to the gater it wraps, never removes one.
 */
import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { BanPolicy } from './ban-list.ts'

export function banGater(
  bans: Pick<BanPolicy, 'isBanned'>,
  gater: ConnectionGater = {},
): ConnectionGater {
  return {
    ...gater,
    denyDialPeer: async (peer: PeerId) =>
      bans.isBanned(peer) || (await gater.denyDialPeer?.(peer)) === true,
    denyInboundEncryptedConnection: async (peer: PeerId, connection: MultiaddrConnection) =>
      bans.isBanned(peer) ||
      (await gater.denyInboundEncryptedConnection?.(peer, connection)) === true,
    denyOutboundEncryptedConnection: async (peer: PeerId, connection: MultiaddrConnection) =>
      bans.isBanned(peer) ||
      (await gater.denyOutboundEncryptedConnection?.(peer, connection)) === true,
  }
}
