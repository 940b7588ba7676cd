/**
 * The networks and what tells them apart in human-facing text. Signatures and handshakes are
 * bound to the genesis hash, not these names (devnets and a reset testnet share a name).
 */
export type NetworkName = 'mainnet' | 'testnet' | 'devnet'

export const NETWORKS: readonly NetworkName[] = ['mainnet', 'testnet', 'devnet']

/** The digit after "TIME" in an address: '1' mainnet, '0' testnet and devnet. */
export function addressDigit(network: NetworkName): '0' | '1' {
  return network === 'mainnet' ? '1' : '0'
}

export function isNetworkName(value: unknown): value is NetworkName {
  return typeof value === 'string' && (NETWORKS as readonly string[]).includes(value)
}
