// `timecoin keygen`: a fresh Ed25519 key and its address, as JSON.
import { Command } from 'commander'
import { generateKeyPair } from '../../core/crypto/ed25519.ts'
import { bytesToHex } from '../../core/encoding/bytes.ts'
import { addressFromPublicKey } from '../../core/primitives/address.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import { networkOption } from './network-option.ts'

export function keygenCommand(): Command {
  return new Command('keygen')
    .description('generate an Ed25519 key pair and print it with its address (JSON)')
    .addOption(networkOption())
    .action((opts: { network: NetworkName }) => {
      const { secretKey, publicKey } = generateKeyPair()
      const out = {
        network: opts.network,
        address: addressFromPublicKey(publicKey, opts.network),
        publicKey: bytesToHex(publicKey),
        secretKey: bytesToHex(secretKey),
      }
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
      process.stderr.write(
        'keep secretKey private: anyone who has it can spend from this address\n',
      )
    })
}
