/**
 * One node's engine: events in, effects out, no I/O, no clock, no randomness of its own. It wires
 * the parts — voting (voting.ts), fetching (fetching.ts), finality (finality.ts), epochs and
 * handoff (epochs.ts), block production (chain-link.ts) — around one shared context, dispatches
 * each event to the part it concerns, and then drains the loopback queue: messages this node sent
 * itself, commits and buffered block votes, each handled after the handler that produced it
 * returned. So no handler ever runs inside another, and the flow is one-way
 * (docs/ARCHITECTURE.md §2). The rules it follows are one explicit object: SAFE_RULES unless the
 * simulator hands in deliberately broken ones.
 */
import type { Committee } from '../consensus/committee.ts'
import { MIN_VOTING_MEMBERS } from '../consensus/committee.ts'
import type { Registry, RegistryState } from '../consensus/registry.ts'
import { type ConsensusRules, SAFE_RULES } from '../consensus/rules.ts'
import { toSigner } from '../consensus/vote-batch.ts'
import type { KeyPair, Signer } from '../crypto/ed25519.ts'
import { bytesToHex, equalBytes } from '../encoding/bytes.ts'
import { chainUtxoState, inChain } from '../ledger/chain-utxos.ts'
import type { Ledger } from '../ledger/ledger.ts'
import type { LtHash } from '../ledger/lthash.ts'
import type { Txid } from '../primitives/txid.ts'
import type { ChainConfig } from './chain.ts'
import { isChainTimer } from './chain.ts'
import { ChainLink } from './chain-link.ts'
import type { ChainTip, StoredBlockVote } from './chain-store.ts'
import { EngineContext, type Loopback } from './context.ts'
import type { Decision, StoredVotingState } from './decision-store.ts'
import { Epochs } from './epochs.ts'
import type { Effect, EngineEvent } from './events.ts'
import { EXPIRE, Fetching, ORPHANS, RETRY } from './fetching.ts'
import { Finality } from './finality.ts'
import { type EngineLimits, engineLimits } from './limits.ts'
import type { Message, PeerId } from './messages.ts'
import type { CertifiedBlock } from './recent-blocks.ts'
import type { Seal } from './seal-store.ts'
import { Voting } from './voting.ts'

export interface EngineConfig {
  readonly genesisHash: Uint8Array
  /** The genesis committee (epoch 0); later committees come from the chain. */
  readonly committee: Committee
  readonly ledger: Ledger
  /** This node's masternode key; absent on a node that relays and serves wallets only. */
  readonly key?: KeyPair
  /** Signs this node's batches and proposals (default: noble with `key`); must match `key`. */
  readonly signer?: Signer
  /** Decisions and sequence restored from the store (see decision-store.ts). */
  readonly voting?: StoredVotingState
  readonly retryMinMs?: number
  readonly retryMaxMs?: number
  readonly expireEveryMs?: number
  /**
   * The minimum committee (default: devnet's 3 voting members): below it finality halts, and
   * removals that would go below it have no effect.
   */
  readonly minVoters?: number
  /** Masternodes that do not vote now but follow the chain: they get every committed block. */
  readonly followers?: readonly PeerId[]
  /** Block production (TimeLock); without it the node finalizes but never confirms. */
  readonly chain?: ChainConfig
  /** The tip and this node's own block votes, restored from the store (see loadChainState). */
  readonly chainState?: StoredChainState
  /** Bounds on the engine's state other than the defaults (limits.ts). */
  readonly limits?: Partial<EngineLimits>
}

/**
 * Entry counts of every map an engine keeps, by name (`known.txs`, `voting.decisions`,
 * `orphans.bytes`, `chain.recentBlocks`, `ledger.spent`, …), with encoded bytes where they
 * matter (`…Bytes`, `….bytes`): what the bounds of limits.ts hold down (docs/ARCHITECTURE.md §2.3).
 */
export type StateSizes = Readonly<Record<string, number>>

/** Known transactions may grow by this many past twice their count after the last sweep. */
const SWEEP_SLACK = 1_024

export interface StoredChainState {
  readonly tip: ChainTip
  readonly votes: readonly StoredBlockVote[]
  /** The registry after the tip (absent before the first block: the genesis committee). */
  readonly registry?: RegistryState
  /** This node's last seal (binding while its epoch is current). */
  readonly seal?: Seal
  /** The chain's UTXO-set state after the tip (absent: recomputed from the ledger). */
  readonly utxos?: LtHash
}

export class FinalityEngine {
  readonly ledger: Ledger
  readonly #ctx: EngineContext
  readonly #chainVotes: readonly StoredBlockVote[]
  /** Known transactions beyond which a sweep runs after the current event. */
  #sweepAt = SWEEP_SLACK

  /** `rules` is SAFE_RULES everywhere but in the simulator's proof that its oracle can fail. */
  constructor(config: EngineConfig, rules: ConsensusRules = SAFE_RULES) {
    this.ledger = config.ledger
    const signer = config.signer ?? (config.key ? toSigner(config.key) : undefined)
    if (signer && config.key && !equalBytes(signer.publicKey, config.key.publicKey)) {
      throw new RangeError("the signer does not sign with this node's key")
    }
    const ctx = new EngineContext({
      ledger: config.ledger,
      genesisHash: config.genesisHash,
      key: config.key,
      signer,
      self: config.key ? bytesToHex(config.key.publicKey) : 'local',
      rules,
      followers: config.followers ?? [],
      retryMinMs: config.retryMinMs ?? 1_000,
      retryMaxMs: config.retryMaxMs ?? 60_000,
      expireEveryMs: config.expireEveryMs ?? 60_000,
      limits: engineLimits(config.limits),
    })
    this.#ctx = ctx
    const registry = Epochs.registryOf(
      config.committee,
      config.chainState?.registry,
      config.minVoters ?? MIN_VOTING_MEMBERS.devnet,
      rules.quorum,
    )
    ctx.finality = new Finality(ctx)
    ctx.fetching = new Fetching(ctx)
    ctx.voting = new Voting(ctx, config.voting)
    ctx.epochs = new Epochs(ctx, registry, config.chainState?.seal)
    ctx.epochs.enter()
    for (const e of this.ledger.mempool.entries())
      ctx.remember({ tx: e.tx, txid: e.txid, size: e.size })
    this.#chainVotes = config.chainState?.votes ?? []
    // Without a key the chain is followed only (blocks committed by the committee are applied).
    if (config.chain !== undefined) {
      ctx.chain = new ChainLink(
        ctx,
        config.key,
        signer,
        config.chain,
        config.chainState?.tip ?? { height: 0, hash: config.genesisHash },
        config.chainState?.utxos ??
          chainUtxoState([...this.ledger.utxos.entries()].filter(inChain)),
      )
    }
  }

  /** The committee voting now (C_e of the current epoch). */
  get committee(): Committee {
    return this.#ctx.epochs.committee
  }

  get registry(): Registry {
    return this.#ctx.epochs.registry
  }

  /** The chain's tip here (height 0 and the genesis hash before the first block). */
  get tip(): ChainTip | undefined {
    return this.#ctx.chain?.tip
  }

  /**
   * A copy of the LtHash16 state of the chain's UTXO set after the tip (its digest is the tip
   * header's `utxoCommitment`); undefined without block production.
   */
  chainUtxoState(): LtHash | undefined {
    return this.#ctx.chain?.utxoState
  }

  get id(): PeerId {
    return this.#ctx.self
  }

  get isVoter(): boolean {
    return this.#ctx.epochs.isVoter
  }

  /** Whether `txid` is final here (certificate applied, not yet confirmed, or confirmed). */
  isFinal(txid: Txid): boolean {
    return this.#ctx.isFinal(txid)
  }

  /** Accept weight this node has counted for `txid` in the current epoch. */
  acceptWeight(txid: Txid): number {
    return this.#ctx.finality.acceptWeight(txid)
  }

  decisionOf(txid: Txid): Decision | undefined {
    return this.#ctx.voting.decisionOf(txid)
  }

  /**
   * The recent committed block holding `txid`, with its certificate: what proves to a light client
   * that the transaction is confirmed (older blocks are in the store). Undefined without blocks.
   */
  inclusion(txid: Txid): CertifiedBlock | undefined {
    return this.#ctx.chain?.inclusion(txid)
  }

  /** Arms the periodic timers and re-requests votes for transactions still pending. */
  start(now: number): Effect[] {
    return this.#run(now, () => {
      const ctx = this.#ctx
      ctx.emit({ type: 'setTimer', id: EXPIRE, at: ctx.now + ctx.expireEveryMs })
      ctx.chain?.start(this.#chainVotes)
      for (const e of this.ledger.mempool.entries()) {
        if (e.status !== 'pending') continue
        ctx.fetching.armRetry(e.txid)
        // Votes signed before a restart may never have arrived (or our own tally of them is
        // gone): announce every decision still pending again, in a new batch.
        ctx.voting.reannounce(e.txid)
      }
    })
  }

  handle(event: EngineEvent, now: number): Effect[] {
    return this.#run(now, () => {
      switch (event.type) {
        case 'message':
          return this.#onMessage(event.from, event.message)
        case 'submit':
          return this.#ctx.voting.onTransaction(event.tx, null, false)
        case 'persisted':
          return this.#onPersisted(event.id)
        case 'timer':
          return this.#onTimer(event.id)
      }
    })
  }

  // ── dispatch ──────────────────────────────────────────────────────────────

  /** Handles one event, then everything it queued on the loopback queue, in order. */
  #run(now: number, body: () => void): Effect[] {
    const ctx = this.#ctx
    // The engine's clock is whole milliseconds (shells may pass a fractional monotonic time).
    ctx.now = Math.floor(now)
    ctx.out = []
    body()
    for (let item = ctx.loopback.shift(); item !== undefined; item = ctx.loopback.shift())
      this.#onLoopback(item)
    if (ctx.knownSize().count > this.#sweepAt) this.#sweep()
    return ctx.out
  }

  #onMessage(from: PeerId, m: Message): void {
    const ctx = this.#ctx
    switch (m.type) {
      case 'TransactionBroadcast':
        return ctx.voting.onTransaction(m.tx, from, false)
      case 'InstantFinalityRequest':
        return ctx.voting.onTransaction(m.tx, from, true)
      case 'InstantFinalityVote':
        return ctx.finality.onBatch(m.batch, from)
      case 'FinalityCertificate':
        return ctx.finality.onCertificate(m.tx, m.certificate, from)
      case 'TransactionRequest':
        return ctx.fetching.onTransactionRequest(m.txid, from)
      case 'BlockProposal':
        return ctx.chain?.onProposal(m.proposal, from)
      case 'BlockCommit':
        return ctx.chain?.onCommit(m.block, m.certificate, from)
      case 'BlockRequest':
        return ctx.chain?.onRequest(m.height, from)
      case 'LockReport':
        return ctx.chain?.onLockReport(m.report, m.txs, from)
    }
  }

  #onLoopback(item: Loopback): void {
    const ctx = this.#ctx
    switch (item.kind) {
      case 'self': {
        const m = item.message
        // Our own batch: counted as it is (it is no backup of ours to adopt).
        if (m.type === 'InstantFinalityVote') return void ctx.finality.count(m.batch)
        return this.#onMessage(ctx.self, m)
      }
      case 'chainBatch':
        return ctx.chain?.onBatch(item.batch)
      case 'committed': {
        const { height, hash, transactions, registry, changed, carried } = item.commit
        ctx.epochs.advance(registry, changed, carried)
        ctx.emit({ type: 'committed', height, hash, transactions })
        return this.#prune(height)
      }
    }
  }

  #onPersisted(id: number): void {
    const ctx = this.#ctx
    if (!ctx.epochs.onPersisted(id)) ctx.voting.onPersisted(id)
  }

  #onTimer(id: string): void {
    const ctx = this.#ctx
    if (isChainTimer(id)) return ctx.chain?.onTimer(id)
    if (id === RETRY) return ctx.fetching.onRetryTimer()
    if (id === ORPHANS) return ctx.fetching.onOrphanTimer()
    if (id !== EXPIRE) return
    const t = this.ledger.expireLocks(ctx.now)
    ctx.persist(t.ops, false)
    ctx.outputsMoved(t.moved)
    ctx.fetching.dropRetries(t.removed)
    ctx.emit({ type: 'setTimer', id: EXPIRE, at: ctx.now + ctx.expireEveryMs })
    this.#sweep()
  }

  /**
   * After a commit, what the block settled goes (docs/ARCHITECTURE.md §2.3): decisions on the
   * transactions it confirmed or made impossible, and those two epochs old; spent outputs
   * `spentOutputDepth` blocks deep — their records deleted in one write. Then orphans whose
   * parents it created wake, and transactions nothing refers to any more are forgotten.
   */
  #prune(height: number): void {
    const ctx = this.#ctx
    const spent = this.ledger.pruneSpent(height - ctx.limits.spentOutputDepth)
    ctx.persist([...ctx.voting.settle(), ...spent.ops], false)
    ctx.fetching.recheck()
    this.#sweep()
  }

  /**
   * Forgets the transactions nothing needs any more — not in the mempool, not decided here, not
   * waiting as an orphan, not held or sealed for a handoff (a confirmed one is none of these) —
   * with the wallets waiting for them, their votes and decoded certificate; then votes on
   * transactions that never arrived and stale request marks. Runs after every commit, on the
   * expiry timer, and after any event that doubled the known transactions since the last sweep.
   */
  #sweep(): void {
    const ctx = this.#ctx
    const mempool = this.ledger.mempool
    // forEach, not for-of over entries: no [key, value] pair allocated per transaction.
    ctx.knownTxs().forEach((known, id) => {
      if (
        mempool.get(known.txid) !== undefined ||
        ctx.voting.has(id) ||
        ctx.fetching.holds(id) ||
        ctx.epochs.holds(id)
      )
        return
      ctx.forget(id)
      ctx.finality.forget(id, known.txid)
      ctx.voting.forget(id)
    })
    ctx.finality.sweep()
    ctx.fetching.sweep()
    this.#sweepAt = 2 * ctx.knownSize().count + SWEEP_SLACK
  }

  /**
   * Entry counts (and bytes) of every map this engine keeps: the figures the bounds of limits.ts
   * hold down, for tests and the daemon's metrics.
   */
  stateSizes(): StateSizes {
    const ctx = this.#ctx
    const known = ctx.knownSize()
    let subscribers = 0
    for (const s of ctx.subscribers.values()) subscribers += s.size
    const { utxos, mempool } = this.ledger
    return {
      'known.txs': known.count,
      'known.bytes': known.bytes,
      'known.subscribers': subscribers,
      ...ctx.voting.sizes(),
      ...ctx.fetching.sizes(),
      ...ctx.finality.sizes(),
      ...ctx.epochs.sizes(),
      ...(ctx.chain?.sizes() ?? {}),
      'ledger.utxos': utxos.size,
      'ledger.spent': utxos.spent,
      'ledger.mempool': mempool.count,
      'ledger.mempoolBytes': mempool.bytes,
      'ledger.certificates': this.ledger.certificates,
    }
  }
}
