/**
 * The light client's proof checks: every output's proof against the committee of its own epoch,
 * and the committees themselves, learnt through committee proofs walked from the genesis
 * committee. Structure is checked here; signatures go out as `verify` commands and come back as
 * verdicts. An item (one output to check) settles with an error or none; `settled` is told each
 * time items may have settled, so the address book applies what is ready, in order.
 *
 * Invariants: a committee is held only once its proof from genesis verified (signatures
 * included); the genesis committee is never dropped, and at most `maxCommittees` others are held
 * (the lowest epochs go first); an item waits for a committee only while its epoch is at most the
 * masternode's (past it, it is refused); at most one committee request is in flight; verdicts for
 * a check asked before a disconnect are ignored.
 */
import { Committee } from '../../consensus/committee.ts'
import { checkCommitteeProof, committeeProofBundle } from '../../consensus/committee-proof.ts'
import { assertVerdicts, type SignatureBundle } from '../../crypto/signature-bundle.ts'
import { PeerAction, TimeCoinError, WalletError } from '../../errors.ts'
import type { WalletUtxo } from '../../protocol/utxo-proofs.ts'
import type { WalletMessage } from '../../protocol/wallet-messages.ts'
import type { WireError } from '../../protocol/wire-fields.ts'
import type { ClientIo } from './light-client-io.ts'
import type { RequestTracker } from './requests.ts'
import { checkUtxoProof, proofEpoch } from './utxo-proof-check.ts'

/** One output to check, then apply. */
export interface Item {
  readonly utxo: WalletUtxo
  /** Checks still outstanding (a committee to learn, signatures to verify). */
  waiting: boolean
  error: TimeCoinError | null
}

export interface ProofCheckerInit {
  readonly genesisHash: Uint8Array
  readonly genesisCommittee: Committee
  readonly maxCommittees: number
  /** Items may have settled: apply what is ready. */
  readonly settled: () => void
}

export class ProofChecker {
  readonly #io: ClientIo
  readonly #requests: RequestTracker
  readonly #genesisHash: Uint8Array
  readonly #maxCommittees: number
  readonly #settled: () => void
  /** Proven committees by epoch: the genesis one and ≤ `maxCommittees` others. */
  readonly #committees = new Map<number, Committee>()
  /** Items waiting for the committee of an epoch, by epoch. */
  readonly #awaiting = new Map<number, Item[]>()
  /** Signature checks out for verification, by verify id. */
  readonly #verifying = new Map<
    number,
    { bundle: SignatureBundle; done: (e: TimeCoinError | null) => void }
  >()
  #nextVerify = 1
  /** The epoch the masternode last said it is at. */
  #serverEpoch = 0
  /** A committee request is in flight. */
  #fetchingCommittees = false

  constructor(io: ClientIo, requests: RequestTracker, init: ProofCheckerInit) {
    this.#io = io
    this.#requests = requests
    this.#genesisHash = init.genesisHash
    this.#maxCommittees = init.maxCommittees
    this.#settled = init.settled
    this.#committees.set(0, init.genesisCommittee)
  }

  /** The highest epoch whose committee is proven here. */
  get epoch(): number {
    return Math.max(...this.#committees.keys())
  }

  committeeOf(epoch: number): Committee | undefined {
    return this.#committees.get(epoch)
  }

  /** The stream closed: checks under way are dropped (their items went with the arrivals). */
  disconnected(): void {
    this.#awaiting.clear()
    this.#verifying.clear()
    this.#fetchingCommittees = false
  }

  // ── outputs ──

  /** Starts checking one output's proof. */
  item(utxo: WalletUtxo): Item {
    const item: Item = { utxo, waiting: false, error: null }
    const epoch = proofEpoch(utxo.proof)
    if (epoch === null) {
      this.#check(item, null)
      return item
    }
    const committee = this.#committees.get(epoch)
    if (committee !== undefined) {
      this.#check(item, committee)
      return item
    }
    item.waiting = true
    const list = this.#awaiting.get(epoch) ?? []
    list.push(item)
    this.#awaiting.set(epoch, list)
    this.#fetchFor(epoch)
    return item
  }

  /** Structure now; signatures through a `verify` command. Settles the item when done. */
  #check(item: Item, committee: Committee | null): void {
    let bundle: SignatureBundle
    try {
      bundle = checkUtxoProof(item.utxo, committee, this.#genesisHash)
    } catch (error) {
      if (!(error instanceof TimeCoinError)) throw error
      item.waiting = false
      item.error = error
      return
    }
    if (bundle.checks.length === 0) {
      item.waiting = false
      return
    }
    item.waiting = true
    this.#verify(bundle, (error) => {
      item.waiting = false
      item.error = error
      this.#settled()
    })
  }

  #verify(bundle: SignatureBundle, done: (error: TimeCoinError | null) => void): void {
    const id = this.#nextVerify++
    this.#verifying.set(id, { bundle, done })
    this.#io.push({ type: 'verify', id, checks: bundle.checks })
  }

  onVerified(id: number, verdicts: readonly boolean[]): void {
    const v = this.#verifying.get(id)
    if (v === undefined) return // asked before a disconnect: its item is gone
    this.#verifying.delete(id)
    let error: TimeCoinError | null = null
    try {
      if (verdicts.length !== v.bundle.checks.length) throw new RangeError('a verdict per check')
      assertVerdicts(v.bundle, verdicts)
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      error = e
    }
    v.done(error)
  }

  // ── committees ──

  /** Asks for the committee proof from `fromEpoch` on (unless one is being fetched). */
  fetchCommittees(fromEpoch: number): void {
    if (this.#fetchingCommittees || !this.#io.connected) return
    this.#fetchingCommittees = true
    this.#requests.send({ kind: 'committee', fromEpoch }, (requestId) => ({
      type: 'CommitteeProofRequest',
      requestId,
      fromEpoch,
    }))
  }

  onCommitteeProof(message: Extract<WalletMessage, { type: 'CommitteeProofAnswer' }>): void {
    const pending = this.#requests.answered(message.requestId, 'committee')
    if (pending === undefined) return
    const { steps } = message
    const reached = pending.fromEpoch + steps.length
    const wrong = (why: string) =>
      this.#io.broken(
        new WalletError(
          'WALLET_PROOF_INVALID',
          `committee proof: ${why}`,
          PeerAction.LowToleranceError,
        ),
      )
    if (message.fromEpoch !== pending.fromEpoch) return wrong('steps from another epoch')
    if (steps.length === 0 && message.currentEpoch > pending.fromEpoch)
      return wrong(`no steps, yet at epoch ${message.currentEpoch}`)
    if (reached > message.currentEpoch) return wrong('steps past the current epoch')
    this.#serverEpoch = message.currentEpoch
    const from = this.#committees.get(pending.fromEpoch)
    if (from === undefined || steps.length === 0) return this.#walked(reached)
    try {
      checkCommitteeProof(from, steps)
    } catch (error) {
      if (!(error instanceof TimeCoinError)) throw error
      return this.#badCommittee(error)
    }
    this.#verify(committeeProofBundle(steps, this.#genesisHash), (error) => {
      if (error !== null) return this.#badCommittee(error)
      let epoch = pending.fromEpoch
      for (const step of steps) {
        epoch++
        if (this.#committees.has(epoch)) continue
        // checkCommitteeProof built this committee from these members: they form one.
        this.#committees.set(epoch, new Committee(epoch, step.members))
        this.#io.emit({ type: 'committee', epoch })
      }
      this.#walked(reached)
    })
  }

  /** The masternode refused the committee request: what waited for a committee is refused. */
  committeeRefused(error: WireError): void {
    this.#fetchingCommittees = false
    this.#refuseAwaiting(
      () =>
        new WalletError(
          'WALLET_PROOF_INVALID',
          `no committee proof: ${error.code}`,
          PeerAction.LowToleranceError,
        ),
    )
  }

  #badCommittee(error: TimeCoinError): void {
    this.#fetchingCommittees = false
    this.#io.emit({ type: 'refused', address: null, outpoint: null, error })
    this.#io.broken(error)
  }

  /**
   * A committee answer is in: what waited for a committee now held is checked, what names an
   * epoch past the masternode's is refused; then older committees are dropped past the bound and
   * the walk goes on — up to the masternode's epoch, or back for a dropped one still awaited.
   */
  #walked(reached: number): void {
    this.#fetchingCommittees = false
    for (const [epoch, items] of [...this.#awaiting]) {
      const committee = this.#committees.get(epoch)
      if (committee === undefined && epoch <= this.#serverEpoch) continue
      this.#awaiting.delete(epoch)
      for (const item of items) {
        if (committee !== undefined) this.#check(item, committee)
        else {
          item.waiting = false
          item.error = new WalletError(
            'WALLET_PROOF_INVALID',
            `a certificate of epoch ${epoch}; the masternode is at epoch ${this.#serverEpoch}`,
            PeerAction.LowToleranceError,
          )
        }
      }
    }
    while (this.#committees.size > this.#maxCommittees + 1) {
      const lowest = Math.min(...[...this.#committees.keys()].filter((e) => e !== 0))
      this.#committees.delete(lowest)
    }
    const top = this.epoch
    if (reached === top && top < this.#serverEpoch) this.fetchCommittees(top)
    else for (const epoch of this.#awaiting.keys()) this.#fetchFor(epoch)
    this.#settled()
  }

  /** Asks for the committees up to `epoch`, from the nearest one held below it. */
  #fetchFor(epoch: number): void {
    let from = 0
    for (const e of this.#committees.keys()) if (e < epoch && e > from) from = e
    this.fetchCommittees(from)
  }

  #refuseAwaiting(error: () => TimeCoinError): void {
    for (const items of this.#awaiting.values())
      for (const item of items) {
        item.waiting = false
        item.error = error()
      }
    this.#awaiting.clear()
    this.#settled()
  }
}
