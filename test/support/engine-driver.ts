// A small deterministic cluster of FinalityEngines over a FIFO in-memory network, each with its
// own MemoryStore, for engine unit tests. (The faulty, seeded network is test/sim.)
import {
  bytesToHex,
  type ChainConfig,
  type Committee,
  type Effect,
  type EngineEvent,
  FinalityEngine,
  type KeyPair,
  Ledger,
  loadChainState,
  loadVotingState,
  MemoryStore,
  type Message,
  type PeerId,
  preverify,
  type Transaction,
  type Txid,
  type TxOutput,
} from '../../src/core/index.ts'

export interface ClusterNode {
  engine: FinalityEngine
  store: MemoryStore
  readonly key: KeyPair | undefined
  readonly finalized: Map<string, number>
  readonly alarms: string[]
  readonly committed: number[]
  down: boolean
}

export interface ClusterOptions {
  readonly genesisHash: Uint8Array
  readonly committee: Committee
  readonly keys: readonly KeyPair[]
  readonly genesis: { readonly txid: Txid; readonly outputs: readonly TxOutput[] }
  /** Drop a message when this returns true. */
  readonly drop?: (from: PeerId, to: PeerId, message: Message) => boolean
  /** Block production; timers decide when heights start (see `fireTimers`). */
  readonly chain?: ChainConfig
}

export class Cluster {
  readonly nodes = new Map<PeerId, ClusterNode>()
  readonly queue: { from: PeerId; to: PeerId; message: Message }[] = []
  readonly sent: Message[] = []
  now = 1_000
  readonly #opts: ClusterOptions

  private constructor(opts: ClusterOptions) {
    this.#opts = opts
  }

  static async create(opts: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(opts)
    for (const key of opts.keys) {
      const store = new MemoryStore()
      const ledger = new Ledger({ genesisHash: opts.genesisHash })
      await store.write(ledger.createOutputs(opts.genesis.txid, opts.genesis.outputs, 0).ops)
      await c.#boot(key, store)
    }
    return c
  }

  async #boot(key: KeyPair, store: MemoryStore): Promise<ClusterNode> {
    const ledger = await Ledger.open(store, { genesisHash: this.#opts.genesisHash })
    const voting = await loadVotingState(store)
    const chainState = await loadChainState(store, this.#opts.genesisHash)
    const engine = new FinalityEngine({
      genesisHash: this.#opts.genesisHash,
      committee: this.#opts.committee,
      ledger,
      key,
      voting,
      chainState,
      ...(this.#opts.chain ? { chain: this.#opts.chain } : {}),
    })
    const node: ClusterNode = {
      engine,
      store,
      key,
      finalized: new Map(),
      alarms: [],
      committed: [],
      down: false,
    }
    this.nodes.set(engine.id, node)
    await this.#apply(node, engine.start(this.now))
    return node
  }

  node(key: KeyPair): ClusterNode {
    return this.nodes.get(bytesToHex(key.publicKey))!
  }

  async submit(key: KeyPair, tx: Transaction): Promise<void> {
    const node = this.node(key)
    await preverify({ type: 'TransactionBroadcast', tx }, this.#opts.genesisHash)
    await this.#deliver(node, { type: 'submit', tx })
  }

  /** Crash: the node stops, its store keeps what was written. */
  crash(key: KeyPair): void {
    this.node(key).down = true
  }

  /** Restart from the store, as a new process would. */
  async restart(key: KeyPair): Promise<ClusterNode> {
    const old = this.node(key)
    return this.#boot(key, old.store)
  }

  /** Delivers queued messages until none remain (bounded). */
  async run(maxMessages = 100_000): Promise<void> {
    for (let n = 0; n < maxMessages; n++) {
      const next = this.queue.shift()
      if (next === undefined) return
      const node = this.nodes.get(next.to)
      if (node === undefined || node.down) continue
      if (this.#opts.drop?.(next.from, next.to, next.message)) continue
      await preverify(next.message, this.#opts.genesisHash)
      await this.#deliver(node, { type: 'message', from: next.from, message: next.message })
    }
    throw new Error('cluster did not go quiet')
  }

  async fireTimers(id: (timer: string) => boolean): Promise<void> {
    for (const node of this.nodes.values()) {
      if (node.down) continue
      for (const t of [...this.#timers(node)])
        if (id(t)) await this.#deliver(node, { type: 'timer', id: t })
    }
  }

  readonly #armed = new Map<ClusterNode, Set<string>>()
  #timers(node: ClusterNode): Set<string> {
    const set = this.#armed.get(node) ?? new Set<string>()
    this.#armed.set(node, set)
    return set
  }

  async #deliver(node: ClusterNode, event: EngineEvent): Promise<void> {
    await this.#apply(node, node.engine.handle(event, this.now))
  }

  async #apply(node: ClusterNode, effects: readonly Effect[]): Promise<void> {
    for (const e of effects) {
      if (node.down) return
      switch (e.type) {
        case 'send':
          this.sent.push(e.message)
          this.queue.push({ from: node.engine.id, to: e.to, message: e.message })
          break
        case 'persist':
          await node.store.write(e.ops, { sync: e.sync })
          await this.#deliver(node, { type: 'persisted', id: e.id })
          break
        case 'setTimer':
          this.#timers(node).add(e.id)
          break
        case 'clearTimer':
          this.#timers(node).delete(e.id)
          break
        case 'finalized':
          node.finalized.set(bytesToHex(e.txid), this.now)
          break
        case 'alarm':
          node.alarms.push(`${e.code}: ${e.message}`)
          break
        case 'committed':
          node.committed.push(e.height)
          break
        case 'penalize':
          break
      }
    }
  }
}
