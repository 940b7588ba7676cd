/**
 * Making a genesis: the committee from generated and given keys, allocations to a generated
 * faucet wallet, to the generated masternodes and to given addresses, with per-network defaults
 * (block interval, minimum committee, funds). Keys are random, or derived from a seed for test
 * networks — `devnetGenesis(seed)` gives the same genesis, hash and keys on every machine, which
 * is what `timecoin devnet` and tests start from. Writing puts the genesis file (0644) and each
 * generated key (0600) in one folder, never over existing files. Invariants: every genesis made
 * here passes `checkGenesis`; a seed is refused on mainnet (anyone knowing it has the keys).
 */

import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { MIN_VOTING_MEMBERS } from '../../core/consensus/committee.ts'
import { generateKeyPair, getPublicKey, type KeyPair } from '../../core/crypto/ed25519.ts'
import { sha256 } from '../../core/crypto/sha256.ts'
import { utf8ToBytes } from '../../core/encoding/bytes.ts'
import { addressFromPublicKey, addressPayloadFromPublicKey } from '../../core/primitives/address.ts'
import { type Amount, COIN } from '../../core/primitives/amount.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import { type RegistrableTier, TIERS } from '../../core/primitives/tier.ts'
import type { TxOutput } from '../../core/primitives/transaction.ts'
import { saveKeyFile } from '../datadir/key-file.ts'
import { GenesisError } from '../errors.ts'
import { writeGenesisFile } from './genesis-file.ts'
import {
  GENESIS_VERSION,
  type GenesisEngineConfig,
  type GenesisMember,
  type GenesisSpec,
  genesisEngineConfig,
} from './genesis-spec.ts'

/** Default block interval: 600 s on mainnet (DESIGN §4.7), a minute on testnet, 2 s on devnet. */
export const DEFAULT_BLOCK_INTERVAL_MS: Readonly<Record<NetworkName, number>> = {
  mainnet: 600_000,
  testnet: 60_000,
  devnet: 2_000,
}

/** The generated faucet's allocation by default: a million TIME on test networks, none on mainnet. */
export const DEFAULT_FAUCET: Readonly<Record<NetworkName, Amount | null>> = {
  mainnet: null,
  testnet: (1_000_000n * COIN) as Amount,
  devnet: (1_000_000n * COIN) as Amount,
}

/** Each generated masternode's own funds by default (fees, a registration's collateral). */
export const DEFAULT_MASTERNODE_FUNDS: Readonly<Record<NetworkName, Amount>> = {
  mainnet: 0n as Amount,
  testnet: (2_000n * COIN) as Amount,
  devnet: (2_000n * COIN) as Amount,
}

export interface NewGenesisOptions {
  readonly network: NetworkName
  /** Masternode keys to generate (default: 4, or the minimum committee if larger, without `members`). */
  readonly masternodes?: number
  /** The tier of generated masternodes (default bronze). */
  readonly tier?: RegistrableTier
  /** Members whose keys the operators hold already. */
  readonly members?: readonly GenesisMember[]
  /** Allocations to given addresses, after the generated ones. */
  readonly allocations?: readonly TxOutput[]
  /** A generated faucet wallet's allocation; null for none (default DEFAULT_FAUCET). */
  readonly faucet?: Amount | null
  /** Each generated masternode's allocation (default DEFAULT_MASTERNODE_FUNDS; 0 for none). */
  readonly masternodeFunds?: Amount
  readonly blockIntervalMs?: number
  /** Default: the network's minimum (3 devnet/testnet, 10 mainnet). */
  readonly minCommittee?: number
  /** Unix seconds (default now). */
  readonly timestamp?: number
  /** Derive the generated keys from this text instead of drawing them (not on mainnet). */
  readonly seed?: string
}

export interface NewGenesis {
  readonly spec: GenesisSpec
  readonly hash: Uint8Array
  readonly engine: GenesisEngineConfig
  /** The generated masternode keys, in committee-list order of generation. */
  readonly masternodeKeys: readonly KeyPair[]
  readonly faucetKey: KeyPair | undefined
}

function seededKey(seed: string, label: string): KeyPair {
  const secretKey = sha256(utf8ToBytes(`timecoin genesis seed ${seed} ${label}`))
  return { secretKey, publicKey: getPublicKey(secretKey) }
}

/** Builds (and checks) a new genesis with the keys it generated. */
export function newGenesis(options: NewGenesisOptions): NewGenesis {
  const { network, seed } = options
  if (seed !== undefined && network === 'mainnet')
    throw new GenesisError(
      'GENESIS_INVALID',
      'genesis: a seed derives keys anyone who knows it can rebuild; mainnet keys are drawn at random',
    )
  const minCommittee = options.minCommittee ?? MIN_VOTING_MEMBERS[network]
  const given = options.members ?? []
  const count = options.masternodes ?? (given.length > 0 ? 0 : Math.max(4, minCommittee))
  if (!Number.isSafeInteger(count) || count < 0 || count > 1_000)
    throw new GenesisError('GENESIS_INVALID', `genesis: cannot generate ${count} masternodes`)
  const key = (label: string) => (seed === undefined ? generateKeyPair() : seededKey(seed, label))
  const masternodeKeys = Array.from({ length: count }, (_, i) => key(`masternode ${i}`))
  const faucetAmount = options.faucet === undefined ? DEFAULT_FAUCET[network] : options.faucet
  const faucetKey = faucetAmount === null ? undefined : key('faucet')
  const tier = options.tier ?? 'bronze'
  const funds = options.masternodeFunds ?? DEFAULT_MASTERNODE_FUNDS[network]
  const allocations: TxOutput[] = [
    ...(faucetKey === undefined
      ? []
      : [{ value: faucetAmount!, address: addressPayloadFromPublicKey(faucetKey.publicKey) }]),
    ...(funds === 0n
      ? []
      : masternodeKeys.map((k) => ({
          value: funds,
          address: addressPayloadFromPublicKey(k.publicKey),
        }))),
    ...(options.allocations ?? []),
  ]
  const spec: GenesisSpec = {
    version: GENESIS_VERSION,
    network,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    blockIntervalMs: options.blockIntervalMs ?? DEFAULT_BLOCK_INTERVAL_MS[network],
    minCommittee,
    committee: [
      ...masternodeKeys.map((k) => ({ key: k.publicKey, tier, weight: TIERS[tier].weight })),
      ...given,
    ],
    allocations,
  }
  const engine = genesisEngineConfig(spec)
  return { spec, hash: engine.genesisHash, engine, masternodeKeys, faucetKey }
}

export interface DevnetGenesisOptions {
  readonly seed: string
  /** Default 4. */
  readonly masternodes?: number
  readonly blockIntervalMs?: number
  readonly faucet?: Amount
}

/** The devnet of `seed`: the same genesis, hash and keys wherever it is built (timestamp 0). */
export function devnetGenesis(options: DevnetGenesisOptions): NewGenesis {
  return newGenesis({
    network: 'devnet',
    seed: options.seed,
    masternodes: options.masternodes ?? 4,
    timestamp: 0,
    ...(options.blockIntervalMs === undefined ? {} : { blockIntervalMs: options.blockIntervalMs }),
    ...(options.faucet === undefined ? {} : { faucet: options.faucet }),
  })
}

export interface WrittenGenesis {
  readonly genesis: string
  readonly keys: readonly {
    readonly role: 'masternode' | 'wallet'
    readonly path: string
    readonly address: string
    readonly publicKey: Uint8Array
  }[]
}

/**
 * Writes `genesis.json` (0644) and `keys/masternode-<i>.key`, `keys/faucet.key` (0600) into
 * `dir`; refuses if any of them exists.
 */
export async function writeNewGenesis(dir: string, g: NewGenesis): Promise<WrittenGenesis> {
  const keysDir = join(dir, 'keys')
  await mkdir(keysDir, { recursive: true, mode: 0o700 })
  const genesis = join(dir, 'genesis.json')
  await writeGenesisFile(genesis, g.spec)
  const network = g.spec.network
  const keys: WrittenGenesis['keys'][number][] = []
  const save = async (role: 'masternode' | 'wallet', name: string, pair: KeyPair) => {
    const path = join(keysDir, `${name}.key`)
    await saveKeyFile(path, { ...pair, role, network })
    keys.push({
      role,
      path,
      address: addressFromPublicKey(pair.publicKey, network),
      publicKey: pair.publicKey,
    })
  }
  for (const [i, k] of g.masternodeKeys.entries()) await save('masternode', `masternode-${i}`, k)
  if (g.faucetKey !== undefined) await save('wallet', 'faucet', g.faucetKey)
  return { genesis, keys }
}
