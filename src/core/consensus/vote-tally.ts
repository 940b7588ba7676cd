/**
 * Accept and Reject votes per transaction for one epoch. Each Accept is kept as its batch and leaf
 * index; its certificate entry (header, signature, Merkle path) is built only when a certificate
 * is assembled. At most one entry per voter per txid (the first seen wins; a voter's later batch
 * for the same txid adds nothing). Rejects are advisory and never bind anyone.
 */
import { bytes32Key, keyId } from '../encoding/bytes.ts'
import type { Txid } from '../primitives/txid.ts'
import type { FinalityCertificate } from './certificate.ts'
import type { Committee } from './committee.ts'
import { certificateEntry } from './quorum-proof.ts'
import type { VoteBatch } from './vote-batch.ts'

interface TxVotes {
  readonly txid: Txid
  /** voter → the batch and leaf index of its Accept (its certificate entry, built on demand). */
  readonly accepts: Map<string, { readonly batch: VoteBatch; readonly index: number }>
  /** voter → the conflicting txid its Reject names; made on the first Reject (they are rare). */
  rejects: Map<string, Txid> | null
  acceptWeight: number
  rejectWeight: number
}

export interface TallyUpdate {
  /** Txids whose Accept weight changed. */
  readonly accepted: readonly Txid[]
  /** Their in-memory map keys (`txidKey`), in the same order: callers need not build them again. */
  readonly acceptedKeys: readonly string[]
  /** Txids that have a Reject from someone. */
  readonly rejected: readonly Txid[]
}

/** Batch sequence numbers remembered per voter, to skip duplicate batches cheaply. */
const SEEN_PER_VOTER = 4096

export class VoteTally {
  readonly committee: Committee
  readonly #byTx = new Map<string, TxVotes>()
  /** voter → seqs already counted (duplicates of a batch change nothing). */
  readonly #seen = new Map<string, Set<number>>()

  constructor(committee: Committee) {
    this.committee = committee
  }

  /**
   * Counts a batch whose signature and root were already verified. Batches of another epoch or
   * from non-members are ignored (returns null).
   */
  add(batch: VoteBatch): TallyUpdate | null {
    const h = batch.header
    if (h.epoch !== this.committee.epoch) return null
    const weight = this.committee.weightOf(h.voterKey)
    if (weight === undefined) return null
    const voter = keyId(h.voterKey)
    const seqs = this.#seen.get(voter) ?? new Set<number>()
    this.#seen.set(voter, seqs)
    if (seqs.has(h.seq)) return null
    seqs.add(h.seq)
    // Only an optimisation (an entry per voter and txid is counted once anyway), so keep it small.
    if (seqs.size > SEEN_PER_VOTER) seqs.delete(seqs.values().next().value!)
    const accepted: Txid[] = []
    const acceptedKeys: string[] = []
    const rejected: Txid[] = []
    batch.leaves.forEach((leaf, index) => {
      if (leaf.kind === 'txAccept') {
        const id = bytes32Key(leaf.txid)
        const v = this.#votes(leaf.txid, id)
        if (v.accepts.has(voter)) return
        v.accepts.set(voter, { batch, index })
        v.acceptWeight += weight
        accepted.push(leaf.txid)
        acceptedKeys.push(id)
      } else if (leaf.kind === 'txReject') {
        const v = this.#votes(leaf.txid, bytes32Key(leaf.txid))
        v.rejects ??= new Map()
        if (v.rejects.has(voter)) return
        v.rejects.set(voter, leaf.conflictingTxid)
        v.rejectWeight += weight
        rejected.push(leaf.txid)
      }
    })
    return { accepted, acceptedKeys, rejected }
  }

  /** Transactions with votes counted here. */
  get size(): number {
    return this.#byTx.size
  }

  /** `id`: the txid's map key, when the caller has it already. */
  acceptWeight(txid: Txid, id = bytes32Key(txid)): number {
    return this.#byTx.get(id)?.acceptWeight ?? 0
  }

  rejectWeight(txid: Txid): number {
    return this.#byTx.get(bytes32Key(txid))?.rejectWeight ?? 0
  }

  /** Voters (hex keys) whose Accept or Reject for `txid` has been counted. */
  votersOf(txid: Txid): Set<string> {
    const v = this.#byTx.get(bytes32Key(txid))
    return new Set([...(v?.accepts.keys() ?? []), ...(v?.rejects?.keys() ?? [])])
  }

  /**
   * A certificate for `txid` once Accept weight reaches the quorum, else null. `id`: the txid's
   * map key, when the caller has it already.
   */
  certificate(txid: Txid, id = bytes32Key(txid)): FinalityCertificate | null {
    const v = this.#byTx.get(id)
    if (v === undefined || !this.committee.isQuorum(v.acceptWeight)) return null
    const entries = [...v.accepts.values()].map(({ batch, index }) =>
      certificateEntry(batch, index),
    )
    return { txid, epoch: this.committee.epoch, entries }
  }

  /** Forgets a transaction's votes (after it is confirmed). */
  forget(txid: Txid): void {
    this.#byTx.delete(bytes32Key(txid))
  }

  #votes(txid: Txid, id: string): TxVotes {
    let v = this.#byTx.get(id)
    if (v === undefined) {
      v = { txid, accepts: new Map(), rejects: null, acceptWeight: 0, rejectWeight: 0 }
      this.#byTx.set(id, v)
    }
    return v
  }
}
