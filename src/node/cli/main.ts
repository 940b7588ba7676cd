#!/usr/bin/env node
/**
 * The `timecoin` command line. Each subcommand lives in its own module; this file only wires
 * them to commander and turns typed errors into a message and an exit code.
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { TimeCoinError } from '../../core/errors.ts'
import { addressCommand } from './address.ts'
import { devnetCommand } from './devnet.ts'
import { genesisCommand } from './genesis.ts'
import { keygenCommand } from './keygen.ts'
import { masternodeCommand } from './masternode.ts'
import { rpcCommand } from './rpc.ts'

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string
}

export function buildProgram(): Command {
  return new Command()
    .name('timecoin')
    .description(
      'TIME Coin node and wallet: UTXO payments final in milliseconds by masternode vote',
    )
    .version(pkg.version)
    .addCommand(masternodeCommand())
    .addCommand(keygenCommand())
    .addCommand(addressCommand())
    .addCommand(genesisCommand())
    .addCommand(rpcCommand())
    .addCommand(devnetCommand())
}

try {
  await buildProgram().exitOverride().parseAsync(process.argv)
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode)
  if (e instanceof TimeCoinError) {
    process.stderr.write(`error [${e.code}]: ${e.message}\n`)
    process.exit(2)
  }
  throw e
}
