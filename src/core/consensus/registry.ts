/**
 * The masternode registry (docs/PROTOCOL.md §10): which keys vote in which epoch, derived from
 * the chain alone. Registrations and deregistrations confirmed in block h are *pending*; block
 * h + 1 applies them and so changes the committee: epoch e + 1 begins after it. A block with
 * pending changes is therefore known to be committee-changing before anyone proposes it, which
 * is what lets every member seal and report its locks in time (handoff, docs/PROTOCOL.md §18).
 *
 * Collateral is locked from the registration's confirmation while registered and for
 * `COLLATERAL_UNLOCK_EPOCHS` epochs after the deregistration takes effect.
 *
 * Immutable: `afterBlock` returns the next registry; the old one stays valid (the engine keeps
 * the previous epoch's committee for certificates of that epoch).
 */
import { isStrongPublicKey } from '../crypto/public-key-rule.ts'
import { bytesToHex, equalBytes } from '../encoding/bytes.ts'
import { ConsensusError, TimeCoinError } from '../errors.ts'
import { type OutPoint, outPointToString } from '../primitives/outpoint.ts'
import { TIERS } from '../primitives/tier.ts'
import type { Transaction, TxOutput } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import {
  Committee,
  checkMemberWeight,
  MAX_COMMITTEE_SIZE,
  type QuorumRule,
  quorumThreshold,
} from './committee.ts'
import { slashBounty, slashOffender } from './slashing.ts'

/** Epochs a deregistered member's collateral stays locked after its removal takes effect. */
export const COLLATERAL_UNLOCK_EPOCHS = 2
/** Epoch from which burned collateral would unlock: never. */
export const NEVER = 0xffff_ffff

export interface MemberRecord {
  readonly key: Uint8Array
  readonly weight: number
  /** The locked collateral output; null for genesis members granted weight directly. */
  readonly collateral: OutPoint | null
}

export type MembershipChange =
  | { readonly kind: 'add'; readonly member: MemberRecord }
  | {
      readonly kind: 'remove'
      readonly key: Uint8Array
      /** Slashed: the collateral never unlocks. */
      readonly burn: boolean
      /** The reporter's bounty, paid in the reward of the block that applies the removal. */
      readonly bounty: TxOutput | null
    }

export interface UnlockingCollateral {
  readonly outpoint: OutPoint
  /** First epoch in which the output may be spent. */
  readonly epoch: number
}

export interface RegistryState {
  readonly epoch: number
  readonly members: readonly MemberRecord[]
  /** The committee of epoch − 1 (certificates of the previous epoch stay valid). */
  readonly previous: readonly MemberRecord[] | null
  /** Changes confirmed, applied by the next block. */
  readonly pending: readonly MembershipChange[]
  readonly unlocking: readonly UnlockingCollateral[]
  /** The first height voted on by this epoch's committee (the proposer schedule starts there). */
  readonly firstHeight: number
  /**
   * Inputs carried by committee-changing blocks, each with the one transaction it was carried
   * for, until a block confirms that transaction: no member accepts another spender.
   */
  readonly carried: readonly CarriedLock[]
  /**
   * Inputs carried with conflicting transactions: no Accept for any spender, ever; only a
   * certificate of the epoch that accepted one can still finalize it.
   */
  readonly frozen: readonly OutPoint[]
  /** Slashing bounties paid since genesis (minted in block rewards; supply accounting). */
  readonly bountiesPaid: bigint
}

export interface CarriedLock {
  readonly outpoint: OutPoint
  readonly txid: Txid
}

export interface ConfirmedTx {
  readonly tx: Transaction
  readonly txid: Txid
}

function toCommittee(
  quorum: QuorumRule,
  epoch: number,
  members: readonly MemberRecord[],
): Committee {
  return new Committee(
    epoch,
    members.map((m) => ({ key: m.key, weight: m.weight })),
    quorum,
  )
}

export class Registry {
  readonly state: RegistryState
  readonly committee: Committee
  readonly previous: Committee | null
  /** Voting members below which a deregistration is not applied (finality would halt). */
  readonly minVoters: number
  readonly #quorum: QuorumRule
  #next: Committee | undefined
  readonly #locked: ReadonlyMap<string, number>
  readonly #carried: ReadonlyMap<string, Txid>
  readonly #frozen: ReadonlySet<string>

  constructor(state: RegistryState, minVoters: number, quorum: QuorumRule = quorumThreshold) {
    this.state = state
    this.minVoters = minVoters
    this.#quorum = quorum
    this.committee = toCommittee(quorum, state.epoch, state.members)
    this.previous =
      state.previous === null || state.epoch === 0
        ? null
        : toCommittee(quorum, state.epoch - 1, state.previous)
    // A pending member's weight is bounded now, not when the next committee is built from it.
    for (const c of state.pending) if (c.kind === 'add') checkMemberWeight(c.member.weight)
    const locked = new Map<string, number>()
    for (const m of state.members)
      if (m.collateral !== null) locked.set(outPointToString(m.collateral), NEVER)
    for (const c of state.pending)
      if (c.kind === 'add' && c.member.collateral !== null)
        locked.set(outPointToString(c.member.collateral), NEVER)
    for (const u of state.unlocking) locked.set(outPointToString(u.outpoint), u.epoch)
    this.#locked = locked
    this.#carried = new Map(state.carried.map((c) => [outPointToString(c.outpoint), c.txid]))
    this.#frozen = new Set(state.frozen.map(outPointToString))
  }

  /** The registry of a chain's genesis: `members` vote in epoch 0. */
  static genesis(
    members: readonly MemberRecord[],
    minVoters: number,
    epoch = 0,
    quorum: QuorumRule = quorumThreshold,
  ): Registry {
    const state = { epoch, members, previous: null, pending: [], unlocking: [] }
    const handoff = { firstHeight: 1, carried: [], frozen: [], bountiesPaid: 0n }
    return new Registry({ ...state, ...handoff }, minVoters, quorum)
  }

  get epoch(): number {
    return this.state.epoch
  }

  /** Whether the next block changes the committee (its voters must seal and report first). */
  get changing(): boolean {
    return this.state.pending.length > 0
  }

  /** The committee of `epoch` if this registry still knows it (the current or previous one). */
  committeeOf(epoch: number): Committee | undefined {
    if (epoch === this.committee.epoch) return this.committee
    if (epoch === this.previous?.epoch) return this.previous
    return undefined
  }

  /** Whether `outpoint` is collateral that may not be spent now. */
  isCollateralLocked(outpoint: OutPoint): boolean {
    return this.spendRule(outpoint) === 'collateral'
  }

  /**
   * What the chain says about spending `outpoint` in this epoch: 'collateral' (locked), 'frozen'
   * (carried with conflicting transactions), the txid it was carried for (any other spender is a
   * conflict), or undefined when nothing restricts it. One lookup key per call: members check
   * every input of every transaction they vote on.
   */
  spendRule(outpoint: OutPoint): 'collateral' | 'frozen' | Txid | undefined {
    if (this.#locked.size === 0 && this.#frozen.size === 0 && this.#carried.size === 0) return
    const key = outPointToString(outpoint)
    const until = this.#locked.get(key)
    if (until !== undefined && this.state.epoch < until) return 'collateral'
    return this.#frozen.has(key) ? 'frozen' : this.#carried.get(key)
  }

  isMember(key: Uint8Array): boolean {
    return this.state.members.some((m) => equalBytes(m.key, key))
  }

  /**
   * The registry after a block: first the pending changes are applied (the block is then
   * committee-changing and the epoch advances), then the block's own special transactions
   * become the new pending changes. Registrations of a key that is (or will be) registered, or
   * that would exceed the committee size, and removals (deregistrations, slashings) that would
   * take the voting members below the minimum, have no effect (the transactions themselves stay
   * valid payments).
   */
  afterBlock(
    height: number,
    txs: readonly ConfirmedTx[],
    carried: readonly ConfirmedTx[],
  ): { registry: Registry; changed: boolean } {
    const changed = this.changing
    const next = changed ? { ...this.#applyPending(), firstHeight: height + 1 } : this.state
    // Carried locks last until a block confirms their transaction (safety needs them in every
    // later epoch, not just the next: a certificate of the old epoch may surface late).
    const confirmed = new Set(txs.map((t) => bytesToHex(t.txid)))
    const kept = next.carried.filter((c) => !confirmed.has(bytesToHex(c.txid)))
    const locks = changed
      ? handoff(kept, next.frozen, carried)
      : { carried: kept, frozen: next.frozen }
    const pending = collectChanges(next, txs, this.minVoters, (e) => this.committeeOf(e))
    const unlocking = next.unlocking.filter((u) => u.epoch > next.epoch)
    return {
      registry: new Registry(
        { ...next, ...locks, pending, unlocking },
        this.minVoters,
        this.#quorum,
      ),
      changed,
    }
  }

  /** Bounties the next block's reward must pay (slashings it applies). */
  pendingBounties(): TxOutput[] {
    return this.state.pending.flatMap((c) => (c.kind === 'remove' && c.bounty ? [c.bounty] : []))
  }

  /** The committee that will vote after the next block (computed once: the registry is immutable). */
  nextCommittee(): Committee {
    this.#next ??= this.changing
      ? toCommittee(this.#quorum, this.state.epoch + 1, this.#applyPending().members)
      : this.committee
    return this.#next
  }

  #applyPending(): RegistryState {
    const epoch = this.state.epoch + 1
    const members = new Map(this.state.members.map((m) => [bytesToHex(m.key), m]))
    const unlocking = [...this.state.unlocking]
    let bountiesPaid = this.state.bountiesPaid
    for (const c of this.state.pending) {
      if (c.kind === 'add') {
        members.set(bytesToHex(c.member.key), c.member)
        continue
      }
      const id = bytesToHex(c.key)
      const gone = members.get(id)
      members.delete(id)
      if (c.bounty !== null) bountiesPaid += c.bounty.value
      if (gone?.collateral != null) {
        unlocking.push({
          outpoint: gone.collateral,
          epoch: c.burn ? NEVER : epoch + COLLATERAL_UNLOCK_EPOCHS,
        })
      }
    }
    if (epoch > NEVER - 1) throw new ConsensusError('COMMITTEE_INVALID', 'epoch overflow')
    return {
      ...this.state,
      epoch,
      members: [...members.values()],
      previous: this.state.members,
      pending: [],
      unlocking,
      bountiesPaid,
    }
  }
}

/**
 * The locks after a committee-changing block: every input of a carried transaction, for that
 * transaction, added to the locks carried before; an input carried for two different
 * transactions joins the frozen set instead.
 */
function handoff(
  before: readonly CarriedLock[],
  frozenBefore: readonly OutPoint[],
  carried: readonly ConfirmedTx[],
): { carried: CarriedLock[]; frozen: OutPoint[] } {
  const locks = new Map(before.map((c) => [outPointToString(c.outpoint), c]))
  const frozen = new Map(frozenBefore.map((o) => [outPointToString(o), o]))
  for (const { tx, txid } of carried) {
    for (const { outpoint } of tx.inputs) {
      const key = outPointToString(outpoint)
      const held = locks.get(key)
      if (held === undefined && !frozen.has(key)) locks.set(key, { outpoint, txid })
      else if (held !== undefined && !equalBytes(held.txid, txid)) frozen.set(key, outpoint)
    }
  }
  for (const key of frozen.keys()) locks.delete(key)
  return { carried: [...locks.values()], frozen: [...frozen.values()] }
}

/** The membership changes made by the special transactions of one block, in block order. */
function collectChanges(
  state: RegistryState,
  txs: readonly ConfirmedTx[],
  minVoters: number,
  committeeOf: (epoch: number) => Committee | undefined,
): MembershipChange[] {
  const records = new Map(state.members.map((m) => [bytesToHex(m.key), m]))
  const registered = new Map(state.members.map((m) => [bytesToHex(m.key), m.weight]))
  const changes: MembershipChange[] = []
  const voters = () => [...registered.values()].filter((w) => w > 0).length
  for (const { tx, txid } of txs) {
    const p = tx.payload
    if (p.type === 'register') {
      const id = bytesToHex(p.masternodeKey)
      if (registered.has(id) || registered.size >= MAX_COMMITTEE_SIZE) continue
      // Refused as a transaction already (TX_WEAK_KEY); never let one reach a committee.
      if (!isStrongPublicKey(p.masternodeKey)) continue
      const member: MemberRecord = {
        key: p.masternodeKey,
        weight: TIERS[p.tier].weight,
        collateral: { txid, vout: p.collateralVout },
      }
      registered.set(id, member.weight)
      records.set(id, member)
      changes.push({ kind: 'add', member })
    } else if (p.type === 'deregister') {
      const id = bytesToHex(p.masternodeKey)
      const weight = registered.get(id)
      if (weight === undefined) continue
      if (weight > 0 && voters() - 1 < minVoters) continue
      registered.delete(id)
      changes.push({ kind: 'remove', key: p.masternodeKey, burn: false, bounty: null })
    } else if (p.type === 'slash') {
      // Judged when voted on; a block may confirm it after its epoch aged out: then no effect.
      let offender: Uint8Array
      try {
        offender = slashOffender(tx, committeeOf)
      } catch (e) {
        if (e instanceof TimeCoinError) continue
        throw e
      }
      const id = bytesToHex(offender)
      const member = records.get(id)
      if (member === undefined || !registered.has(id)) continue
      // Even a proven offender stays while its removal would leave too few voters to go on.
      if (member.weight > 0 && voters() - 1 < minVoters) continue
      registered.delete(id)
      const collateral = member.collateral === null ? 0n : collateralOf(member.weight)
      const bounty =
        collateral > 0n ? { value: slashBounty(collateral), address: p.reporter } : null
      changes.push({ kind: 'remove', key: offender, burn: true, bounty })
    }
  }
  return changes
}

/** The collateral behind a registered weight (each tier has its own weight). */
function collateralOf(weight: number): bigint {
  return (
    Object.values(TIERS).find((t) => t.weight === weight && t.collateral > 0n)?.collateral ?? 0n
  )
}
