/**
 * The genesis file: the JSON form of a `GenesisSpec` that operators share to launch a network
 * (docs/OPERATIONS.md, "Genesis"). Keys are hex, amounts decimal TIME strings (exact, never a
 * float), addresses `TIME…` text of the file's network; `hash` records the genesis hash so an
 * edit after the fact is caught. Reading is strict: a missing or unknown field, or a value of the
 * wrong type, is GENESIS_FORMAT; a rule broken is GENESIS_INVALID (genesis-spec.ts judges); a
 * recorded or expected hash that differs is GENESIS_HASH_MISMATCH.
 */
import { open } from 'node:fs/promises'
import { bytesToHex, equalBytes, fromHex } from '../../core/encoding/bytes.ts'
import { TimeCoinError } from '../../core/errors.ts'
import { decodeAddress, encodeAddress } from '../../core/primitives/address.ts'
import { formatAmount, parseAmount } from '../../core/primitives/amount.ts'
import { isNetworkName, type NetworkName } from '../../core/primitives/network.ts'
import { TIERS, type Tier } from '../../core/primitives/tier.ts'
import type { TxOutput } from '../../core/primitives/transaction.ts'
import { writeFileAtomic } from '../datadir/atomic-file.ts'
import { GenesisError } from '../errors.ts'
import {
  GENESIS_VERSION,
  type GenesisEngineConfig,
  type GenesisMember,
  type GenesisSpec,
  genesisEngineConfig,
} from './genesis-spec.ts'

export const GENESIS_FILE_FORMAT = 'timecoin-genesis'
/** The largest genesis file read: 100,000 allocations fit with room to spare. */
export const MAX_GENESIS_FILE_BYTES = 32 * 1024 * 1024

export interface LoadedGenesis {
  readonly spec: GenesisSpec
  readonly hash: Uint8Array
  readonly hashHex: string
  /** Spread into `openEngine`'s config (with `key` for a masternode). */
  readonly engine: GenesisEngineConfig
}

const FIELDS = [
  'format',
  'version',
  'network',
  'timestamp',
  'blockIntervalMs',
  'minCommittee',
  'committee',
  'allocations',
  'hash',
]

function format(where: string, message: string): never {
  throw new GenesisError('GENESIS_FORMAT', `${where}: ${message}`)
}

function object(value: unknown, where: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    format(where, 'expected an object')
  for (const key of Object.keys(value))
    if (!fields.includes(key)) format(where, `unknown field "${key}"`)
  return value as Record<string, unknown>
}

function field<T>(
  obj: Record<string, unknown>,
  key: string,
  where: string,
  check: (v: unknown) => v is T,
  what: string,
): T {
  const v = obj[key]
  if (v === undefined) format(where, `missing field "${key}"`)
  if (!check(v)) format(where, `"${key}" must be ${what}`)
  return v
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v)
const isString = (v: unknown): v is string => typeof v === 'string'
const isArray = (v: unknown): v is unknown[] => Array.isArray(v)
const isHex32 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)

function member(value: unknown, i: number): GenesisMember {
  const where = `committee[${i}]`
  const m = object(value, where, ['key', 'tier', 'weight'])
  const key = fromHex(field(m, 'key', where, isHex32, '64 lowercase hex digits'), 32)
  if ((m.tier === undefined) === (m.weight === undefined))
    format(where, 'give exactly one of "tier" and "weight"')
  if (m.tier !== undefined) {
    const tier = m.tier
    if (typeof tier !== 'string' || !Object.hasOwn(TIERS, tier))
      format(where, `"tier" must be one of ${Object.keys(TIERS).join(', ')}`)
    return { key, tier: tier as Tier, weight: TIERS[tier as Tier].weight }
  }
  return { key, tier: null, weight: field(m, 'weight', where, isInt, 'an integer') }
}

function allocation(value: unknown, i: number, network: NetworkName): TxOutput {
  const where = `allocations[${i}]`
  const a = object(value, where, ['address', 'amount'])
  const text = field(a, 'address', where, isString, 'an address string')
  const amount = field(a, 'amount', where, isString, 'a decimal TIME string ("1000.5")')
  try {
    return { address: decodeAddress(text, network).payload, value: parseAmount(amount) }
  } catch (e) {
    if (!(e instanceof TimeCoinError)) throw e
    throw new GenesisError('GENESIS_INVALID', `genesis: ${where}: ${e.message}`, undefined, {
      cause: e,
    })
  }
}

/** Reads a genesis file's text into a spec (shape only; `loadGenesis` also checks the rules). */
export function parseGenesisJson(text: string): { spec: GenesisSpec; recordedHash?: Uint8Array } {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new GenesisError('GENESIS_FORMAT', `genesis: not JSON (${(e as Error).message})`)
  }
  const g = object(json, 'genesis', FIELDS)
  if (g.format !== GENESIS_FILE_FORMAT)
    format('genesis', `"format" must be "${GENESIS_FILE_FORMAT}"`)
  const version = field(g, 'version', 'genesis', isInt, 'an integer')
  if (version !== GENESIS_VERSION) format('genesis', `unknown version ${version}`)
  const network = field(g, 'network', 'genesis', isNetworkName, 'mainnet, testnet or devnet')
  const spec: GenesisSpec = {
    version: GENESIS_VERSION,
    network,
    timestamp: field(g, 'timestamp', 'genesis', isInt, 'an integer (unix seconds)'),
    blockIntervalMs: field(g, 'blockIntervalMs', 'genesis', isInt, 'an integer'),
    minCommittee: field(g, 'minCommittee', 'genesis', isInt, 'an integer'),
    committee: field(g, 'committee', 'genesis', isArray, 'an array').map(member),
    allocations: field(g, 'allocations', 'genesis', isArray, 'an array').map((a, i) =>
      allocation(a, i, network),
    ),
  }
  if (g.hash === undefined) return { spec }
  if (!isHex32(g.hash)) format('genesis', '"hash" must be 64 lowercase hex digits')
  return { spec, recordedHash: fromHex(g.hash, 32) }
}

/** The JSON text of `spec`, with its hash recorded (what `timecoin genesis new` writes). */
export function genesisJson(spec: GenesisSpec): string {
  const { genesisHash } = genesisEngineConfig(spec)
  const doc = {
    format: GENESIS_FILE_FORMAT,
    version: spec.version,
    network: spec.network,
    timestamp: spec.timestamp,
    blockIntervalMs: spec.blockIntervalMs,
    minCommittee: spec.minCommittee,
    committee: spec.committee.map((m) =>
      m.tier === null
        ? { key: bytesToHex(m.key), weight: m.weight }
        : { key: bytesToHex(m.key), tier: m.tier },
    ),
    allocations: spec.allocations.map((o) => ({
      address: encodeAddress(o.address, spec.network),
      amount: formatAmount(o.value),
    })),
    hash: bytesToHex(genesisHash),
  }
  return `${JSON.stringify(doc, null, 2)}\n`
}

export interface GenesisExpectation {
  /** The network the node runs: a genesis of another is refused. */
  readonly network?: NetworkName
  /** The hash the operator was given: any other genesis is refused. */
  readonly hash?: Uint8Array
}

/** Checks a parsed genesis against its rules, its recorded hash and what the caller expects. */
export function loadGenesis(text: string, expect: GenesisExpectation = {}): LoadedGenesis {
  const { spec, recordedHash } = parseGenesisJson(text)
  const engine = genesisEngineConfig(spec)
  const hash = engine.genesisHash
  if (recordedHash !== undefined && !equalBytes(recordedHash, hash))
    throw new GenesisError(
      'GENESIS_HASH_MISMATCH',
      `genesis: its contents hash to ${bytesToHex(hash)}, not the recorded ${bytesToHex(recordedHash)}: it was edited after it was made`,
    )
  if (expect.hash !== undefined && !equalBytes(expect.hash, hash))
    throw new GenesisError(
      'GENESIS_HASH_MISMATCH',
      `genesis: its hash is ${bytesToHex(hash)}, not the expected ${bytesToHex(expect.hash)}`,
    )
  if (expect.network !== undefined && expect.network !== spec.network)
    throw new GenesisError(
      'GENESIS_INVALID',
      `genesis: it is a ${spec.network} genesis, and this node runs ${expect.network}`,
    )
  return { spec, hash, hashHex: bytesToHex(hash), engine }
}

/** Reads and checks the genesis file at `path` (errors name the file). */
export async function loadGenesisFile(
  path: string,
  expect: GenesisExpectation = {},
): Promise<LoadedGenesis> {
  let text: string
  try {
    const file = await open(path, 'r')
    try {
      const { size } = await file.stat()
      if (size > MAX_GENESIS_FILE_BYTES)
        throw new GenesisError(
          'GENESIS_FORMAT',
          `genesis: ${size} bytes, more than ${MAX_GENESIS_FILE_BYTES}`,
        )
      text = await file.readFile('utf8')
    } finally {
      await file.close()
    }
  } catch (e) {
    if (e instanceof GenesisError) throw named(e, path)
    const code = (e as NodeJS.ErrnoException).code
    throw new GenesisError(
      'GENESIS_FORMAT',
      `${path}: cannot read the genesis file (${code === 'ENOENT' ? 'no such file' : (code ?? String(e))})`,
      undefined,
      { cause: e },
    )
  }
  try {
    return loadGenesis(text, expect)
  } catch (e) {
    if (e instanceof GenesisError) throw named(e, path)
    throw e
  }
}

function named(e: GenesisError, path: string): GenesisError {
  return new GenesisError(e.code, `${path}: ${e.message}`, undefined, { cause: e })
}

/** Writes `spec` to `path` (0644: it is public), never over an existing file. */
export async function writeGenesisFile(path: string, spec: GenesisSpec): Promise<void> {
  await writeFileAtomic(path, genesisJson(spec), { mode: 0o644, exclusive: true })
}
