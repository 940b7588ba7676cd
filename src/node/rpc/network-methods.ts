/**
 * The RPC methods about the network and the committee: `getnetworkinfo`, `getconnectioncount`,
 * `getpeerinfo` (bitcoind's names, TIME Coin's fields) and `getconsensusinfo`, `masternodelist`
 * (this node's role, the committee and the state of each committee link — what an operator and
 * `timecoin devnet` look at to know the committee is linked). Reads over `NetworkNode`, which the
 * daemon fills from its libp2p host; nothing here knows libp2p. Invariants: read-only; every list
 * is bounded by what it reads (connections by maxconnections, members by the committee).
 */
import { type RpcMethod, rpcMethod } from './registry.ts'

export interface PeerInfo {
  /** The libp2p peer id. */
  readonly id: string
  /** The remote multiaddr of one open connection. */
  readonly addr: string
  readonly inbound: boolean
  /** What its handshake proved (absent while it is being checked). */
  readonly role: string | undefined
  readonly masternodeKey: string | undefined
  readonly tipHeight: number | undefined
  /** Unix seconds the connection opened. */
  readonly connTime: number
}

export interface CommitteeMemberInfo {
  readonly key: string
  readonly weight: number
  /** This node itself, or its link's state (connected, connecting, reconnecting, disconnected). */
  readonly link: string
  readonly rttMs: number | undefined
  readonly peerId: string | undefined
}

export interface NetworkInfo {
  readonly peerId: string
  /** Where this node listens (multiaddrs with /p2p/<id>): TCP for nodes, /ws for browsers. */
  readonly addresses: readonly string[]
  readonly connections: number
  readonly maxConnections: number
  readonly role: 'masternode' | 'full-node'
}

export interface ConsensusInfo {
  readonly role: 'masternode' | 'full-node'
  /** This node's masternode key (hex), if it has one. */
  readonly masternodeKey: string | undefined
  /** Whether that key is in the current committee (it votes). */
  readonly voting: boolean
  readonly epoch: number
  readonly threshold: number
  readonly totalWeight: number
  readonly members: readonly CommitteeMemberInfo[]
  /** Committee links up, and wanted (members other than this node; 0 on a full node). */
  readonly linksConnected: number
  readonly linksWanted: number
}

export interface NetworkNode {
  networkInfo(): NetworkInfo
  peers(): PeerInfo[]
  consensusInfo(): ConsensusInfo
}

export function networkMethods(node: NetworkNode): RpcMethod[] {
  return [
    rpcMethod({
      name: 'getnetworkinfo',
      category: 'Network',
      summary: 'This node’s peer id, listening addresses, role and connection count.',
      params: [],
      handler: () => {
        const info = node.networkInfo()
        return {
          peerid: info.peerId,
          role: info.role,
          localaddresses: info.addresses,
          connections: info.connections,
          maxconnections: info.maxConnections,
        }
      },
    }),
    rpcMethod({
      name: 'getconnectioncount',
      category: 'Network',
      summary: 'Open connections to other nodes and wallets.',
      params: [],
      handler: () => node.networkInfo().connections,
    }),
    rpcMethod({
      name: 'getpeerinfo',
      category: 'Network',
      summary: 'Each open connection: peer id, address, direction, handshake role and key.',
      params: [],
      handler: () =>
        node.peers().map((p) => ({
          id: p.id,
          addr: p.addr,
          inbound: p.inbound,
          role: p.role ?? null,
          masternodekey: p.masternodeKey ?? null,
          startingheight: p.tipHeight ?? null,
          conntime: p.connTime,
        })),
    }),
    rpcMethod({
      name: 'getconsensusinfo',
      category: 'Network',
      summary: 'This node’s role and vote, the committee of the epoch and each committee link.',
      params: [],
      handler: () => {
        const c = node.consensusInfo()
        return {
          role: c.role,
          masternodekey: c.masternodeKey ?? null,
          voting: c.voting,
          epoch: c.epoch,
          threshold: c.threshold,
          totalweight: c.totalWeight,
          linksconnected: c.linksConnected,
          linkswanted: c.linksWanted,
          members: c.members.map(memberJson),
        }
      },
    }),
    rpcMethod({
      name: 'masternodelist',
      category: 'Network',
      summary: 'The current committee: each member’s key, weight and link from this node.',
      params: [],
      handler: () => node.consensusInfo().members.map(memberJson),
    }),
  ]
}

function memberJson(m: CommitteeMemberInfo) {
  return {
    key: m.key,
    weight: m.weight,
    link: m.link,
    rttms: m.rttMs ?? null,
    peerid: m.peerId ?? null,
  }
}
