// The adversarial safety oracle. It sees every signature emitted in a run — honest, Byzantine,
// sent, withheld or lost with a crash — and tries to build two certificates for conflicting
// transactions from them. It also watches what honest nodes and wallets finalized, their alarms,
// and the first time each transaction reached a masternode (for latency figures).
import {
  bytesToHex,
  type Committee,
  certificateEntry,
  committeeHash,
  type Evidence,
  equalBytes,
  type FinalityCertificate,
  fromHex,
  outPointToString,
  type Transaction,
  type Txid,
  txidToHex,
  type VoteBatch,
} from '../../../src/core/index.ts'

export class Oracle {
  /** The genesis committee. */
  readonly committee: Committee
  /** Every epoch's committee, as honest nodes derived it from the chain. */
  readonly committees = new Map<number, Committee>()
  readonly #txs = new Map<string, Transaction>()
  /** outpoint → txids spending it */
  readonly #spenders = new Map<string, Set<string>>()
  /** txid → epoch → voters (hex) with a validly signed Accept in that epoch */
  readonly #accepts = new Map<string, Map<number, Set<string>>>()
  readonly #committeeClash: string[] = []
  /** `${epoch}:${voter}:${txid}` → the first signed Accept seen (slashing evidence material). */
  readonly #acceptEntries = new Map<string, { batch: VoteBatch; index: number }>()
  readonly #batches = new WeakSet<VoteBatch>()
  readonly finalized = new Map<string, Map<string, number>>()
  readonly firstArrival = new Map<string, number>()
  readonly alarms: string[] = []
  /** height → block hash (hex) → nodes that committed it */
  readonly committed = new Map<number, Map<string, Set<string>>>()
  /** Honest masternodes' keys (hex) → their names: what they sign must never contradict itself. */
  readonly #honest = new Map<string, string>()
  /** `${epoch}:${voter}:${txid}` → an honest voter's signed decision (kind). */
  readonly #honestDecisions = new Map<string, string>()
  /** `${epoch}:${voter}:${height}:${attempt}:${kind}` → an honest voter's signed block vote. */
  readonly #honestBlockVotes = new Map<string, string>()
  /** Certificates honest masternodes finalized with: where, txid, epoch and the voters named. */
  readonly #applied: { where: string; id: string; epoch: number; voters: string[] }[] = []
  /** Broken invariants reported by honest nodes' hosts (e.g. a vote sent before it was durable). */
  readonly #breaches: string[] = []
  /** `${epoch}:${height}:${attempt}:${hash}` → voters with a validly signed precommit */
  readonly #precommits = new Map<string, Set<string>>()
  signatures = 0

  constructor(committee: Committee) {
    this.committee = committee
    this.committees.set(committee.epoch, committee)
  }

  /** A committee an honest node entered; two different committees for one epoch is a violation. */
  recordCommittee(committee: Committee, where: string): void {
    const known = this.committees.get(committee.epoch)
    if (known === undefined) this.committees.set(committee.epoch, committee)
    else if (!equalBytes(committeeHash(known), committeeHash(committee)))
      this.#committeeClash.push(`${where} entered another committee for epoch ${committee.epoch}`)
  }

  /** `key`'s signatures are an honest node's: a contradiction among them is a violation. */
  markHonest(key: Uint8Array, name: string): void {
    this.#honest.set(bytesToHex(key), name)
  }

  /** Penalties an honest node imposed on another honest node (each one is a misjudgement). */
  readonly wrongPenalties: string[] = []

  /** `by` penalized `peer` for `code`: wrong if `peer` is an honest node's key (hex). */
  recordPenalty(by: string, peer: string, code: string): void {
    const honest = this.#honest.get(peer)
    if (honest !== undefined && this.wrongPenalties.length < 100)
      this.wrongPenalties.push(`${by} penalized honest ${honest}: ${code}`)
  }

  /** A safety rule an honest node's host saw broken (reported with the violations). */
  breach(message: string): void {
    if (this.#breaches.length < 100) this.#breaches.push(message)
  }

  /** Committee changes seen (epochs after genesis). */
  get committeeChanges(): number {
    return this.committees.size - 1
  }

  recordTx(txid: Txid, tx: Transaction): void {
    const id = txidToHex(txid)
    if (this.#txs.has(id)) return
    this.#txs.set(id, tx)
    for (const input of tx.inputs) {
      const key = outPointToString(input.outpoint)
      const set = this.#spenders.get(key) ?? new Set<string>()
      this.#spenders.set(key, set.add(id))
    }
  }

  /** Every batch anyone signed; `validSignature` false for forged ones (they prove nothing). */
  recordBatch(batch: VoteBatch, validSignature: boolean): void {
    if (this.#batches.has(batch)) return
    this.#batches.add(batch)
    this.signatures++
    if (!validSignature) return
    const epoch = batch.header.epoch
    const voter = bytesToHex(batch.header.voterKey)
    if (this.#honest.has(voter)) this.#checkHonest(batch, voter)
    for (const leaf of batch.leaves) {
      if (leaf.kind === 'precommit' && leaf.blockHash.some((b) => b !== 0)) {
        const key = `${epoch}:${leaf.height}:${leaf.attempt}:${bytesToHex(leaf.blockHash)}`
        const set = this.#precommits.get(key) ?? new Set<string>()
        this.#precommits.set(key, set.add(voter))
      }
      if (leaf.kind !== 'txAccept') continue
      const id = txidToHex(leaf.txid)
      const entryKey = `${epoch}:${voter}:${id}`
      if (!this.#acceptEntries.has(entryKey))
        this.#acceptEntries.set(entryKey, { batch, index: batch.leaves.indexOf(leaf) })
      const byEpoch = this.#accepts.get(id) ?? new Map<number, Set<string>>()
      this.#accepts.set(id, byEpoch)
      byEpoch.set(epoch, (byEpoch.get(epoch) ?? new Set<string>()).add(voter))
    }
  }

  /**
   * An honest node never signs two different decisions on one transaction in one epoch, nor two
   * different prevotes (or precommits) at one height and attempt — also not across a restart.
   */
  #checkHonest(batch: VoteBatch, voter: string): void {
    const epoch = batch.header.epoch
    const name = this.#honest.get(voter)!
    for (const leaf of batch.leaves) {
      let key: string
      let value: string
      let what: string
      if (leaf.kind === 'txAccept' || leaf.kind === 'txReject') {
        key = `${epoch}:${voter}:${txidToHex(leaf.txid)}`
        value = leaf.kind
        what = `${txidToHex(leaf.txid)}`
      } else {
        key = `${epoch}:${voter}:${leaf.height}:${leaf.attempt}:${leaf.kind}`
        value = bytesToHex(leaf.blockHash)
        what = `${leaf.kind} at height ${leaf.height}, attempt ${leaf.attempt}`
      }
      const map =
        leaf.kind === 'txAccept' || leaf.kind === 'txReject'
          ? this.#honestDecisions
          : this.#honestBlockVotes
      const before = map.get(key)
      if (before === undefined) map.set(key, value)
      else if (before !== value)
        this.breach(`honest ${name} signed two different votes on ${what} in epoch ${epoch}`)
    }
  }

  recordArrival(txid: Txid, now: number): void {
    const id = txidToHex(txid)
    if (!this.firstArrival.has(id)) this.firstArrival.set(id, now)
  }

  /**
   * `where` holds `txid` final from now on; a masternode names the certificate it applied, which
   * must stand on validly signed Accepts of a quorum of its epoch (checked in `violations`).
   */
  recordFinalized(where: string, txid: Txid, now: number, certificate?: FinalityCertificate): void {
    const id = txidToHex(txid)
    if (certificate !== undefined)
      this.#applied.push({
        where,
        id,
        epoch: certificate.epoch,
        voters: certificate.entries.map((e) => bytesToHex(e.header.voterKey)),
      })
    const at = this.finalized.get(id) ?? new Map<string, number>()
    if (!at.has(where)) at.set(where, now)
    this.finalized.set(id, at)
  }

  recordCommitted(where: string, height: number, hash: Uint8Array): void {
    const byHash = this.committed.get(height) ?? new Map<string, Set<string>>()
    const id = bytesToHex(hash)
    byHash.set(id, (byHash.get(id) ?? new Set<string>()).add(where))
    this.committed.set(height, byHash)
  }

  /** The highest height any honest node committed. */
  get height(): number {
    return Math.max(0, ...this.committed.keys())
  }

  /** Accept weight provable from every signature seen, in `epoch` (default: genesis). */
  acceptWeight(txid: string, epoch = this.committee.epoch): number {
    const committee = this.committees.get(epoch)
    return committee === undefined
      ? 0
      : weightOf(committee, this.#accepts.get(txid)?.get(epoch) ?? [])
  }

  /** Whether a certificate for `txid` can be built in any epoch from the signatures seen. */
  #certifiable(txid: string): boolean {
    for (const [epoch, voters] of this.#accepts.get(txid) ?? []) {
      const committee = this.committees.get(epoch)
      if (committee?.isQuorum(weightOf(committee, voters))) return true
    }
    return false
  }

  /**
   * Evidence that a member signed Accepts for two transactions spending one output in one epoch,
   * for every offender not in `skip` (voter keys, hex) — what any node could assemble and report.
   */
  equivocations(skip: ReadonlySet<string>): Evidence[] {
    const found = new Map<string, Evidence>()
    for (const set of this.#spenders.values()) {
      if (set.size < 2) continue
      const ids = [...set]
      for (const a of ids)
        for (const b of ids) {
          if (a >= b) continue
          for (const [epoch, voters] of this.#accepts.get(a) ?? []) {
            for (const voter of voters) {
              if (skip.has(voter) || found.has(voter)) continue
              const ea = this.#acceptEntries.get(`${epoch}:${voter}:${a}`)
              const eb = this.#acceptEntries.get(`${epoch}:${voter}:${b}`)
              if (ea === undefined || eb === undefined) continue
              found.set(voter, {
                kind: 'conflictingAccepts',
                txA: this.#txs.get(a)!,
                txB: this.#txs.get(b)!,
                entryA: certificateEntry(ea.batch, ea.index),
                entryB: certificateEntry(eb.batch, eb.index),
              })
            }
          }
        }
    }
    return [...found.values()]
  }

  /** Txids that conflict with another issued transaction. */
  conflicted(): Set<string> {
    const out = new Set<string>()
    for (const set of this.#spenders.values()) if (set.size > 1) for (const id of set) out.add(id)
    return out
  }

  /** Honest voters that Accepted two of `spenders` (transactions spending one output) in one epoch. */
  #honestConflicts(outpoint: string, spenders: readonly string[]): string[] {
    const out: string[] = []
    const accepted = new Map<string, string>()
    for (const id of spenders) {
      for (const [epoch, voters] of this.#accepts.get(id) ?? []) {
        for (const voter of voters) {
          const name = this.#honest.get(voter)
          if (name === undefined) continue
          const key = `${epoch}:${voter}`
          const other = accepted.get(key)
          if (other === undefined) accepted.set(key, id)
          else
            out.push(
              `honest ${name} Accepted ${other} and ${id} (both spend ${outpoint}) in epoch ${epoch}`,
            )
        }
      }
    }
    return out
  }

  violations(): string[] {
    const found = [
      ...this.alarms.map((a) => `alarm: ${a}`),
      ...this.#committeeClash,
      ...new Set(this.#breaches),
    ]
    for (const [outpoint, set] of this.#spenders) {
      if (set.size < 2) continue
      found.push(...this.#honestConflicts(outpoint, [...set]))
      const final = [...set].filter((id) => this.finalized.has(id))
      if (final.length > 1)
        found.push(`${outpoint} finalized by ${final.join(' and ')} at honest nodes`)
      const certifiable = [...set].filter((id) => this.#certifiable(id))
      if (certifiable.length > 1) {
        found.push(
          `${outpoint}: conflicting certificates buildable for ${certifiable.join(' and ')}`,
        )
      }
    }
    for (const a of this.#applied) {
      const committee = this.committees.get(a.epoch)
      const signed = this.#accepts.get(a.id)?.get(a.epoch) ?? new Set<string>()
      const backed = new Set(a.voters.filter((v) => signed.has(v)))
      if (committee !== undefined && !committee.isQuorum(weightOf(committee, backed)))
        found.push(
          `${a.where} finalized ${a.id} with a certificate of epoch ${a.epoch} that no quorum of signed Accepts backs`,
        )
    }
    for (const [height, byHash] of this.committed) {
      if (byHash.size > 1)
        found.push(`height ${height}: honest nodes committed ${[...byHash.keys()].join(' and ')}`)
    }
    const certified = new Map<number, Set<string>>()
    for (const [key, voters] of this.#precommits) {
      const [epoch, height, , hash] = key.split(':')
      const committee = this.committees.get(Number(epoch))
      if (committee === undefined || !committee.isQuorum(weightOf(committee, voters))) continue
      const set = certified.get(Number(height)) ?? new Set<string>()
      certified.set(Number(height), set.add(hash!))
    }
    // Every block an honest node committed stands on signed precommits of a quorum.
    for (const [height, byHash] of this.committed) {
      for (const hash of byHash.keys()) {
        if (!certified.get(height)?.has(hash))
          found.push(
            `height ${height}: honest nodes committed ${hash}, which no quorum of signed precommits backs`,
          )
      }
    }
    for (const [height, hashes] of certified) {
      if (hashes.size > 1)
        found.push(
          `height ${height}: block certificates buildable for ${[...hashes].join(' and ')}`,
        )
    }
    return found
  }
}

function weightOf(committee: Committee, voters: Iterable<string>): number {
  let w = 0
  for (const v of voters) w += committee.weightOf(fromHex(v)) ?? 0
  return w
}
