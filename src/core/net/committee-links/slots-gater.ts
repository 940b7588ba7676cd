/**
 * A connection gater that keeps the committee's reserved slots free: once peers outside the
 * committee hold `maxConnections` less the reserved share (40%), another one's inbound connection
 * is dropped right after Noise proves who it is; a member's known peer always gets in. The links
 * service is built after the gater (it is a libp2p service), hence the getter; until it exists
 * the gate refuses nothing.
 *
 * Invariants: it only adds refusals to the gater it wraps, never removes one.
 */
import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { CommitteeLinks } from './committee-links-service.ts'

export function committeeSlotsGater(
  links: () => Pick<CommitteeLinks, 'admitsInbound'> | undefined,
  gater: ConnectionGater = {},
): ConnectionGater {
  return {
    ...gater,
    denyInboundEncryptedConnection: async (peer: PeerId, connection: MultiaddrConnection) =>
      links()?.admitsInbound(peer) === false ||
      (await gater.denyInboundEncryptedConnection?.(peer, connection)) === true,
  }
}
