// An honest masternode in the simulator: the real FinalityEngine on a simulated disk, timers on
// the virtual clock, messages pre-verified exactly as a shell would. It can crash at any instant
// — between two events or between two effects of one event — and restart from what is durable.
import {
  bytesToHex,
  EngineRuntime,
  type FinalityEngine,
  genesisBatch,
  type KeyPair,
  type Message,
  type Notification,
  openEngine,
  type Signer,
  type Txid,
  type TxOutput,
} from '../../../src/core/index.ts'
import { nativeSigner } from '../../../src/node/crypto/native-signer.ts'
import type { NodeId } from '../network.ts'
import type { Prng } from '../prng.ts'
import { SimDisk } from './sim-disk.ts'
import { preverifySync } from './sync-verifier.ts'
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

  constructor(world: SimWorld, id: NodeId, key: KeyPair) {
    this.#world = world
    this.id = id
    this.key = key
    this.#prng = world.sim.prng.fork(`masternode ${id}`)
    this.#signer = nativeSigner(key)
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

  /** Crashes now, or — with `midEvent` — after the next few effects it carries out. */
  crash(midEvent: boolean): void {
    if (!this.up) return
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

  #crashNow(): void {
    if (!this.up) return
    this.up = false
    this.#crashAfterEffects = null
    this.#world.sim.crash(this.id)
    this.runtime.stop()
    this.disk.crash(this.#prng)
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
      },
      world.rules,
    )
    this.runtime = new EngineRuntime(engine, {
      clock: () => scheduler.now(),
      timers: (_id, at, fire) => world.sim.timers(this.id).at(Math.max(at, scheduler.now()), fire),
      transport: (to, message) => {
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
        scheduler.after(sync ? world.diskSyncMs(this.#prng) : 0, () => {
          if (sync) this.disk.sync(writeId)
          done()
        })
      },
      verify: (message) => {
        const error = preverifySync(message, world.genesisHash)
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
        return world.oracle.recordFinalized(`mn${this.id}`, n.txid, now)
      case 'alarm':
        return void world.oracle.alarms.push(`mn${this.id} ${n.code}: ${n.message}`)
      case 'committed':
        world.oracle.recordCommitted(`mn${this.id}`, n.height, n.hash)
        return world.oracle.recordCommittee(this.engine.committee, `mn${this.id}`)
      case 'penalize':
        return
    }
  }
}
