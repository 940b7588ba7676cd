/**
 * What the parts of one engine share while it handles one event: the node's identity and keys,
 * the ledger, the clock reading of this event, the effects emitted so far, the loopback queue,
 * and the transactions it knows. The parts (voting, fetching, finality, epochs, the chain link)
 * reach each other through it.
 *
 * Invariants kept here:
 *  - Effects leave in emission order; a persist gets a fresh id, answered by one `persisted` event.
 *  - A message to this node itself is never handled inside the handler that sent it: it goes on
 *    the loopback queue, which the engine drains after the current event (docs/ARCHITECTURE.md §2.2).
 *  - Every transaction object is hashed once (txid and size remembered per object).
 */
import type { FinalityCertificate } from '../consensus/certificate.ts'
import type { ConsensusRules } from '../consensus/rules.ts'
import type { VoteBatch } from '../consensus/vote-batch.ts'
import type { KeyPair, Signer } from '../crypto/ed25519.ts'
import { equalBytes } from '../encoding/bytes.ts'
import type { TimeCoinError } from '../errors.ts'
import type { Ledger } from '../ledger/ledger.ts'
import { txidKey } from '../ledger/map-keys.ts'
import type { UtxoEntry, UtxoStateKind } from '../ledger/utxo-state.ts'
import { computeTxid, type Transaction, transactionSize } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import type { BatchOp } from '../storage/store.ts'
import type { ChainCommit } from './chain-io.ts'
import type { ChainLink } from './chain-link.ts'
import type { Epochs } from './epochs.ts'
import type { Effect } from './events.ts'
import type { Fetching } from './fetching.ts'
import type { Finality } from './finality.ts'
import type { EngineLimits } from './limits.ts'
import type { Message, PeerId } from './messages.ts'
import type { Voting } from './voting.ts'

export interface KnownTx {
  readonly tx: Transaction
  readonly txid: Txid
  readonly size: number
}

/** Work queued for after the current event (never run inside the handler that queued it). */
export type Loopback =
  /** A message this node sent to itself (its own proposal, lock report or vote batch). */
  | { readonly kind: 'self'; readonly message: Message }
  /** A block committed here: enter its registry (and epoch, if it changed the committee). */
  | { readonly kind: 'committed'; readonly commit: ChainCommit }
  /** Block votes buffered by the chain until their height opened. */
  | { readonly kind: 'chainBatch'; readonly batch: VoteBatch }

/** What the engine hands its context once: identity, keys, ledger, rules and timings. */
export type EngineSettings = Pick<
  EngineContext,
  | 'ledger'
  | 'genesisHash'
  | 'key'
  | 'signer'
  | 'self'
  | 'rules'
  | 'followers'
  | 'retryMinMs'
  | 'retryMaxMs'
  | 'expireEveryMs'
  | 'limits'
>

export class EngineContext {
  readonly ledger: Ledger
  readonly genesisHash: Uint8Array
  readonly key: KeyPair | undefined
  readonly signer: Signer | undefined
  readonly self: PeerId
  readonly rules: ConsensusRules
  /** Masternodes that do not vote now but follow the chain: they get every committed block. */
  readonly followers: readonly PeerId[]
  readonly retryMinMs: number
  readonly retryMaxMs: number
  readonly expireEveryMs: number
  /** Every bound on this engine's state (limits.ts). */
  readonly limits: EngineLimits
  /** The engine clock of the event being handled (whole milliseconds). */
  now = 0
  out: Effect[] = []
  readonly loopback: Loopback[] = []
  /** Wallets (and other non-members) waiting for a transaction's votes and certificate. */
  readonly subscribers = new Map<string, Set<PeerId>>()
  readonly #txs = new Map<string, KnownTx>()
  /** Signed bytes of the known transactions together. */
  #txBytes = 0
  readonly #byObject = new WeakMap<Transaction, KnownTx>()
  #nextPersistId = 1
  // The parts, wired once by the engine's constructor.
  voting!: Voting
  fetching!: Fetching
  finality!: Finality
  epochs!: Epochs
  chain: ChainLink | null = null

  constructor(settings: EngineSettings) {
    this.ledger = settings.ledger
    this.genesisHash = settings.genesisHash
    this.key = settings.key
    this.signer = settings.signer
    this.self = settings.self
    this.rules = settings.rules
    this.followers = settings.followers
    this.retryMinMs = settings.retryMinMs
    this.retryMaxMs = settings.retryMaxMs
    this.expireEveryMs = settings.expireEveryMs
    this.limits = settings.limits
  }

  // ── effects ───────────────────────────────────────────────────────────────

  emit(effect: Effect): void {
    this.out.push(effect)
  }

  /** Sends `message`; to this node itself it goes on the loopback queue instead. */
  send(to: PeerId, message: Message): void {
    if (to === this.self) this.loopback.push({ kind: 'self', message })
    else this.out.push({ type: 'send', to, message })
  }

  nextPersistId(): number {
    return this.#nextPersistId++
  }

  persist(ops: readonly BatchOp[], sync: boolean): void {
    if (ops.length === 0) return
    // Decisions still queued for the vote pipeline's write must not land after this one with
    // older values of the same keys (vote-pipeline.ts).
    this.voting.supersede(ops)
    this.out.push({ type: 'persist', id: this.#nextPersistId++, ops, sync })
  }

  /**
   * One `utxoState` effect per output a ledger transition created or moved, with its proof where
   * there is one: a created output carries its creator's certificate (or the block height that
   * confirmed it), a final spend the spender's certificate, a confirmed spend its height.
   */
  outputsMoved(moved: readonly UtxoEntry[]): void {
    // A transaction's spends and outputs come together and name the same txid object: look its
    // certificate up once for all of them.
    let lastBy: Txid | undefined
    let lastCertificate: FinalityCertificate | undefined
    // Each effect is built once, in its final shape (no spread copies per output).
    for (const { outpoint, output, state, height } of moved) {
      if (state.kind === 'Confirmed') {
        this.out.push({ type: 'utxoState', outpoint, output, state, height: state.height })
        continue
      }
      if (state.kind === 'Unspent' && height !== null) {
        this.out.push({ type: 'utxoState', outpoint, output, state, height })
        continue
      }
      const by =
        state.kind === 'SpentFinalized'
          ? state.txid
          : state.kind === 'Unspent'
            ? outpoint.txid
            : undefined
      if (by !== undefined && by !== lastBy) {
        lastBy = by
        lastCertificate = this.certificateOf(by)
      }
      const certificate = by === undefined ? undefined : lastCertificate
      this.out.push(
        certificate === undefined
          ? { type: 'utxoState', outpoint, output, state }
          : { type: 'utxoState', outpoint, output, state, certificate },
      )
    }
  }

  /**
   * `peer` sent what `error` describes: a `penalize` effect with the action the error carries.
   * An error without an action is not the peer's fault (we are behind, it is early, a duplicate):
   * ignored, at no cost to the peer (Lodestar's IGNORE against REJECT).
   */
  reject(peer: PeerId, error: TimeCoinError): void {
    const action = error.peerAction
    if (action === undefined) return
    this.out.push({ type: 'penalize', peer, action, code: error.code, reason: error.message })
  }

  // ── known transactions ────────────────────────────────────────────────────

  /** Txid and size of a transaction object, computed once per object. */
  knownOf(tx: Transaction): KnownTx {
    let known = this.#byObject.get(tx)
    if (known === undefined) {
      known = { tx, txid: computeTxid(tx), size: transactionSize(tx) }
      this.#byObject.set(tx, known)
    }
    // Known again if a sweep forgot it since this object was last seen.
    return this.remember(known)
  }

  remember(known: KnownTx): KnownTx {
    const id = txidKey(known.txid)
    const existing = this.#txs.get(id)
    if (existing !== undefined) return existing
    this.#txs.set(id, known)
    this.#txBytes += known.size
    return known
  }

  known(id: string): KnownTx | undefined {
    return this.#txs.get(id)
  }

  /** Every known transaction by map key (read-only: `forget` is how one leaves). */
  knownTxs(): ReadonlyMap<string, KnownTx> {
    return this.#txs
  }

  /** Forgets a known transaction and the wallets waiting for it. */
  forget(id: string): void {
    const known = this.#txs.get(id)
    if (known === undefined) return
    this.#txs.delete(id)
    this.#txBytes -= known.size
    this.subscribers.delete(id)
  }

  /** How many transactions are known, and their signed bytes. */
  knownSize(): { readonly count: number; readonly bytes: number } {
    return { count: this.#txs.size, bytes: this.#txBytes }
  }

  // ── queries over the ledger ───────────────────────────────────────────────

  /** Whether `txid` is final here (certificate applied, not yet confirmed, or confirmed). */
  isFinal(txid: Txid): boolean {
    if (this.ledger.mempool.get(txid)?.status === 'finalized') return true
    const kind = this.spentBy(txid)
    return kind === 'SpentFinalized' || kind === 'Confirmed'
  }

  /** Whether a block holds `txid` (its first input is Confirmed by it). */
  confirmed(txid: Txid): boolean {
    return this.spentBy(txid) === 'Confirmed'
  }

  /** The state of a known transaction's first input, if that state names this transaction. */
  spentBy(txid: Txid): UtxoStateKind | undefined {
    const first = this.#txs.get(txidKey(txid))?.tx.inputs[0]
    const state = first === undefined ? undefined : this.ledger.utxos.get(first.outpoint)?.state
    return state !== undefined && 'txid' in state && equalBytes(state.txid, txid)
      ? state.kind
      : undefined
  }

  certificateOf(txid: Txid): FinalityCertificate | undefined {
    return this.finality.certificateOf(txid)
  }

  /** `peer` waits for `id`'s votes and certificate (a few wallets per transaction at most). */
  subscribe(id: string, peer: PeerId): void {
    const set = this.subscribers.get(id) ?? new Set<PeerId>()
    if (set.size < this.limits.maxSubscribersPerTx) set.add(peer)
    this.subscribers.set(id, set)
  }
}
