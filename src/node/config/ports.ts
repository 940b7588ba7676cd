/**
 * Default ports by network (DESIGN §1): P2P over TCP, JSON-RPC, WebSockets for browsers, and
 * Prometheus metrics, one block of a hundred per network so nodes of different networks can share
 * a host. Devnet's block is 24200…; a local devnet of N masternodes gives masternode i the ports
 * of its network plus 10 × i (24200, 24210, …), so each port's last digit still says what it is.
 */
import type { NetworkName } from '../../core/primitives/network.ts'

export interface NetworkPorts {
  /** libp2p over TCP (`port`, `P2P_PORT`). */
  readonly p2p: number
  /** JSON-RPC over HTTP (`rpcport`). */
  readonly rpc: number
  /** libp2p over WebSockets, for browser wallets (`wsport`). */
  readonly ws: number
  /** Prometheus `/metrics` (`metricsport`). */
  readonly metrics: number
}

export const NETWORK_PORTS: Readonly<Record<NetworkName, NetworkPorts>> = {
  mainnet: { p2p: 24000, rpc: 24001, ws: 24002, metrics: 24003 },
  testnet: { p2p: 24100, rpc: 24101, ws: 24102, metrics: 24103 },
  devnet: { p2p: 24200, rpc: 24201, ws: 24202, metrics: 24203 },
}

/** Ports of the i-th masternode of a local devnet (0-based): the devnet's, plus 10 × i. */
export function devnetPorts(index: number): NetworkPorts {
  if (!Number.isSafeInteger(index) || index < 0 || index > 99)
    throw new RangeError(`devnet masternode index must be 0…99, got ${index}`)
  const base = NETWORK_PORTS.devnet
  const step = 10 * index
  return {
    p2p: base.p2p + step,
    rpc: base.rpc + step,
    ws: base.ws + step,
    metrics: base.metrics + step,
  }
}
