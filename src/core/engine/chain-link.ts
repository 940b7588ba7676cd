/**
 * The engine's side of block production: it owns the node's `Chain`, gives it a query-only view
 * of the engine, and carries out what each chain call returns. Effects (sends, writes, timers)
 * and vote leaves are carried out at once; a commit, the chain's own proposal and buffered votes
 * go on the loopback queue, so the engine acts on them after the current event — never inside the
 * handler that produced them (docs/ARCHITECTURE.md §2.2).
 */
import type { Block } from '../consensus/block.ts'
import type { BlockCertificate } from '../consensus/block-certificate.ts'
import type { LockReport } from '../consensus/lock-report.ts'
import type { Proposal } from '../consensus/proposal.ts'
import type { VoteBatch } from '../consensus/vote-batch.ts'
import type { KeyPair, Signer } from '../crypto/ed25519.ts'
import type { LtHash } from '../ledger/lthash.ts'
import { txidKey } from '../ledger/map-keys.ts'
import type { Transaction } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import { Chain, type ChainConfig } from './chain.ts'
import type { ChainOutput, ChainView } from './chain-io.ts'
import type { ChainTip, StoredBlockVote } from './chain-store.ts'
import type { EngineContext } from './context.ts'
import type { PeerId } from './messages.ts'

export class ChainLink {
  readonly #ctx: EngineContext
  readonly #chain: Chain

  constructor(
    ctx: EngineContext,
    key: KeyPair | undefined,
    signer: Signer | undefined,
    config: ChainConfig,
    tip: ChainTip,
    utxos: LtHash,
  ) {
    this.#ctx = ctx
    const epochs = () => ctx.epochs
    const view: ChainView = {
      get committee() {
        return epochs().committee
      },
      get registry() {
        return epochs().registry
      },
      get isVoter() {
        return epochs().isVoter
      },
      get voters() {
        return epochs().voters
      },
      self: ctx.self,
      followers: ctx.followers,
      reportedAt: (height) => epochs().reportedAt(height),
      ledger: ctx.ledger,
      key,
      signer,
      genesisHash: ctx.genesisHash,
      now: () => ctx.now,
      certificateOf: (txid) => ctx.certificateOf(txid),
      isFinal: (txid) => ctx.isFinal(txid),
      limits: ctx.limits,
    }
    this.#chain = new Chain(view, config, tip, utxos)
  }

  get tip(): ChainTip {
    return this.#chain.tip
  }

  /** A copy of the chain's UTXO-set state after the tip. */
  get utxoState(): LtHash {
    return this.#chain.utxoState
  }

  sizes(): Record<string, number> {
    return this.#chain.sizes()
  }

  inclusion(txid: Txid): { block: Block; certificate: BlockCertificate } | undefined {
    return this.#chain.inclusion(txid)
  }

  start(ownVotes: readonly StoredBlockVote[]): void {
    this.#carryOut(this.#chain.start(ownVotes))
  }

  onTimer(id: string): void {
    this.#carryOut(this.#chain.onTimer(id))
  }

  /** A proposal: the certificates it carries are applied first, so its transactions are final. */
  onProposal(proposal: Proposal, from: PeerId): void {
    const ctx = this.#ctx
    const byTxid = new Map(
      proposal.block.transactions.map((tx) => [txidKey(ctx.knownOf(tx).txid), tx]),
    )
    for (const c of proposal.certificates) {
      const tx = byTxid.get(txidKey(c.txid))
      if (tx === undefined || ctx.isFinal(c.txid)) continue
      // A certificate that does not verify makes the proposal invalid: it costs the sender.
      const error = ctx.finality.adopt(tx, c)
      if (error !== null) return ctx.reject(from, error)
    }
    this.#carryOut(this.#chain.onProposal(proposal, from))
  }

  onBatch(batch: VoteBatch): void {
    this.#carryOut(this.#chain.onBatch(batch))
  }

  onCommit(block: Block, certificate: BlockCertificate, from: PeerId): void {
    this.#carryOut(this.#chain.onCommit(block, certificate, from))
  }

  onRequest(height: number, from: PeerId): void {
    this.#carryOut(this.#chain.onRequest(height, from))
  }

  onLockReport(report: LockReport, txs: readonly Transaction[], from: PeerId): void {
    for (const tx of txs) this.#ctx.knownOf(tx)
    this.#carryOut(this.#chain.onLockReport(report, txs, from))
  }

  behind(peer: PeerId): void {
    this.#carryOut(this.#chain.behind(peer))
  }

  #carryOut(outputs: readonly ChainOutput[]): void {
    const ctx = this.#ctx
    for (const o of outputs) {
      switch (o.type) {
        case 'send':
          ctx.send(o.to, o.message)
          break
        case 'setTimer':
        case 'alarm':
          ctx.emit(o)
          break
        case 'persist':
          ctx.persist(o.ops, o.sync)
          if (o.moved !== undefined) ctx.outputsMoved(o.moved)
          break
        case 'vote':
          ctx.voting.enqueue(o.leaf, o.ops)
          break
        case 'seal':
          ctx.epochs.seal(o.height)
          break
        case 'committed':
          ctx.loopback.push({ kind: 'committed', commit: o })
          break
        case 'penalize':
          ctx.reject(o.peer, o.error)
          break
        case 'replay':
          ctx.loopback.push({ kind: 'chainBatch', batch: o.batch })
          break
      }
    }
  }
}
