// A Byzantine member that forges: it claims other members' keys in vote batches, certificates and
// block certificates without their signatures (random bytes, or its own signature over their
// header), and pads its own genuine votes (one leaf repeated in a batch, re-sent under fresh
// sequence numbers, its certificate entry listed several times). Every honest node rejects all of
// it while the signature and quorum checks hold; a node whose check is skipped or miscounted is
// led into a double finality (or a second block at one height), which the oracle reports as a
// safety violation rather than a mere liveness failure.
//
// What it does, once, at `attackAt`: it spends its own genesis coin twice (A to one half of the
// members, B to the other), Accepts both with its real key, and sends each half
//  - forged Accepts of its transaction from every other member (batches claiming their keys),
//  - its own Accept of the other transaction with the leaf repeated, and again in later batches,
// then, a few seconds later, certificates for the other half's transaction: the genuine entries it
// collected plus forged entries (first, or last) up to the quorum, and one made of genuine entries
// only, its own repeated. For a few committed heights it also sends half the members the next
// block, empty, with a block certificate forged from every member's key.
import {
  type Amount,
  addressPayloadFromPublicKey,
  type Block,
  type BlockCertificate,
  batchSigningMessage,
  blockHash,
  bytesToHex,
  type CertificateEntry,
  type Committee,
  certificateEntry,
  equalBytes,
  type FinalityCertificate,
  fromHex,
  type KeyPair,
  leafHash,
  type Message,
  MIN_FEE,
  merkleRoot,
  signTransaction,
  signVoteBatch,
  type Transaction,
  type Txid,
  txidToHex,
  type VoteBatch,
  type VoteLeaf,
} from '../../../src/core/index.ts'
import { nativeSigner } from '../../../src/node/crypto/native-signer.ts'
import { emptyBlock } from '../../support/consensus-fixture.ts'
import type { NodeId } from '../network.ts'
import type { Prng } from '../prng.ts'
import { preverifySync } from './sync-verifier.ts'
import type { SimWorld } from './world.ts'

/** Committed heights after which a forged next block is sent. */
const FORGED_BLOCKS = 3
/** Time from the double spend to the forged certificates (genuine votes gathered meanwhile). */
const CERTIFY_AFTER_MS = 3_000

export interface ForgerCoin {
  readonly txid: Txid
  readonly vout: number
  readonly value: bigint
}

export class Forger {
  readonly id: NodeId
  readonly key: KeyPair
  readonly #world: SimWorld
  readonly #prng: Prng
  readonly #sign: (message: Uint8Array) => Uint8Array
  readonly #coin: ForgerCoin
  #seq = 0
  /** Genuine Accept entries gathered for its own two transactions: txid hex → voter hex → entry. */
  readonly #genuine = new Map<string, Map<string, CertificateEntry>>()
  #pair: {
    readonly txs: [Transaction, Transaction]
    readonly groups: [NodeId[], NodeId[]]
  } | null = null
  #forgedBlocks = 0
  readonly #forgedAt = new Set<number>()

  constructor(world: SimWorld, id: NodeId, key: KeyPair, coin: ForgerCoin, attackAt: number) {
    this.#world = world
    this.id = id
    this.key = key
    this.#coin = coin
    this.#prng = world.sim.prng.fork(`forger ${id}`)
    this.#sign = nativeSigner(key).sign
    world.nameKey(id, key.publicKey)
    world.sim.network.register(id, this.deliver)
    world.sim.scheduler.at(attackAt, () => this.#doubleSpend())
  }

  readonly deliver = (from: NodeId, message: Message): void => {
    if (message.type === 'InstantFinalityVote') return this.#gather(message.batch)
    if (message.type === 'BlockCommit') return this.#forgeNextBlock(message.block)
    // Members that counted its votes for a spend they never saw ask it for the transaction.
    if (message.type === 'TransactionRequest' && this.#pair !== null) {
      const tx = this.#pair.txs.find((t) => equalBytes(this.#world.txidOf(t), message.txid))
      if (tx !== undefined) this.#send([from], { type: 'TransactionBroadcast', tx })
    }
  }

  /** The committee of the latest epoch honest nodes entered. */
  get #committee(): Committee {
    const epochs = this.#world.oracle.committees
    return epochs.get(Math.max(...epochs.keys()))!
  }

  #members(): NodeId[] {
    return this.#committee.members
      .map((m) => this.#world.nodeOf(bytesToHex(m.key)))
      .filter((n): n is NodeId => n !== undefined && n !== this.id)
  }

  #send(to: readonly NodeId[], message: Message): void {
    for (const peer of to) this.#world.sim.network.send(this.id, peer, message)
  }

  // ── transaction votes and certificates ───────────────────────────────────

  #doubleSpend(): void {
    const world = this.#world
    const coin = this.#coin
    const spend = (fee: bigint): Transaction =>
      signTransaction(
        {
          version: 1,
          inputs: [
            {
              outpoint: { txid: coin.txid, vout: coin.vout },
              publicKey: this.key.publicKey,
            },
          ],
          outputs: [
            {
              value: (coin.value - fee) as Amount,
              address: addressPayloadFromPublicKey(this.key.publicKey),
            },
          ],
          lockTime: 0,
          payload: { type: 'none' },
        },
        [this.key.secretKey],
        world.genesisHash,
      )
    const txs: [Transaction, Transaction] = [spend(MIN_FEE), spend(2n * MIN_FEE)]
    const members = this.#prng.shuffle(this.#members())
    const cut = Math.max(1, Math.floor(members.length / 2))
    const groups: [NodeId[], NodeId[]] = [members.slice(0, cut), members.slice(cut)]
    this.#pair = { txs, groups }
    const epoch = this.#committee.epoch
    const txids = txs.map((tx) => world.txidOf(tx))
    for (const [k, tx] of txs.entries()) {
      world.oracle.recordTx(txids[k]!, tx)
      this.#genuine.set(txidToHex(txids[k]!), new Map())
    }
    for (const k of [0, 1] as const) {
      const mine = txids[k]!
      const other = txids[1 - k]!
      const group = groups[k]
      this.#send(group, { type: 'TransactionBroadcast', tx: txs[k] })
      // Its own Accept, genuine; the other spend's Accept with the leaf repeated, then again
      // under fresh sequence numbers (a tally must count one voter once, however often it says so).
      const accept = (txid: Txid): VoteLeaf => ({ kind: 'txAccept', txid })
      const own = this.#genuineBatch([accept(mine)])
      this.#genuine
        .get(txidToHex(mine))!
        .set(bytesToHex(this.key.publicKey), certificateEntry(own, 0))
      this.#send(group, { type: 'InstantFinalityVote', batch: own })
      this.#send(group, {
        type: 'InstantFinalityVote',
        batch: this.#genuineBatch([accept(other), accept(other), accept(other)]),
      })
      for (let i = 0; i < 2; i++)
        this.#send(group, {
          type: 'InstantFinalityVote',
          batch: this.#genuineBatch([accept(other)]),
        })
      // Every other member's Accept of this half's spend, without their signatures.
      for (const victim of this.#committee.members) {
        if (equalBytes(victim.key, this.key.publicKey)) continue
        const batch = this.#forgedBatch(victim.key, epoch, [accept(mine)])
        const node = world.nodeOf(bytesToHex(victim.key))
        this.#send(
          group.filter((n) => n !== node),
          { type: 'InstantFinalityVote', batch },
        )
      }
    }
    world.sim.scheduler.after(CERTIFY_AFTER_MS, () => this.#certify())
  }

  /** Keeps the genuine Accepts of its own two transactions (for certificates padded with forgeries). */
  #gather(batch: VoteBatch): void {
    if (this.#pair === null) return
    if (batch.header.epoch !== this.#committee.epoch) return
    if (preverifySync({ type: 'InstantFinalityVote', batch }, this.#world.genesisHash) !== null)
      return
    const voter = bytesToHex(batch.header.voterKey)
    batch.leaves.forEach((leaf, i) => {
      if (leaf.kind !== 'txAccept') return
      const entries = this.#genuine.get(txidToHex(leaf.txid))
      if (entries !== undefined && !entries.has(voter))
        entries.set(voter, certificateEntry(batch, i))
    })
  }

  /**
   * For each spend, certificates sent to the half that got the other one: genuine entries plus
   * forged ones up to the quorum (the forged first, then last), and genuine entries with its own
   * listed again until the weight would suffice if counted twice.
   */
  #certify(): void {
    const pair = this.#pair!
    const committee = this.#committee
    for (const k of [0, 1] as const) {
      const tx = pair.txs[k]
      const txid = this.#world.txidOf(tx)
      const genuine = this.#genuine.get(txidToHex(txid))!
      const mine = genuine.get(bytesToHex(this.key.publicKey))
      let weight = 0
      for (const voter of genuine.keys()) weight += committee.weightOf(fromHex(voter)) ?? 0
      const forged: CertificateEntry[] = []
      const victims = [...committee.members]
        .filter((m) => !genuine.has(bytesToHex(m.key)))
        .sort((a, b) => b.weight - a.weight)
      for (const v of victims) {
        if (committee.isQuorum(weight)) break
        forged.push(this.#forgedEntry(v.key, committee.epoch, txid))
        weight += v.weight
      }
      const real = [...genuine.values()]
      const certificates: FinalityCertificate[] = [
        { txid, epoch: committee.epoch, entries: [...forged, ...real] },
        { txid, epoch: committee.epoch, entries: [...real, ...forged] },
      ]
      const own = committee.weightOf(this.key.publicKey) ?? 0
      if (mine !== undefined && own > 0) {
        // Genuine signatures only, its own entry repeated: worth a quorum only if counted twice.
        let realWeight = 0
        for (const voter of genuine.keys()) realWeight += committee.weightOf(fromHex(voter)) ?? 0
        const repeats = Math.min(
          50,
          Math.max(1, Math.ceil((committee.threshold - realWeight) / own)),
        )
        const repeated = Array.from({ length: repeats }, () => mine)
        certificates.push({ txid, epoch: committee.epoch, entries: [...real, ...repeated] })
      }
      const other = k === 0 ? pair.groups[1] : pair.groups[0]
      for (const certificate of certificates)
        this.#send(other, { type: 'FinalityCertificate', tx, certificate })
    }
  }

  #genuineBatch(leaves: readonly VoteLeaf[]): VoteBatch {
    const batch = signVoteBatch(
      leaves,
      {
        epoch: this.#committee.epoch,
        seq: ++this.#seq,
        timestamp: Math.floor(this.#world.sim.scheduler.now()),
      },
      { publicKey: this.key.publicKey, sign: this.#sign },
      this.#world.genesisHash,
    )
    this.#world.oracle.recordBatch(batch, true)
    return batch
  }

  /** A batch claiming `voter`'s key: random bytes for a signature, or the forger's own over it. */
  #forgedBatch(voter: Uint8Array, epoch: number, leaves: readonly VoteLeaf[]): VoteBatch {
    const header = {
      epoch,
      voterKey: voter,
      seq: 1_000_000 + this.#prng.int(1_000_000),
      leafCount: leaves.length,
      root: merkleRoot(leaves.map(leafHash)),
      timestamp: Math.floor(this.#world.sim.scheduler.now()),
    }
    const signature = this.#prng.chance(0.5)
      ? Uint8Array.from({ length: 64 }, () => this.#prng.int(256))
      : this.#sign(batchSigningMessage(this.#world.genesisHash, header))
    const batch = { header, signature, leaves }
    this.#world.oracle.recordBatch(batch, false)
    return batch
  }

  #forgedEntry(voter: Uint8Array, epoch: number, txid: Txid): CertificateEntry {
    return certificateEntry(this.#forgedBatch(voter, epoch, [{ kind: 'txAccept', txid }]), 0)
  }

  // ── blocks ───────────────────────────────────────────────────────────────

  /**
   * After a commit at height h: an empty block h + 1 on it, "certified" by precommits forged for
   * every other member (and its own, genuine), sent to half the members before they vote on h + 1.
   */
  #forgeNextBlock(parent: Block): void {
    const height = parent.header.height + 1
    if (this.#forgedBlocks >= FORGED_BLOCKS || this.#forgedAt.has(height)) return
    this.#forgedAt.add(height)
    this.#forgedBlocks++
    // The committee honest nodes entered last (a committee-changing parent changed it already).
    const committee = this.#committee
    const prevHash = blockHash(parent.header)
    const block = emptyBlock(committee, this.key.publicKey, height, 0, prevHash, {
      timestamp: Math.floor(this.#world.sim.scheduler.now()) + 7,
      utxos: this.#world.chainStateAt(prevHash),
    })
    const hash = blockHash(block.header)
    const leaf: VoteLeaf = { kind: 'precommit', height, attempt: 0, blockHash: hash }
    const entries: CertificateEntry[] = committee.members.map((m) =>
      equalBytes(m.key, this.key.publicKey)
        ? certificateEntry(this.#genuineBatch([leaf]), 0)
        : certificateEntry(this.#forgedBatch(m.key, committee.epoch, [leaf]), 0),
    )
    const certificate: BlockCertificate = {
      height,
      attempt: 0,
      blockHash: hash,
      epoch: committee.epoch,
      entries,
    }
    const members = this.#prng.shuffle(this.#members())
    this.#send(members.slice(0, Math.ceil(members.length / 2)), {
      type: 'BlockCommit',
      block,
      certificate,
    })
  }
}

export { emptyBlock }
