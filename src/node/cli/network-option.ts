// The --network option shared by subcommands, validated against the known network names.
import { InvalidArgumentError, Option } from 'commander'
import { isNetworkName, NETWORKS, type NetworkName } from '../../core/primitives/network.ts'

export function networkOption(): Option {
  return new Option('-n, --network <name>', 'network: mainnet, testnet or devnet')
    .default(process.env.NETWORK_TYPE ?? 'mainnet')
    .argParser((value: string): NetworkName => {
      if (!isNetworkName(value))
        throw new InvalidArgumentError(`expected one of ${NETWORKS.join(', ')}`)
      return value
    })
}
