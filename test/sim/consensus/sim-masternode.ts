// An honest masternode in the simulator: the real FinalityEngine on a simulated disk, timers on
// the virtual clock, messages pre-verified exactly as a shell would. It can crash at any instant
// — between two events or between two effects of one event — and restart from what is durable.
import {
  bytesToHex,
  type Effect,
  type EngineEvent,
  FinalityEngine,
  type KeyPair,
  Ledger,
  loadChainState,
  loadVotingState,
  type Message,
  type Signer,
  type Txid,
  type TxOutput,
} from '../../../src/core/index.ts'
import type { NodeId } from '../network.ts'
import type { Prng } from '../prng.ts'
import type { TimerHandle } from '../scheduler.ts'
import { SimDisk } from './sim-disk.ts'
import { nativeSigner, preverifySync } from './sync-verifier.ts'
import type { SimWorld } from './world.ts'

export class SimMasternode {
  readonly id: NodeId
  readonly key: KeyPair
  readonly disk = new SimDisk()
  engine!: FinalityEngine
  up = true
  restarts = 0
  rejectedMessages = 0
  readonly #world: SimWorld
  readonly #prng: Prng
  readonly #signer: Signer
  readonly #timers = new Map<string, TimerHandle>()
  #nextWriteId = 1
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

  async boot(genesis: { txid: Txid; outputs: readonly TxOutput[] }): Promise<void> {
    const ledger = new Ledger({ genesisHash: this.#world.genesisHash })
    this.disk.write(0, ledger.createOutputs(genesis.txid, genesis.outputs, 0).ops)
    this.disk.sync(0)
    await this.#open()
  }

  readonly deliver = (from: NodeId, message: Message): void => {
    if (!this.up) return
    if (preverifySync(message, this.#world.genesisHash) !== null) {
      this.rejectedMessages++
      return
    }
    if (message.type === 'TransactionBroadcast' || message.type === 'InstantFinalityRequest') {
      this.#world.oracle.recordArrival(
        this.#world.txidOf(message.tx),
        this.#world.sim.scheduler.now(),
      )
    }
    this.#handle({ type: 'message', from: this.#world.peerOf(from), message })
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
    this.#timers.clear()
    this.disk.crash(this.#prng)
  }

  async #open(): Promise<void> {
    const store = this.disk.open()
    const ledger = await Ledger.open(store, {
      genesisHash: this.#world.genesisHash,
      ...(this.#world.mempool ? { mempool: this.#world.mempool } : {}),
    })
    const voting = await loadVotingState(store)
    const chainState = await loadChainState(store, this.#world.genesisHash)
    this.engine = new FinalityEngine({
      chainState,
      ...(this.#world.chain ? { chain: this.#world.chain } : {}),
      genesisHash: this.#world.genesisHash,
      committee: this.#world.committee,
      ledger,
      key: this.key,
      signer: this.#signer,
      voting,
      followers: this.#world.masternodes,
      ...(this.#world.unsafe ? { unsafeTestRules: this.#world.unsafe } : {}),
    })
    this.up = true
    if (this.restarts === 0) this.#world.sim.network.register(this.id, this.deliver)
    else this.#world.sim.network.restart(this.id, this.deliver)
    this.#apply(this.engine.start(this.#world.sim.scheduler.now()))
  }

  #handle(event: EngineEvent): void {
    if (this.up) this.#apply(this.engine.handle(event, this.#world.sim.scheduler.now()))
  }

  #apply(effects: readonly Effect[]): void {
    const world = this.#world
    const scheduler = world.sim.scheduler
    // The oracle sees every signature the engine produced, even if a crash stops its sending.
    for (const e of effects) {
      if (e.type === 'send' && e.message.type === 'InstantFinalityVote')
        world.oracle.recordBatch(e.message.batch, true)
    }
    for (const e of effects) {
      if (!this.up) return
      if (this.#crashAfterEffects !== null && this.#crashAfterEffects-- <= 0)
        return this.#crashNow()
      switch (e.type) {
        case 'send': {
          const to = world.nodeOf(e.to)
          const message = this.tamper === null ? e.message : this.tamper(e.message)
          if (to !== undefined) world.sim.network.send(this.id, to, message)
          break
        }
        case 'persist': {
          const writeId = this.#nextWriteId++
          this.disk.write(writeId, e.ops)
          const engine = this.engine
          const done = () => {
            if (!this.up || this.engine !== engine) return
            if (e.sync) this.disk.sync(writeId)
            this.#handle({ type: 'persisted', id: e.id })
          }
          scheduler.after(e.sync ? world.diskSyncMs(this.#prng) : 0, done)
          break
        }
        case 'setTimer': {
          this.#timers.get(e.id)?.cancel()
          const engine = this.engine
          const handle = world.sim.timers(this.id).at(Math.max(e.at, scheduler.now()), () => {
            if (this.engine === engine) this.#handle({ type: 'timer', id: e.id })
          })
          this.#timers.set(e.id, handle)
          break
        }
        case 'clearTimer':
          this.#timers.get(e.id)?.cancel()
          this.#timers.delete(e.id)
          break
        case 'finalized':
          world.oracle.recordFinalized(`mn${this.id}`, e.txid, scheduler.now())
          break
        case 'alarm':
          world.oracle.alarms.push(`mn${this.id} ${e.code}: ${e.message}`)
          break
        case 'committed':
          world.oracle.recordCommitted(`mn${this.id}`, e.height, e.hash)
          world.oracle.recordCommittee(this.engine.committee, `mn${this.id}`)
          break
        case 'penalize':
          break
      }
    }
  }
}
