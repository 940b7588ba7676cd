// What every simulated participant shares: the simulation, the network's identity and committee,
// the oracle, and the mapping between engine peer ids (masternode keys) and network node ids.
import {
  bytesToHex,
  type ChainConfig,
  type Committee,
  type ConsensusRules,
  computeTxid,
  type EngineLimits,
  type LtHash,
  type MempoolLimits,
  type Message,
  SAFE_RULES,
  type Transaction,
  type Txid,
} from '../../../src/core/index.ts'
import type { Sim } from '../harness.ts'
import type { NodeId } from '../network.ts'
import type { Prng } from '../prng.ts'
import type { Oracle } from './oracle.ts'
import type { UnsafeRule } from './scenario.ts'
import type { SimMasternode } from './sim-masternode.ts'
import type { SimWallet } from './sim-wallet.ts'

/** Block states kept for adversaries (the last blocks of a run are the ones they build on). */
const MAX_CHAIN_STATES = 256

export class SimWorld {
  readonly sim: Sim<Message>
  readonly genesisHash: Uint8Array
  readonly committee: Committee
  readonly oracle: Oracle
  /** The engines' rules: SAFE_RULES, or deliberately unsafe ones (the oracle's self-tests). */
  readonly rules: ConsensusRules
  readonly chain: ChainConfig | undefined
  readonly mempool: MempoolLimits | undefined
  /** Engine state bounds of every masternode other than the defaults. */
  readonly limits: Partial<EngineLimits> | undefined
  /** The scenario's deliberate breakage (the oracle's self-tests), or null: hosts read it too. */
  readonly unsafe: UnsafeRule | null
  /** Honest masternodes by node id, and the wallets (for scripted scenarios). */
  readonly hosts = new Map<NodeId, SimMasternode>()
  readonly wallets: SimWallet[] = []
  /** Restarts under way (the run awaits them before its next event). */
  readonly restarts: Promise<void>[] = []
  /** Every masternode's peer id: non-voters among them follow the chain (committed blocks). */
  readonly masternodes: string[] = []
  readonly #peers = new Map<NodeId, string>()
  readonly #nodes = new Map<string, NodeId>()
  readonly #txids = new WeakMap<Transaction, Txid>()
  /** The chain's UTXO-set state after each block honest nodes hold, by block hash (bounded). */
  readonly #chainStates = new Map<string, LtHash>()
  readonly #disk: { readonly minMs: number; readonly maxMs: number }

  constructor(opts: {
    sim: Sim<Message>
    genesisHash: Uint8Array
    committee: Committee
    oracle: Oracle
    rules?: ConsensusRules
    unsafe?: UnsafeRule | null
    diskSyncMs?: { minMs: number; maxMs: number }
    chain?: ChainConfig
    mempool?: MempoolLimits
    limits?: Partial<EngineLimits>
  }) {
    this.chain = opts.chain
    this.mempool = opts.mempool
    this.limits = opts.limits
    this.sim = opts.sim
    this.genesisHash = opts.genesisHash
    this.committee = opts.committee
    this.oracle = opts.oracle
    this.rules = opts.rules ?? SAFE_RULES
    this.unsafe = opts.unsafe ?? null
    this.#disk = opts.diskSyncMs ?? { minMs: 0.2, maxMs: 2 }
  }

  name(id: NodeId, peer: string): void {
    this.#peers.set(id, peer)
    this.#nodes.set(peer, id)
  }

  nameKey(id: NodeId, key: Uint8Array): void {
    this.name(id, bytesToHex(key))
  }

  /** The committee of `epoch` as honest nodes derived it (what a committee proof would give). */
  committeeOf(epoch: number): Committee | undefined {
    return this.oracle.committees.get(epoch)
  }

  peerOf(id: NodeId): string {
    return this.#peers.get(id) ?? `node-${id}`
  }

  nodeOf(peer: string): NodeId | undefined {
    return this.#nodes.get(peer)
  }

  /**
   * Records the chain's UTXO-set state after block `hash` (an honest node's, at a commit or an
   * open): what an adversary building on that block needs for its header (public knowledge).
   */
  recordChainState(hash: Uint8Array, state: LtHash | undefined): void {
    const id = bytesToHex(hash)
    if (state === undefined || this.#chainStates.has(id)) return
    this.#chainStates.set(id, state)
    if (this.#chainStates.size > MAX_CHAIN_STATES)
      this.#chainStates.delete(this.#chainStates.keys().next().value!)
  }

  /** The chain's UTXO-set state after block `hash`, if an honest node held that block. */
  chainStateAt(hash: Uint8Array): LtHash | undefined {
    return this.#chainStates.get(bytesToHex(hash))
  }

  txidOf(tx: Transaction): Txid {
    let txid = this.#txids.get(tx)
    if (txid === undefined) {
      txid = computeTxid(tx)
      this.#txids.set(tx, txid)
    }
    return txid
  }

  /** Calls `step` on `node`'s timers every `everyMs` of simulated time, until `until`. */
  every(node: NodeId, everyMs: number, until: number, step: () => void): void {
    const timers = this.sim.timers(node)
    const poll = () => {
      step()
      if (this.sim.scheduler.now() + everyMs < until) timers.after(everyMs, poll)
    }
    timers.after(everyMs, poll)
  }

  diskSyncMs(prng: Prng): number {
    return prng.range(this.#disk.minMs, this.#disk.maxMs)
  }
}
