/**
 * The daemon's `NetworkNode` (the network RPC methods' view) over its assembled host: connections
 * from libp2p's connection manager with what the handshake proved of each peer, the committee from
 * the engine and each member's link from the committee links. Read-only.
 */
import { bytesToHex } from '../../core/encoding/bytes.ts'
import type { ConsensusInfo, NetworkInfo, NetworkNode, PeerInfo } from '../rpc/network-methods.ts'
import type { AssembledNode } from './assemble.ts'

export function networkView(node: AssembledNode, maxConnections: number): NetworkNode {
  const { host, engine } = node
  const role = node.masternode ? 'masternode' : 'full-node'
  return {
    networkInfo(): NetworkInfo {
      return {
        peerId: host.peerId.toString(),
        addresses: host.getMultiaddrs().map((a) => a.toString()),
        connections: host.getConnections().length,
        maxConnections,
        role,
      }
    },
    peers(): PeerInfo[] {
      const handshake = host.services.handshake
      return host.getConnections().map((c) => {
        const proved = handshake.verifiedConnection(c)
        return {
          id: c.remotePeer.toString(),
          addr: c.remoteAddr.toString(),
          inbound: c.direction === 'inbound',
          role: proved?.role,
          masternodeKey:
            proved?.masternodeKey === undefined ? undefined : bytesToHex(proved.masternodeKey),
          tipHeight: proved?.tipHeight,
          connTime: Math.floor(c.timeline.open / 1000),
        }
      })
    },
    consensusInfo(): ConsensusInfo {
      const committee = engine.committee
      const own = node.key === undefined ? undefined : bytesToHex(node.key.publicKey)
      const links = host.services.committeeLinks
      const states = new Map([...(links?.members() ?? [])].map((m) => [m.key, m]))
      const members = committee.members.map((m) => {
        const key = bytesToHex(m.key)
        const link = states.get(key)
        return {
          key,
          weight: m.weight,
          link: key === own && node.masternode ? 'self' : (link?.state ?? 'none'),
          rttMs: link?.rttMs,
          peerId: link?.peer?.toString(),
        }
      })
      const stats = links?.stats()
      return {
        role,
        masternodeKey: node.masternode ? own : undefined,
        voting: node.masternode && members.some((m) => m.link === 'self' && m.weight > 0),
        epoch: committee.epoch,
        threshold: committee.threshold,
        totalWeight: committee.totalWeight,
        members,
        linksConnected: stats?.connected ?? 0,
        linksWanted: stats?.members ?? 0,
      }
    },
  }
}
