// Byzantine masternodes. They hold real committee keys and sign real batches, but follow a script
// instead of the rules. Every batch they sign goes to the oracle, sent or not.
import {
  blockHash,
  blockReward,
  bytesToHex,
  committeeHash,
  computeTxid,
  equalBytes,
  type KeyPair,
  type Message,
  ProposerSchedule,
  rewardHash,
  signProposal,
  signVoteBatch,
  type Txid,
  transactionRoot,
  txidToHex,
  type VoteBatch,
  type VoteLeaf,
} from '../../../src/core/index.ts'
import { emptyBlockCommitment } from '../../support/consensus-fixture.ts'
import type { NodeId } from '../network.ts'
import type { Prng } from '../prng.ts'
import type { SimWorld } from './world.ts'

export type ByzantineBehaviour =
  /** Receives everything, sends nothing. */
  | 'silent'
  /** Accepts every transaction it sees, conflicting ones included, and tells everyone. */
  | 'equivocate'
  /** Accepts everything but sends its votes to nobody until `releaseAt`, then to everyone. */
  | 'withhold-release'
  /** Sends batches whose signatures are forged (random bytes). */
  | 'bad-signature'
  /** Signs its votes for a neighbouring epoch. */
  | 'wrong-epoch'
  /**
   * Runs the honest engine, but as leader of a committee-changing block it leaves a reported
   * transaction out of the carry set (a self-consistent, re-signed block): the handoff's
   * "leader omitting carried locks".
   */
  | 'omit-carried'
  /**
   * Claims other members' keys without their signatures and pads its own votes (forger.ts):
   * harmless unless a signature check is skipped or a voter counted twice. Drawn separately.
   */
  | 'forge'
  /** Leads honest members into a TimeLock lock and tests it (lock-breaker.ts): named scenarios only. */
  | 'lock-breaker'
  /** Tests the lock against a re-proposal with an older valid attempt (relock-breaker.ts). */
  | 'relock-breaker'

/** The behaviours random scenarios draw from (forgers are drawn separately, see scenario.ts). */
export const BYZANTINE_BEHAVIOURS: readonly ByzantineBehaviour[] = [
  'silent',
  'equivocate',
  'withhold-release',
  'bad-signature',
  'wrong-epoch',
  'omit-carried',
]

/**
 * The omitting leader's rewrite of its own proposals: drops the last carried transaction,
 * recomputes the header and signs again. Every other message passes unchanged.
 */
export function omitCarried(key: KeyPair, genesisHash: Uint8Array) {
  return (message: Message): Message => {
    if (message.type !== 'BlockProposal' || message.proposal.block.carried.length === 0)
      return message
    const p = message.proposal
    const carried = p.block.carried.slice(0, -1)
    const header = { ...p.block.header, carryRoot: transactionRoot(carried.map(computeTxid)) }
    const block = { ...p.block, header, carried }
    const proposal = signProposal(
      block,
      p.attempt,
      p.validAttempt,
      p.certificates,
      key,
      genesisHash,
      p.reports,
    )
    return { type: 'BlockProposal', proposal }
  }
}

export class ByzantineMasternode {
  readonly id: NodeId
  readonly key: KeyPair
  readonly behaviour: ByzantineBehaviour
  readonly #world: SimWorld
  readonly #prng: Prng
  readonly #seen = new Set<string>()
  readonly #withheld: VoteBatch[] = []
  #seq = 0
  #schedule: ProposerSchedule | undefined

  constructor(
    world: SimWorld,
    id: NodeId,
    key: KeyPair,
    behaviour: ByzantineBehaviour,
    releaseAt: number,
  ) {
    this.#world = world
    this.id = id
    this.key = key
    this.behaviour = behaviour
    this.#prng = world.sim.prng.fork(`byzantine ${id}`)
    world.nameKey(id, key.publicKey)
    world.sim.network.register(id, this.deliver)
    if (behaviour === 'withhold-release') world.sim.scheduler.at(releaseAt, () => this.#release())
  }

  readonly deliver = (from: NodeId, message: Message): void => {
    if (this.behaviour === 'silent') return
    if (message.type === 'BlockCommit' && this.behaviour === 'equivocate') {
      return this.#equivocateAt(message.block.header.height + 1, blockHash(message.block.header))
    }
    if (message.type !== 'TransactionBroadcast' && message.type !== 'InstantFinalityRequest') return
    const txid = this.#world.txidOf(message.tx)
    const id = txidToHex(txid)
    if (this.#seen.has(id)) return
    this.#seen.add(id)
    // Help a double spend reach everyone, then vote for it.
    for (const peer of this.#members()) this.#world.sim.network.send(this.id, peer, message)
    this.#vote(txid, from)
  }

  #vote(txid: Txid, asker: NodeId): void {
    const epoch =
      this.#world.committee.epoch +
      (this.behaviour === 'wrong-epoch' ? (this.#prng.chance(0.5) ? 1 : -1) : 0)
    const leaves: VoteLeaf[] = [{ kind: 'txAccept', txid }]
    const signed = signVoteBatch(
      leaves,
      {
        epoch: Math.max(0, epoch),
        seq: ++this.#seq,
        timestamp: Math.floor(this.#world.sim.scheduler.now()),
      },
      this.key.secretKey,
      this.#world.genesisHash,
    )
    const forged = this.behaviour === 'bad-signature'
    const batch = forged
      ? { ...signed, signature: Uint8Array.from({ length: 64 }, () => this.#prng.int(256)) }
      : signed
    this.#world.oracle.recordBatch(batch, !forged)
    if (this.behaviour === 'withhold-release') return void this.#withheld.push(batch)
    for (const peer of [...this.#members(), asker]) {
      this.#world.sim.network.send(this.id, peer, { type: 'InstantFinalityVote', batch })
    }
  }

  /**
   * A leader that sends different proposals to different nodes: for each of its attempts at
   * `height`, two valid (empty) blocks, each proposed to one half of the members, and its
   * prevotes and precommits for each block sent to that half.
   */
  #equivocateAt(height: number, prevHash: Uint8Array): void {
    if (this.#seen.has(`height ${height}`)) return
    this.#seen.add(`height ${height}`)
    const committee = this.#world.committee
    this.#schedule ??= new ProposerSchedule(committee, 1)
    const members = this.#members()
    const halves = [members.filter((_, i) => i % 2 === 0), members.filter((_, i) => i % 2 === 1)]
    for (let attempt = 0; attempt < 4; attempt++) {
      if (!equalBytes(this.#schedule.proposer(height, attempt), this.key.publicKey)) continue
      halves.forEach((half, k) => {
        const reward = blockReward(committee, this.key.publicKey, 0n)
        const block = {
          header: {
            version: 1,
            height,
            attempt,
            prevHash,
            epoch: committee.epoch,
            timestamp: Math.floor(this.#world.sim.scheduler.now()) + k,
            proposer: this.key.publicKey,
            txRoot: transactionRoot([]),
            rewardHash: rewardHash(reward),
            carryRoot: new Uint8Array(32),
            committeeHash: committeeHash(committee),
            utxoCommitment: emptyBlockCommitment(
              height,
              prevHash,
              reward,
              this.#world.chainStateAt(prevHash),
            ),
          },
          transactions: [],
          reward,
          carried: [],
        }
        const proposal = signProposal(block, attempt, -1, [], this.key, this.#world.genesisHash)
        const hash = blockHash(block.header)
        const votes = signVoteBatch(
          [
            { kind: 'prevote', height, attempt, blockHash: hash },
            { kind: 'precommit', height, attempt, blockHash: hash },
          ],
          {
            epoch: committee.epoch,
            seq: ++this.#seq,
            timestamp: Math.floor(this.#world.sim.scheduler.now()),
          },
          this.key,
          this.#world.genesisHash,
        )
        this.#world.oracle.recordBatch(votes, true)
        for (const peer of half) {
          this.#world.sim.network.send(this.id, peer, { type: 'BlockProposal', proposal })
          this.#world.sim.network.send(this.id, peer, { type: 'InstantFinalityVote', batch: votes })
        }
      })
    }
  }

  #release(): void {
    for (const batch of this.#withheld.splice(0)) {
      for (const peer of this.#world.sim.network.nodes()) {
        if (peer !== this.id)
          this.#world.sim.network.send(this.id, peer, { type: 'InstantFinalityVote', batch })
      }
    }
  }

  #members(): NodeId[] {
    return this.#world.committee.members
      .map((m) => this.#world.nodeOf(bytesToHex(m.key)))
      .filter((n): n is NodeId => n !== undefined && n !== this.id)
  }
}
