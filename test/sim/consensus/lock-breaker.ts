// A Byzantine member that, with the network's help, builds the situation TimeLock's lock exists
// for: a block A that honest members precommitted (so A is certifiable with its own precommit),
// followed by a later attempt proposing another block B. Honest members locked on A must not
// prevote B; if they do, B gathers a certificate too and two blocks are certified at one height.
//
// The plan, at the first height h where it fits (one Byzantine member, the rest honest):
//  - the attempt-0 proposer P0 is honest and proposes A; the adversarial network keeps A's
//    proposal from one honest member V (who then prevotes nil, and precommits nil);
//  - the breaker prevotes A to the other honest members L only, so L see > 2/3 prevotes for A,
//    precommit A and lock on it; it signs its own precommit for A and keeps it (the oracle sees it:
//    L's precommits and its own make A certifiable), so no one commits A in attempt 0;
//  - in attempt 1, led by V or by the breaker, a fresh block B is proposed; the breaker prevotes
//    and precommits B. V prevotes B; L, locked on A, prevote nil and B stalls — unless the lock is
//    ignored, when B commits beside a certifiable A.
//  - once V precommitted in attempt 0, the breaker lets V see its prevote for A, so a later
//    re-proposal of A (with attempt 0 as its valid attempt) gets V's prevote: the chain goes on.
// Requires w(L) < ⌊2W/3⌋ + 1 ≤ w(L) + its weight, and honest weight ≥ ⌊2W/3⌋ + 1.
import {
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
  /** The honest member kept from A's proposal. */
  readonly v: NodeId
  /** The honest members led to lock on A. */
  readonly locked: readonly NodeId[]
  /** Whether the breaker leads attempt 1 (else V does). */
  readonly leadsNext: boolean
}

export class LockBreaker {
  readonly id: NodeId
  readonly key: KeyPair
  /** The height it attacked (after the plan fitted), or null. */
  attackedHeight: number | null = null
  readonly #world: SimWorld
  readonly #committee: Committee
  readonly #schedule: ProposerSchedule
  #tip: { height: number; hash: Uint8Array }
  #plan: Plan | null = null
  #seq = 0
  #prevoteA: VoteBatch | null = null
  #released = false
  #votedB = false

  constructor(world: SimWorld, id: NodeId, key: KeyPair) {
    this.#world = world
    this.id = id
    this.key = key
    this.#committee = world.committee
    this.#schedule = new ProposerSchedule(world.committee, 1)
    this.#tip = { height: 0, hash: world.genesisHash }
    world.nameKey(id, key.publicKey)
    world.sim.network.register(id, this.deliver)
    // Once every node is named (all are built before the first event).
    world.sim.scheduler.at(0, () => this.#planFor(1))
  }

  readonly deliver = (_from: NodeId, message: Message): void => {
    switch (message.type) {
      case 'BlockCommit': {
        const { height } = message.block.header
        if (height <= this.#tip.height) return
        this.#tip = { height, hash: blockHash(message.block.header) }
        if (this.#plan !== null && this.#plan.height <= height) this.#done()
        if (this.attackedHeight === null && this.#plan === null) this.#planFor(height + 1)
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

  #weight(nodes: readonly NodeId[]): number {
    let w = 0
    for (const m of this.#committee.members) if (nodes.includes(this.#node(m.key))) w += m.weight
    return w
  }

  #planFor(height: number): void {
    const p0 = this.#node(this.#schedule.proposer(height, 0))
    const p1 = this.#node(this.#schedule.proposer(height, 1))
    const honest = this.#committee.members
      .map((m) => this.#node(m.key))
      .filter((n) => n !== this.id)
    if (p0 === this.id || p0 === p1) return
    const v = p1 === this.id ? honest.find((n) => n !== p0)! : p1
    const locked = honest.filter((n) => n !== v)
    const own = this.#committee.weightOf(this.key.publicKey) ?? 0
    const wl = this.#weight(locked)
    const fits =
      !this.#committee.isQuorum(wl) &&
      this.#committee.isQuorum(wl + own) &&
      this.#committee.isQuorum(this.#weight(honest))
    if (!fits) return
    this.#plan = { height, prevHash: this.#tip.hash, p0, v, locked, leadsNext: p1 === this.id }
    // The adversarial network: V never gets an attempt-0 proposal at this height.
    this.#world.sim.network.setFilter((_from, to, m) =>
      to === v &&
      m.type === 'BlockProposal' &&
      m.proposal.block.header.height === height &&
      m.proposal.attempt === 0
        ? 'drop'
        : 'deliver',
    )
  }

  #done(): void {
    this.#plan = null
    this.#world.sim.network.setFilter(undefined)
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

  #onProposal(message: Extract<Message, { type: 'BlockProposal' }>): void {
    const plan = this.#plan
    const p = message.proposal
    const header = p.block.header
    if (plan === null || header.height !== plan.height) return
    const hash = blockHash(header)
    const height = plan.height
    if (p.attempt === 0 && this.#prevoteA === null && this.#node(p.proposer) === plan.p0) {
      this.attackedHeight = height
      this.#prevoteA = this.#batch([{ kind: 'prevote', height, attempt: 0, blockHash: hash }])
      this.#send(plan.locked, { type: 'InstantFinalityVote', batch: this.#prevoteA })
      // Its precommit for A is signed (the oracle sees it) and never sent.
      this.#batch([{ kind: 'precommit', height, attempt: 0, blockHash: hash }])
      if (plan.leadsNext) this.#proposeB(plan)
      return
    }
    if (p.attempt === 1 && !plan.leadsNext && this.#node(p.proposer) === plan.v) this.#voteB(hash)
  }

  #proposeB(plan: Plan): void {
    const block = emptyBlock(this.#committee, this.key.publicKey, plan.height, 1, plan.prevHash, {
      timestamp: Math.floor(this.#world.sim.scheduler.now()) + 1,
      utxos: this.#world.chainStateAt(plan.prevHash),
    })
    const proposal = signProposal(block, 1, -1, [], this.key, this.#world.genesisHash)
    this.#send([plan.v, ...plan.locked], { type: 'BlockProposal', proposal })
    this.#voteB(blockHash(block.header))
  }

  #voteB(hash: Uint8Array): void {
    const plan = this.#plan
    if (plan === null || this.#votedB) return
    this.#votedB = true
    const height = plan.height
    const batch = this.#batch([
      { kind: 'prevote', height, attempt: 1, blockHash: hash },
      { kind: 'precommit', height, attempt: 1, blockHash: hash },
    ])
    this.#send([plan.v, ...plan.locked], { type: 'InstantFinalityVote', batch })
  }

  /** V's attempt-0 precommit: from now on V may see the prevote for A (liveness afterwards). */
  #onVotes(batch: VoteBatch): void {
    const plan = this.#plan
    if (plan === null || this.#released || this.#prevoteA === null) return
    if (this.#node(batch.header.voterKey) !== plan.v) return
    const precommitted = batch.leaves.some(
      (l) => l.kind === 'precommit' && l.height === plan.height && l.attempt === 0,
    )
    if (!precommitted) return
    this.#released = true
    this.#send([plan.v], { type: 'InstantFinalityVote', batch: this.#prevoteA })
  }
}
