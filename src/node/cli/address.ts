// `timecoin address <address>`: validate an address and show what it encodes.
import { Command } from 'commander'
import { bytesToHex } from '../../core/encoding/bytes.ts'
import { decodeAddress } from '../../core/primitives/address.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import { networkOption } from './network-option.ts'

export function addressCommand(): Command {
  return new Command('address')
    .description('validate an address for a network and print its payload (JSON)')
    .argument('<address>', 'a TIME1… (mainnet) or TIME0… (testnet/devnet) address')
    .addOption(networkOption())
    .action((address: string, opts: { network: NetworkName }) => {
      const decoded = decodeAddress(address, opts.network)
      const out = {
        address: decoded.address,
        valid: true,
        network: opts.network,
        payload: bytesToHex(decoded.payload),
      }
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
    })
}
