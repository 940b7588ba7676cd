/**
 * A network's genesis as typed data, its hash (the network's identity in every signature and
 * handshake, docs/PROTOCOL.md §2) and what `openEngine` needs from it. The hash covers every
 * field that changes consensus, in one canonical byte form, so formatting the JSON differently
 * never changes it:
 *
 *   body = u8 version ‖ u8 network (0 mainnet, 1 testnet, 2 devnet) ‖ u64le timestamp (s)
 *        ‖ u32le blockIntervalMs ‖ u16le minCommittee ‖ committeeHash(C_0) (32)
 *        ‖ u32le count ‖ (u64le value ‖ address payload (20))… in file order
 *   genesisHash = SHA-256("TIMECOIN/genesis/v1" ‖ body)
 *   genesis txid = SHA-256("TIMECOIN/genesis-tx/v1" ‖ genesisHash); output i is allocation i
 *
 * Invariants: `checkGenesis` is the one judge of a spec — the committee is a valid `Committee`
 * (strong, distinct keys, bounded weights) with at least `minCommittee` voters, `minCommittee`
 * is at least the network's minimum, weight is granted outside the tiers on devnet only, the
 * allocation passes the ledger's own rule (`checkGenesisAllocation`); nothing here duplicates
 * those rules, it calls them.
 */
import {
  Committee,
  committeeHash,
  MAX_COMMITTEE_SIZE,
  MIN_VOTING_MEMBERS,
} from '../../core/consensus/committee.ts'
import type { TimeLockTimeouts } from '../../core/consensus/timelock.ts'
import { DomainTags } from '../../core/crypto/domain.ts'
import { taggedHash } from '../../core/crypto/sha256.ts'
import type { OpenEngineConfig } from '../../core/engine/runtime.ts'
import { TimeCoinError } from '../../core/errors.ts'
import { checkGenesisAllocation } from '../../core/ledger/genesis.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import { TIERS, type Tier } from '../../core/primitives/tier.ts'
import type { TxOutput } from '../../core/primitives/transaction.ts'
import type { Txid } from '../../core/primitives/txid.ts'
import { GenesisError } from '../errors.ts'

export const GENESIS_VERSION = 1
/** Allocations a genesis may hold (each one output of the genesis transaction). */
export const MAX_GENESIS_ALLOCATIONS = 100_000
/** Block interval bounds: a tenth of a second (test devnets) to a day. */
export const MIN_BLOCK_INTERVAL_MS = 100
export const MAX_BLOCK_INTERVAL_MS = 86_400_000

const NETWORK_CODES: Readonly<Record<NetworkName, number>> = { mainnet: 0, testnet: 1, devnet: 2 }

export interface GenesisMember {
  readonly key: Uint8Array
  /** The tier its weight comes from; null when a devnet genesis grants `weight` directly. */
  readonly tier: Tier | null
  readonly weight: number
}

export interface GenesisSpec {
  readonly version: typeof GENESIS_VERSION
  readonly network: NetworkName
  /** Unix seconds: when it was made (it tells apart two genesis files that are otherwise equal). */
  readonly timestamp: number
  readonly blockIntervalMs: number
  /** Voting members below which finality halts; at least the network's (3 devnet/testnet, 10 mainnet). */
  readonly minCommittee: number
  readonly committee: readonly GenesisMember[]
  /** Output i of the genesis transaction. */
  readonly allocations: readonly TxOutput[]
}

/** Block vote timeouts a node starts from (they grow per attempt); not part of the genesis. */
export const DEFAULT_TIMELOCK_TIMEOUTS: TimeLockTimeouts = {
  proposeMs: 1_000,
  prevoteMs: 1_000,
  precommitMs: 1_000,
  growthMs: 250,
}

/** What `openEngine` takes from a genesis (add `key` for a masternode). */
export type GenesisEngineConfig = Required<
  Pick<OpenEngineConfig, 'genesisHash' | 'genesis' | 'committee' | 'minVoters' | 'chain'>
>

function invalid(message: string, cause?: unknown): never {
  throw new GenesisError(
    'GENESIS_INVALID',
    `genesis: ${message}`,
    undefined,
    cause === undefined ? undefined : { cause },
  )
}

function integer(value: number, min: number, max: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    invalid(`${what} must be an integer in [${min}, ${max}], got ${value}`)
}

/** The epoch-0 committee of `spec` (checked by `Committee` itself). */
function committeeOf(spec: GenesisSpec): Committee {
  try {
    return new Committee(
      0,
      spec.committee.map((m) => ({ key: m.key, weight: m.weight })),
    )
  } catch (e) {
    if (e instanceof TimeCoinError) invalid(`committee: ${e.message}`, e)
    throw e
  }
}

/** Throws GENESIS_INVALID for the first broken rule; returns the epoch-0 committee. */
export function checkGenesis(spec: GenesisSpec): Committee {
  if (spec.version !== GENESIS_VERSION) invalid(`unknown version ${spec.version}`)
  if (!Object.hasOwn(NETWORK_CODES, spec.network)) invalid(`unknown network ${spec.network}`)
  integer(spec.timestamp, 0, Number.MAX_SAFE_INTEGER, 'timestamp')
  integer(spec.blockIntervalMs, MIN_BLOCK_INTERVAL_MS, MAX_BLOCK_INTERVAL_MS, 'blockIntervalMs')
  const floor = MIN_VOTING_MEMBERS[spec.network]
  integer(spec.minCommittee, floor, MAX_COMMITTEE_SIZE, `minCommittee on ${spec.network}`)
  for (const [i, m] of spec.committee.entries()) {
    if (m.tier === null) {
      if (spec.network !== 'devnet')
        invalid(`committee member ${i}: weight without a tier is for devnets only`)
    } else if (!Object.hasOwn(TIERS, m.tier))
      invalid(`committee member ${i}: unknown tier ${m.tier}`)
    else if (m.weight !== TIERS[m.tier].weight)
      invalid(
        `committee member ${i}: tier ${m.tier} weighs ${TIERS[m.tier].weight}, not ${m.weight}`,
      )
  }
  const committee = committeeOf(spec)
  if (committee.voters.length < spec.minCommittee)
    invalid(
      `the committee has ${committee.voters.length} voting members, below its minimum of ${spec.minCommittee}: finality would halt`,
    )
  if (spec.allocations.length > MAX_GENESIS_ALLOCATIONS)
    invalid(`${spec.allocations.length} allocations, more than ${MAX_GENESIS_ALLOCATIONS}`)
  try {
    checkGenesisAllocation({ txid: new Uint8Array(32) as Txid, outputs: spec.allocations })
  } catch (e) {
    if (e instanceof TimeCoinError) invalid(e.message, e)
    throw e
  }
  return committee
}

/** The canonical body the genesis hash covers (see the module comment). */
export function genesisBody(
  spec: GenesisSpec,
  committee: Committee = committeeOf(spec),
): Uint8Array {
  const body = new Uint8Array(1 + 1 + 8 + 4 + 2 + 32 + 4 + spec.allocations.length * 28)
  const view = new DataView(body.buffer)
  view.setUint8(0, spec.version)
  view.setUint8(1, NETWORK_CODES[spec.network])
  view.setBigUint64(2, BigInt(spec.timestamp), true)
  view.setUint32(10, spec.blockIntervalMs, true)
  view.setUint16(14, spec.minCommittee, true)
  body.set(committeeHash(committee), 16)
  view.setUint32(48, spec.allocations.length, true)
  for (const [i, o] of spec.allocations.entries()) {
    view.setBigUint64(52 + i * 28, o.value, true)
    body.set(o.address, 52 + i * 28 + 8)
  }
  return body
}

/** The network's identity: checks `spec`, then hashes its canonical body. */
export function genesisHash(spec: GenesisSpec): Uint8Array {
  return taggedHash(DomainTags.genesis, genesisBody(spec, checkGenesis(spec)))
}

/** The txid under which the genesis allocation's outputs exist. */
export function genesisTxid(hash: Uint8Array): Txid {
  return taggedHash(DomainTags.genesisTx, hash) as Txid
}

/** Checks `spec` and returns its hash and what `openEngine` needs from it. */
export function genesisEngineConfig(
  spec: GenesisSpec,
  timeouts: TimeLockTimeouts = DEFAULT_TIMELOCK_TIMEOUTS,
): GenesisEngineConfig {
  const committee = checkGenesis(spec)
  const hash = taggedHash(DomainTags.genesis, genesisBody(spec, committee))
  return {
    genesisHash: hash,
    genesis: { txid: genesisTxid(hash), outputs: spec.allocations },
    committee,
    minVoters: spec.minCommittee,
    chain: { intervalMs: spec.blockIntervalMs, timeouts },
  }
}
