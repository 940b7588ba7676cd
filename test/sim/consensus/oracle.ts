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

  recordArrival(txid: Txid, now: number): void {
    const id = txidToHex(txid)
    if (!this.firstArrival.has(id)) this.firstArrival.set(id, now)
  }

  recordFinalized(where: string, txid: Txid, now: number): void {
    const id = txidToHex(txid)
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

  violations(): string[] {
    const found = [...this.alarms.map((a) => `alarm: ${a}`), ...this.#committeeClash]
    for (const [outpoint, set] of this.#spenders) {
      if (set.size < 2) continue
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
