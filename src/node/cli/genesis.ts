// `timecoin genesis new | hash`: make a network's genesis file and keys, and print a genesis
// file's hash (its network identity) after checking it. The rules live in src/node/genesis.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import { MIN_VOTING_MEMBERS } from '../../core/consensus/committee.ts'
import { bytesToHex, fromHex } from '../../core/encoding/bytes.ts'
import { decodeAddress } from '../../core/primitives/address.ts'
import { type Amount, parseAmount } from '../../core/primitives/amount.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import { type RegistrableTier, TIERS, type Tier } from '../../core/primitives/tier.ts'
import type { TxOutput } from '../../core/primitives/transaction.ts'
import {
  DEFAULT_BLOCK_INTERVAL_MS,
  type GenesisMember,
  loadGenesisFile,
  newGenesis,
  writeNewGenesis,
} from '../genesis/index.ts'
import { networkOption } from './network-option.ts'

function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number')
  return Number(value)
}

function amount(value: string): Amount {
  try {
    return parseAmount(value)
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message)
  }
}

function collect<T>(parse: (v: string) => T) {
  return (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(value)]
}

/** `<hex key>[:tier]` or `<hex key>:<weight>` (a weight is for devnets). */
function member(value: string): GenesisMember {
  const [hex = '', rest = 'bronze'] = value.split(':')
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new InvalidArgumentError('expected <64 hex digits>[:tier|:weight]')
  const key = fromHex(hex.toLowerCase(), 32)
  if (/^\d+$/.test(rest)) return { key, tier: null, weight: Number(rest) }
  if (!Object.hasOwn(TIERS, rest))
    throw new InvalidArgumentError(`unknown tier ${rest} (${Object.keys(TIERS).join(', ')})`)
  return { key, tier: rest as Tier, weight: TIERS[rest as Tier].weight }
}

/** `<address>=<amount>`; the address is checked against the network once it is known. */
function allocation(value: string): { address: string; value: Amount } {
  const eq = value.indexOf('=')
  if (eq === -1) throw new InvalidArgumentError('expected <address>=<amount in TIME>')
  return { address: value.slice(0, eq), value: amount(value.slice(eq + 1)) }
}

function seconds(value: string): number {
  if (!/^\d+(\.\d{1,3})?$/.test(value))
    throw new InvalidArgumentError('expected seconds (up to 3 decimals)')
  return Math.round(Number(value) * 1000)
}

interface NewOptions {
  network: NetworkName
  out?: string
  masternodes?: number
  tier: RegistrableTier
  member?: GenesisMember[]
  allocate?: { address: string; value: Amount }[]
  faucet?: Amount | false
  masternodeFunds?: Amount
  blockInterval?: number
  minCommittee?: number
  timestamp?: number
  seed?: string
}

function newCommand(): Command {
  return new Command('new')
    .description(
      'write a new genesis file (genesis.json) and the keys it generated (keys/*.key, mode 0600) into a folder; print its hash (JSON)',
    )
    .addOption(networkOption())
    .option('-o, --out <dir>', 'folder to write into (default ./genesis-<network>)')
    .option(
      '--masternodes <n>',
      'masternode keys to generate (default 4, at least the minimum committee)',
      integer,
    )
    .addOption(
      new Option('--tier <tier>', 'tier of the generated masternodes')
        .choices(['bronze', 'silver', 'gold'])
        .default('bronze'),
    )
    .option(
      '--member <key[:tier|:weight]>',
      'add an existing masternode key, hex (repeatable; a bare weight only on devnet)',
      collect(member),
    )
    .option(
      '--allocate <address=amount>',
      'allocate TIME to an address (repeatable)',
      collect(allocation),
    )
    .option(
      '--faucet <amount>',
      'TIME for a generated faucet wallet (default 1000000 on test networks)',
      amount,
    )
    .option('--no-faucet', 'generate no faucet wallet')
    .option(
      '--masternode-funds <amount>',
      'TIME for each generated masternode (default 2000 on test networks)',
      amount,
    )
    .option(
      '--block-interval <seconds>',
      `seconds between blocks (default ${Object.entries(DEFAULT_BLOCK_INTERVAL_MS)
        .map(([n, ms]) => `${ms / 1000} ${n}`)
        .join(', ')})`,
      seconds,
    )
    .option(
      '--min-committee <n>',
      `voting members below which finality halts (default ${MIN_VOTING_MEMBERS.devnet} devnet/testnet, ${MIN_VOTING_MEMBERS.mainnet} mainnet)`,
      integer,
    )
    .option('--timestamp <unix-seconds>', 'genesis time (default now)', integer)
    .option('--seed <text>', 'derive the generated keys from this text (test networks only)')
    .action(async (opts: NewOptions, command: Command) => {
      const out = resolve(opts.out ?? `genesis-${opts.network}`)
      if (existsSync(join(out, 'genesis.json')))
        command.error(`error: ${join(out, 'genesis.json')} already exists; choose another --out`, {
          exitCode: 2,
        })
      const allocations: TxOutput[] = (opts.allocate ?? []).map((a) => ({
        value: a.value,
        address: decodeAddress(a.address, opts.network).payload,
      }))
      const g = newGenesis({
        network: opts.network,
        tier: opts.tier,
        members: opts.member ?? [],
        allocations,
        ...(opts.masternodes === undefined ? {} : { masternodes: opts.masternodes }),
        ...(opts.faucet === false
          ? { faucet: null }
          : opts.faucet === undefined
            ? {}
            : { faucet: opts.faucet }),
        ...(opts.masternodeFunds === undefined ? {} : { masternodeFunds: opts.masternodeFunds }),
        ...(opts.blockInterval === undefined ? {} : { blockIntervalMs: opts.blockInterval }),
        ...(opts.minCommittee === undefined ? {} : { minCommittee: opts.minCommittee }),
        ...(opts.timestamp === undefined ? {} : { timestamp: opts.timestamp }),
        ...(opts.seed === undefined ? {} : { seed: opts.seed }),
      })
      const written = await writeNewGenesis(out, g)
      const report = {
        network: g.spec.network,
        hash: bytesToHex(g.hash),
        genesis: written.genesis,
        keys: written.keys.map((k) => ({
          role: k.role,
          path: k.path,
          address: k.address,
          publicKey: bytesToHex(k.publicKey),
        })),
      }
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
      process.stderr.write(
        'the keys/ folder holds secret keys: give each masternode its own key file and keep the faucet key private\n',
      )
    })
}

function hashCommand(): Command {
  return new Command('hash')
    .description("check a genesis file and print its hash, the network's identity")
    .argument('<file>', 'genesis file (JSON)')
    .action(async (file: string) => {
      const g = await loadGenesisFile(resolve(file))
      process.stdout.write(`${g.hashHex}\n`)
    })
}

export function genesisCommand(): Command {
  return new Command('genesis')
    .description('make and check genesis files')
    .addCommand(newCommand())
    .addCommand(hashCommand())
}
