// An honest masternode in the simulator: the real FinalityEngine on a simulated disk, timers on
// the virtual clock, messages pre-verified exactly as a shell would. It can crash at any instant
// — between two events or between two effects of one event — and restart from what is durable.
import {
  type BatchOp,
  Bucket,
  bucketKey,
  bytesToHex,
  EngineRuntime,
  equalBytes,
  type FinalityEngine,
  genesisBatch,
  type KeyPair,
  type Message,
  MetaKey,
  type Notification,
  openEngine,
  type Signer,
  type Txid,
  type TxOutput,
  txidToHex,
  type VoteBatch,
} from '../../../src/core/index.ts'
import { nativeSigner } from '../../../src/node/crypto/native-signer.ts'
import type { NodeId } from '../network.ts'
import type { Prng } from '../prng.ts'
import { SimDisk } from './sim-disk.ts'
import { preverifySync, preverifyUnsafe } from './sync-verifier.ts'
import type { SimWorld } from './world.ts'

export class SimMasternode {
  readonly id: NodeId
  readonly key: KeyPair
  readonly disk = new SimDisk()
  runtime!: EngineRuntime
  up = true
  restarts = 0
  rejectedMessages = 0
  readonly #world: SimWorld
  readonly #prng: Prng
  readonly #signer: Signer
  #nextWriteId = 1
  #genesis: { readonly txid: Txid; readonly outputs: readonly TxOutput[] } = {
    txid: new Uint8Array(32) as Txid,
    outputs: [],
  }
  /** Rewrites this node's outgoing messages (only a Byzantine variant of the engine sets it). */
  tamper: ((message: Message) => Message) | null = null
  /** Crash after this many more effects (a crash in the middle of carrying out one event). */
  #crashAfterEffects: number | null = null
  /** This node's vote batches already sent once (checked for durability at their first send). */
  readonly #sentBatches = new WeakSet<VoteBatch>()
  /** `${key}=${value}` of every decision (kind and epoch) and block vote ever durable here. */
  readonly #durableVotes = new Set<string>()
  #durableSeq = 0

  constructor(world: SimWorld, id: NodeId, key: KeyPair) {
    this.#world = world
    this.id = id
    this.key = key
    this.#prng = world.sim.prng.fork(`masternode ${id}`)
    this.#signer = nativeSigner(key)
    this.disk.onDurable = (op) => this.#watchDisk(op)
    world.masternodes.push(bytesToHex(key.publicKey))
  }

  get engine(): FinalityEngine {
    return this.runtime.engine
  }

  async boot(genesis: { txid: Txid; outputs: readonly TxOutput[] }): Promise<void> {
    this.#genesis = genesis
    await this.#open()
  }

  readonly deliver = (from: NodeId, message: Message): void => {
    if (!this.up) return
    if (message.type === 'TransactionBroadcast' || message.type === 'InstantFinalityRequest') {
      this.#world.oracle.recordArrival(
        this.#world.txidOf(message.tx),
        this.#world.sim.scheduler.now(),
      )
    }
    this.runtime.deliver(this.#world.peerOf(from), message)
  }

  /**
   * Crashes now, or — with `midEvent` — after the next few effects it carries out. With
   * `dropUnsynced` the disk keeps only synced writes (a power cut before any later flush).
   */
  crash(midEvent: boolean, dropUnsynced = false): void {
    if (!this.up) return
    if (dropUnsynced) return this.#crashNow(true)
    if (midEvent) {
      this.#crashAfterEffects = this.#prng.int(4)
      // If no event arrives soon, crash anyway.
      this.#world.sim.scheduler.after(50, () => this.#crashNow())
    } else this.#crashNow()
  }

  async restart(): Promise<void> {
    if (this.up) return
    this.restarts++
    await this.#open()
  }

  #crashNow(dropUnsynced = false): void {
    if (!this.up) return
    this.up = false
    this.#crashAfterEffects = null
    this.#world.sim.crash(this.id)
    this.runtime.stop()
    this.disk.crash(this.#prng, dropUnsynced)
  }

  /**
   * Persist before send, checked where it matters: when one of this node's vote batches first
   * leaves it, its sequence number and every decision and block vote it states must have been
   * durable (on the disk's synced part) — a crash at this instant must not forget what peers now
   * hold. A record may be gone again by then: pruning deletes what binds no longer.
   */
  #checkDurable(batch: VoteBatch): void {
    if (this.#sentBatches.has(batch)) return
    this.#sentBatches.add(batch)
    const breach = (what: string) =>
      this.#world.oracle.breach(
        `mn${this.id} sent its batch seq ${batch.header.seq} before ${what} was durable`,
      )
    if (this.#durableSeq < batch.header.seq) breach('its sequence number')
    for (const leaf of batch.leaves) {
      if (leaf.kind === 'txAccept' || leaf.kind === 'txReject') {
        const epoch = new Uint8Array(4)
        new DataView(epoch.buffer).setUint32(0, batch.header.epoch, true)
        const record = `${bytesToHex(bucketKey(Bucket.decision, leaf.txid))}=${leaf.kind === 'txAccept' ? '00' : '01'}${bytesToHex(epoch)}`
        if (!this.#durableVotes.has(record))
          breach(`its ${leaf.kind} of ${txidToHex(leaf.txid)} in epoch ${batch.header.epoch}`)
      } else {
        const key = bucketKey(
          Bucket.blockVote,
          u32be(leaf.height),
          u32be(leaf.attempt),
          Uint8Array.of(leaf.kind === 'prevote' ? 0 : 1),
        )
        if (!this.#durableVotes.has(`${bytesToHex(key)}=${bytesToHex(leaf.blockHash)}`))
          breach(`its ${leaf.kind} at height ${leaf.height}, attempt ${leaf.attempt}`)
      }
    }
  }

  /** Records every vote decision, block vote and batch sequence number the disk made durable. */
  #watchDisk(op: BatchOp): void {
    if (op.type !== 'put') return
    const bucket = op.key[0]
    if (bucket === Bucket.decision)
      this.#durableVotes.add(`${bytesToHex(op.key)}=${bytesToHex(op.value.subarray(0, 5))}`)
    else if (bucket === Bucket.blockVote)
      this.#durableVotes.add(`${bytesToHex(op.key)}=${bytesToHex(op.value)}`)
    else if (equalBytes(op.key, MetaKey.lastSeq)) {
      const seq = new DataView(op.value.buffer, op.value.byteOffset).getBigUint64(0, true)
      this.#durableSeq = Math.max(this.#durableSeq, Number(seq))
    }
  }

  async #open(): Promise<void> {
    const world = this.#world
    const scheduler = world.sim.scheduler
    // The first open writes genesis durably (its version and outputs, as a new store gets them).
    if (this.restarts === 0) {
      this.disk.write(0, genesisBatch({ genesisHash: world.genesisHash, genesis: this.#genesis }))
      this.disk.sync(0)
    }
    const engine = await openEngine(
      this.disk.open(),
      {
        genesisHash: world.genesisHash,
        genesis: this.#genesis,
        committee: world.committee,
        key: this.key,
        signer: this.#signer,
        followers: world.masternodes,
        ...(world.chain ? { chain: world.chain } : {}),
        ...(world.mempool ? { mempool: world.mempool } : {}),
        ...(world.limits ? { limits: world.limits } : {}),
      },
      world.rules,
    )
    this.runtime = new EngineRuntime(engine, {
      clock: () => scheduler.now(),
      timers: (_id, at, fire) => world.sim.timers(this.id).at(Math.max(at, scheduler.now()), fire),
      transport: (to, message) => {
        if (
          message.type === 'InstantFinalityVote' &&
          equalBytes(message.batch.header.voterKey, this.key.publicKey)
        )
          this.#checkDurable(message.batch)
        const node = world.nodeOf(to)
        if (node !== undefined)
          world.sim.network.send(
            this.id,
            node,
            this.tamper === null ? message : this.tamper(message),
          )
      },
      store: (ops, sync, done) => {
        const writeId = this.#nextWriteId++
        this.disk.write(writeId, ops)
        // The unsafe store of the simulator's self-test: acknowledged before it is durable.
        if (world.unsafe === 'ack-before-sync') {
          done()
          if (sync) scheduler.after(world.diskSyncMs(this.#prng), () => this.disk.sync(writeId))
          return
        }
        scheduler.after(sync ? world.diskSyncMs(this.#prng) : 0, () => {
          if (sync) this.disk.sync(writeId)
          done()
        })
      },
      verify: (message) => {
        const error =
          world.unsafe === 'unchecked-batch-signatures' || world.unsafe === 'unchecked-last-entry'
            ? preverifyUnsafe(message, world.genesisHash, world.unsafe)
            : preverifySync(message, world.genesisHash)
        if (error !== null) this.rejectedMessages++
        return error
      },
      notify: (n) => this.#notify(n),
      observe: (effects) => {
        // The oracle sees every signature the engine produced, even if a crash stops its sending.
        for (const e of effects)
          if (e.type === 'send' && e.message.type === 'InstantFinalityVote')
            world.oracle.recordBatch(e.message.batch, true)
      },
      beforeEffect: () => {
        if (this.#crashAfterEffects !== null && this.#crashAfterEffects-- <= 0) this.#crashNow()
      },
    })
    if (engine.tip !== undefined) world.recordChainState(engine.tip.hash, engine.chainUtxoState())
    this.up = true
    if (this.restarts === 0) world.sim.network.register(this.id, this.deliver)
    else world.sim.network.restart(this.id, this.deliver)
    this.runtime.start()
  }

  #notify(n: Notification): void {
    const world = this.#world
    const now = world.sim.scheduler.now()
    switch (n.type) {
      case 'finalized':
        return world.oracle.recordFinalized(`mn${this.id}`, n.txid, now, n.certificate)
      case 'alarm':
        return void world.oracle.alarms.push(`mn${this.id} ${n.code}: ${n.message}`)
      case 'committed':
        world.recordChainState(n.hash, this.engine.chainUtxoState())
        world.oracle.recordCommitted(`mn${this.id}`, n.height, n.hash)
        return world.oracle.recordCommittee(this.engine.committee, `mn${this.id}`)
      case 'penalize':
        return world.oracle.recordPenalty(`mn${this.id}`, n.peer, n.code)
    }
  }
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, false)
  return b
}
