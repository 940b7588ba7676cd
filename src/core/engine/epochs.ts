/**
 * Epochs and the committee handoff for one node: the registry after its tip, who votes now, this
 * node's seal of the epoch and its lock report, and deciding anew when a committee change commits.
 * Invariants:
 *  - Below the minimum committee this node does not vote (finality halts rather than run without
 *    fault tolerance).
 *  - Before its first prevote for a committee-changing block a member durably seals the epoch and
 *    only then sends its lock report; after sealing it signs no Accept of that epoch outside the
 *    report (`sealBars`), also after a restart (the seal is a store record).
 *  - In the new epoch, carried transactions are accepted again for the same inputs; nothing else
 *    may take a carried input (consensus/epoch-rule.ts).
 * docs/ARCHITECTURE.md §4 explains the handoff; docs/PROTOCOL.md §18 gives its rules.
 */
import type { Committee } from '../consensus/committee.ts'
import { type EpochRuleLookups, epochBar } from '../consensus/epoch-rule.ts'
import { signLockReport } from '../consensus/lock-report.ts'
import { type ConfirmedTx, Registry, type RegistryState } from '../consensus/registry.ts'
import { NO_CONFLICT } from '../consensus/vote-leaf.ts'
import { bytesToHex } from '../encoding/bytes.ts'
import { TimeCoinError } from '../errors.ts'
import { txidKey } from '../ledger/map-keys.ts'
import type { Transaction } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import type { EngineContext, KnownTx } from './context.ts'
import type { PeerId } from './messages.ts'
import { type Seal, sealOp } from './seal-store.ts'

export class Epochs {
  readonly #ctx: EngineContext
  /** What the epoch rule asks of this node (transactions it knows, which are confirmed). */
  readonly #lookups: EpochRuleLookups
  #registry: Registry
  #isVoter = false
  #voters: readonly PeerId[] = []
  #voterSet: ReadonlySet<PeerId> = new Set()
  /** This node's seal of the current epoch (handoff), if it sealed. */
  #seal: Seal | null
  #sealed: ReadonlySet<string>
  #sealDurable: boolean
  /** The id of the seal's durable write, while it is in flight. */
  #sealWrite: number | null = null
  /** Transactions this node would accept but may not while sealed: decided in the next epoch. */
  readonly #held = new Set<string>()

  constructor(ctx: EngineContext, registry: Registry, seal: Seal | undefined) {
    this.#ctx = ctx
    this.#lookups = {
      known: (t) => ctx.known(txidKey(t))?.tx,
      confirmed: (t) => ctx.confirmed(t),
    }
    this.#registry = registry
    const current = seal?.epoch === registry.committee.epoch ? seal : null
    this.#seal = current
    this.#sealed = new Set(current?.txids.map(txidKey) ?? [])
    this.#sealDurable = current !== null
  }

  /** The genesis registry, or the one persisted after the tip. */
  static registryOf(
    genesisCommittee: Committee,
    stored: RegistryState | undefined,
    minVoters: number,
    quorum: Committee['quorum'],
  ): Registry {
    return stored !== undefined
      ? new Registry(stored, minVoters, quorum)
      : Registry.genesis(
          genesisCommittee.members.map((m) => ({ ...m, collateral: null })),
          minVoters,
          genesisCommittee.epoch,
          quorum,
        )
  }

  get registry(): Registry {
    return this.#registry
  }

  /** The committee voting now (C_e of the current epoch). */
  get committee(): Committee {
    return this.#registry.committee
  }

  get isVoter(): boolean {
    return this.#isVoter
  }

  /** The voting members' peer ids (this node's own included when it votes). */
  get voters(): readonly PeerId[] {
    return this.#voters
  }

  isMember(peer: PeerId): boolean {
    return this.#voterSet.has(peer)
  }

  /** Voters, role and tally for the registry's current epoch (the previous tally stays). */
  enter(): void {
    const ctx = this.#ctx
    const committee = this.committee
    this.#voters = committee.voters.map((m) => bytesToHex(m.key))
    this.#voterSet = new Set(this.#voters)
    // Below the minimum committee finality halts rather than run without fault tolerance: no
    // member votes (on transactions or blocks) until a committee change brings enough voters.
    this.#isVoter =
      ctx.key !== undefined &&
      (committee.weightOf(ctx.key.publicKey) ?? 0) > 0 &&
      !this.belowMinimum(committee)
    ctx.finality.enterEpoch(committee)
  }

  belowMinimum(committee: Committee): boolean {
    return committee.voters.length < this.#registry.minVoters
  }

  /** Why this epoch forbids accepting `tx` (a named txid or NO_CONFLICT), or null. */
  epochBar(tx: Transaction, txid: Txid): Txid | null {
    return epochBar(tx, txid, this.#registry, this.#lookups)
  }

  /** Whether the seal forbids accepting `txid` in this epoch. */
  sealBars(txid: Txid): boolean {
    return (
      this.#ctx.rules.sealBeforeHandoff &&
      this.#seal?.epoch === this.committee.epoch &&
      !this.#sealed.has(txidKey(txid))
    )
  }

  /** Keeps `txid` for the next epoch (sealed now); past the bound it is not kept (asked again later). */
  hold(txid: Txid): void {
    if (this.#held.size < this.#ctx.limits.maxHeld) this.#held.add(txidKey(txid))
  }

  /** Whether this part still needs the transaction `id` (held for the next epoch, or sealed). */
  holds(id: string): boolean {
    return this.#held.has(id) || this.#sealed.has(id)
  }

  sizes(): Record<string, number> {
    return { 'epochs.held': this.#held.size, 'epochs.sealed': this.#sealed.size }
  }

  /** This node's report (key and carry set) if it sealed and reported at `height`. */
  reportedAt(
    height: number,
  ): { readonly voterKey: Uint8Array; readonly txids: readonly Txid[] } | undefined {
    const key = this.#ctx.key
    return key !== undefined && this.#seal?.height === height && this.#ctx.rules.sealBeforeHandoff
      ? { voterKey: key.publicKey, txids: this.#seal.txids }
      : undefined
  }

  /**
   * Seals the current epoch for the committee-changing block at `height`: the carry set (every
   * transaction we accepted that no block holds) is written durably, then reported to every
   * member. Called again while the height is open, it re-sends the report.
   */
  seal(height: number): void {
    const ctx = this.#ctx
    if (!this.#isVoter || ctx.signer === undefined) return
    const epoch = this.committee.epoch
    if (this.#seal?.epoch !== epoch) {
      const carry = ctx.voting.acceptedKnown().filter((d) => !ctx.confirmed(d.txid))
      const seal: Seal = { epoch, height, txids: carry.map((d) => d.txid) }
      this.#seal = seal
      this.#sealed = new Set(seal.txids.map(txidKey))
      this.#sealDurable = false
      this.#sealWrite = ctx.nextPersistId()
      return ctx.emit({ type: 'persist', id: this.#sealWrite, ops: [sealOp(seal)], sync: true })
    }
    if (this.#sealDurable && this.#seal.height === height) this.#sendReport()
  }

  /** Write `id` is durable: if it was the seal, the report may leave now. */
  onPersisted(id: number): boolean {
    if (id !== this.#sealWrite) return false
    this.#sealWrite = null
    this.#sealDurable = true
    this.#sendReport()
    return true
  }

  #sendReport(): void {
    const ctx = this.#ctx
    const seal = this.#seal
    if (seal === null || ctx.signer === undefined) return
    const report = signLockReport(seal, ctx.signer, ctx.genesisHash)
    const txs = seal.txids.map((t) => ctx.known(txidKey(t))?.tx)
    if (txs.some((tx) => tx === undefined)) return
    const message = { type: 'LockReport' as const, report, txs: txs as Transaction[] }
    // Every member, this node included (its own copy arrives through the loopback queue).
    for (const peer of this.#voters) ctx.send(peer, message)
  }

  /**
   * A block committed. When it changed the committee: the new epoch's voters and tally, the
   * carried transactions locked and accepted again, every pending or held transaction decided
   * anew for this epoch, and votes that arrived early replayed.
   */
  advance(registry: Registry, changed: boolean, carried: readonly ConfirmedTx[]): void {
    const ctx = this.#ctx
    this.#registry = registry
    if (!changed) return
    this.enter()
    this.#seal = null
    this.#sealed = new Set()
    this.#sealDurable = false
    this.#sealWrite = null
    const again = new Map<string, KnownTx>()
    for (const { tx } of carried) {
      const known = ctx.knownOf(tx)
      again.set(txidKey(known.txid), known)
    }
    for (const e of ctx.ledger.mempool.entries())
      if (e.status === 'pending') again.set(txidKey(e.txid), ctx.remember(e))
    for (const id of this.#held) {
      const known = ctx.known(id)
      if (known !== undefined) again.set(id, known)
    }
    this.#held.clear()
    for (const known of again.values()) this.reconsider(known)
    ctx.finality.replayNextEpoch()
  }

  /** Decides `known` in the new epoch (a decision of an older epoch binds no longer). */
  reconsider(known: KnownTx): void {
    const ctx = this.#ctx
    const { txid } = known
    const epoch = this.committee.epoch
    if (!this.#isVoter || ctx.voting.decisionOf(txid)?.epoch === epoch) return
    if (ctx.confirmed(txid)) return
    const barred = this.epochBar(known.tx, txid)
    if (barred !== null)
      return ctx.voting.vote({ kind: 'reject', txid, epoch, conflictingTxid: barred }, [])
    const pending = ctx.ledger.mempool.get(txid)
    const final = ctx.isFinal(txid)
    if (pending === undefined && !final) return ctx.voting.decide(known, null)
    // Final here, or locked here for it: accept again in this epoch.
    let check: ReturnType<EngineContext['ledger']['checkSpend']> | null = null
    try {
      check = final ? null : ctx.ledger.checkSpend(known.tx, txid)
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      return ctx.voting.vote({ kind: 'reject', txid, epoch, conflictingTxid: NO_CONFLICT }, [])
    }
    if (check?.status === 'conflict')
      return ctx.voting.vote({ kind: 'reject', txid, epoch, conflictingTxid: check.txid }, [])
    if (check?.status === 'missing') return
    const ops = pending?.status === 'pending' ? ctx.ledger.markVoted(txid).ops : []
    ctx.voting.vote({ kind: 'accept', txid, epoch }, ops)
    if (pending?.status === 'pending') ctx.fetching.armRetry(txid)
  }
}
