// A Byzantine member that tests TimeLock's second lock rule: a block re-proposed with an older
// valid attempt (a prevote quorum it had then) may be prevoted only by members not locked since.
// With the network's help it gets one honest member V locked on block B in attempt 0, the other
// two honest members X and Y locked on block A in attempt 1 (A certifiable with its own withheld
// precommit), and then B re-proposed in attempt 2 with valid attempt 0. X and Y must prevote nil;
// if they prevote B, B commits beside a certifiable A: two block certificates at one height.
//
// For four members of equal weight, the breaker one of them, at the first height h whose leaders
// p0, p1, p2 of attempts 0, 1, 2 fit (p0 honest; V leads attempt 2 or the breaker does):
//  - attempt 0: p0 proposes B; the network keeps it from Y. X and V prevote B; the breaker's
//    prevote for B goes to V alone, so V alone sees > 2/3 for B: V precommits B and locks on it;
//    X and Y time out and precommit nil.
//  - attempt 1: a fresh block A (from p1, or the breaker if it leads). X and Y prevote A, V (locked
//    on B) nil; the breaker prevotes A to X and Y only and keeps its precommit for A: X and Y lock
//    on A, nothing commits. Once X and Y vote in attempt 1 they get its prevote for B (they can now
//    see attempt 0's quorum for B).
//  - attempt 2: B again with valid attempt 0 (from V, or the breaker if it leads); it prevotes and
//    precommits B. Once V votes in attempt 2 it gets the prevote for A, so a later re-proposal of A
//    (valid attempt 1) gets V's prevote and the chain goes on.
import {
  type Block,
  blockHash,
  bytesToHex,
  type Committee,
  type KeyPair,
  type Message,
  ProposerSchedule,
  signProposal,
  signVoteBatch,
  type VoteBatch,
  type VoteLeaf,
} from '../../../src/core/index.ts'
import type { NodeId } from '../network.ts'
import { emptyBlock } from './forger.ts'
import type { SimWorld } from './world.ts'

interface Plan {
  readonly height: number
  readonly prevHash: Uint8Array
  readonly p0: NodeId
  readonly p1: NodeId
  readonly p2: NodeId
  readonly v: NodeId
  readonly x: NodeId
  readonly y: NodeId
}

export class RelockBreaker {
  readonly id: NodeId
  readonly key: KeyPair
  readonly #world: SimWorld
  readonly #committee: Committee
  readonly #schedule: ProposerSchedule
  #tip: { height: number; hash: Uint8Array }
  #plan: Plan | null = null
  #done = false
  #seq = 0
  #blockB: Block | null = null
  #prevoteB: VoteBatch | null = null
  #prevoteA: VoteBatch | null = null
  readonly #sent = new Set<string>()

  constructor(world: SimWorld, id: NodeId, key: KeyPair) {
    this.#world = world
    this.id = id
    this.key = key
    this.#committee = world.committee
    this.#schedule = new ProposerSchedule(world.committee, 1)
    this.#tip = { height: 0, hash: world.genesisHash }
    world.nameKey(id, key.publicKey)
    world.sim.network.register(id, this.deliver)
    world.sim.scheduler.at(0, () => this.#planFor(1))
  }

  readonly deliver = (_from: NodeId, message: Message): void => {
    switch (message.type) {
      case 'BlockCommit': {
        const { height } = message.block.header
        if (height <= this.#tip.height) return
        this.#tip = { height, hash: blockHash(message.block.header) }
        if (this.#plan !== null && this.#plan.height <= height) {
          this.#plan = null
          this.#done = true
          this.#world.sim.network.setFilter(undefined)
        }
        if (!this.#done && this.#plan === null) this.#planFor(height + 1)
        return
      }
      case 'BlockProposal':
        return this.#onProposal(message)
      case 'InstantFinalityVote':
        return this.#onVotes(message.batch)
      default:
    }
  }

  #node(key: Uint8Array): NodeId {
    return this.#world.nodeOf(bytesToHex(key))!
  }

  #planFor(height: number): void {
    const members = this.#committee.members.map((m) => this.#node(m.key))
    if (members.length !== 4 || new Set(this.#committee.members.map((m) => m.weight)).size !== 1)
      return
    const [p0, p1, p2] = [0, 1, 2].map((a) => this.#node(this.#schedule.proposer(height, a))) as [
      NodeId,
      NodeId,
      NodeId,
    ]
    if (p0 === this.id || new Set([p0, p1, p2]).size !== 3) return
    const honest = members.filter((n) => n !== this.id)
    // V leads attempt 2, or the breaker does and V is whoever fits (not p1, who proposes A fresh).
    const v = p2 !== this.id ? p2 : (honest.find((n) => n !== p1 && n !== p0) ?? p0)
    if (v === p1) return
    // Y never sees B in attempt 0, so Y is not p0; X is the other one.
    const rest = honest.filter((n) => n !== v)
    const y = rest.find((n) => n !== p0)!
    const x = rest.find((n) => n !== y)!
    this.#plan = { height, prevHash: this.#tip.hash, p0, p1, p2, v, x, y }
    this.#world.sim.network.setFilter((_from, to, m) =>
      to === y &&
      m.type === 'BlockProposal' &&
      m.proposal.block.header.height === height &&
      m.proposal.attempt === 0
        ? 'drop'
        : 'deliver',
    )
  }

  #batch(leaves: readonly VoteLeaf[]): VoteBatch {
    const batch = signVoteBatch(
      leaves,
      {
        epoch: this.#committee.epoch,
        seq: ++this.#seq,
        timestamp: Math.floor(this.#world.sim.scheduler.now()),
      },
      this.key,
      this.#world.genesisHash,
    )
    this.#world.oracle.recordBatch(batch, true)
    return batch
  }

  #send(to: readonly NodeId[], message: Message): void {
    for (const peer of to) this.#world.sim.network.send(this.id, peer, message)
  }

  /** Sends once per `key` (each step of the plan happens once). */
  #once(key: string, act: () => void): void {
    if (this.#sent.has(key)) return
    this.#sent.add(key)
    act()
  }

  #onProposal(message: Extract<Message, { type: 'BlockProposal' }>): void {
    const plan = this.#plan
    const p = message.proposal
    if (plan === null || p.block.header.height !== plan.height) return
    const from = this.#node(p.proposer)
    const hash = blockHash(p.block.header)
    const height = plan.height
    if (p.attempt === 0 && from === plan.p0)
      this.#once('B', () => {
        this.#blockB = p.block
        this.#prevoteB = this.#batch([{ kind: 'prevote', height, attempt: 0, blockHash: hash }])
        this.#send([plan.v], { type: 'InstantFinalityVote', batch: this.#prevoteB })
        if (plan.p1 === this.id) this.#proposeA(plan)
      })
    else if (p.attempt === 1 && from === plan.p1) this.#voteA(hash)
    else if (p.attempt === 2 && from === plan.p2 && plan.p2 !== this.id) this.#voteB(hash, 2)
  }

  #proposeA(plan: Plan): void {
    const block = emptyBlock(this.#committee, this.key.publicKey, plan.height, 1, plan.prevHash, {
      timestamp: Math.floor(this.#world.sim.scheduler.now()) + 1,
      utxos: this.#world.chainStateAt(plan.prevHash),
    })
    const proposal = signProposal(block, 1, -1, [], this.key, this.#world.genesisHash)
    this.#send([plan.v, plan.x, plan.y], { type: 'BlockProposal', proposal })
    this.#voteA(blockHash(block.header))
  }

  /** Prevotes A in attempt 1 to X and Y only, and keeps its precommit (A is certifiable). */
  #voteA(hash: Uint8Array): void {
    const plan = this.#plan!
    this.#once('A', () => {
      const height = plan.height
      this.#prevoteA = this.#batch([{ kind: 'prevote', height, attempt: 1, blockHash: hash }])
      this.#send([plan.x, plan.y], { type: 'InstantFinalityVote', batch: this.#prevoteA })
      this.#batch([{ kind: 'precommit', height, attempt: 1, blockHash: hash }])
    })
  }

  #voteB(hash: Uint8Array, attempt: number): void {
    const plan = this.#plan!
    this.#once(`B${attempt}`, () => {
      const height = plan.height
      const batch = this.#batch([
        { kind: 'prevote', height, attempt, blockHash: hash },
        { kind: 'precommit', height, attempt, blockHash: hash },
      ])
      this.#send([plan.v, plan.x, plan.y], { type: 'InstantFinalityVote', batch })
    })
  }

  /** Releases its prevotes as members move on (see the plan), and re-proposes B if it leads 2. */
  #onVotes(batch: VoteBatch): void {
    const plan = this.#plan
    if (plan === null) return
    const from = this.#node(batch.header.voterKey)
    const at = (attempt: number) =>
      batch.leaves.some(
        (l) =>
          (l.kind === 'prevote' || l.kind === 'precommit') &&
          l.height === plan.height &&
          l.attempt >= attempt,
      )
    if ((from === plan.x || from === plan.y) && at(1) && this.#prevoteB !== null) {
      this.#once(`release B to ${from}`, () =>
        this.#send([from], { type: 'InstantFinalityVote', batch: this.#prevoteB! }),
      )
      // Both X and Y vote in attempt 1: if it leads attempt 2, B goes out again now.
      if (
        plan.p2 === this.id &&
        this.#sent.has(`release B to ${plan.x}`) &&
        this.#sent.has(`release B to ${plan.y}`)
      )
        this.#once('repropose B', () => {
          const proposal = signProposal(this.#blockB!, 2, 0, [], this.key, this.#world.genesisHash)
          this.#send([plan.v, plan.x, plan.y], { type: 'BlockProposal', proposal })
          this.#voteB(blockHash(this.#blockB!.header), 2)
        })
    }
    if (from === plan.v && at(2) && this.#prevoteA !== null)
      this.#once('release A to V', () =>
        this.#send([plan.v], { type: 'InstantFinalityVote', batch: this.#prevoteA! }),
      )
  }
}
