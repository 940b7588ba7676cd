// A small deterministic cluster of engines over a FIFO in-memory network, each with its own
// MemoryStore, for engine unit tests — on the one runtime every host uses (openEngine +
// EngineRuntime): messages pre-verified, writes through the store, timers fired on demand.
// (The faulty, seeded network is test/sim.)
import {
  bytesToHex,
  type ChainConfig,
  type Committee,
  type ConsensusRules,
  type EngineLimits,
  EngineRuntime,
  type FinalityEngine,
  type KeyPair,
  MemoryStore,
  type Message,
  messageBundle,
  type Notification,
  openEngine,
  type PeerId,
  type EngineRuntime as Runtime,
  storeWriter,
  type TimeCoinError,
  type Transaction,
  type Txid,
  type TxOutput,
  type UtxoStateChange,
  verifyBundle,
} from '../../src/core/index.ts'

export interface ClusterNode {
  runtime: Runtime
  readonly store: MemoryStore
  readonly key: KeyPair | undefined
  readonly finalized: Map<string, number>
  readonly alarms: string[]
  readonly committed: number[]
  /** Every penalty the node imposed: on whom, the error code and the action. */
  readonly penalties: { readonly peer: PeerId; readonly code: string; readonly action: string }[]
  /** Every output state change the node reported, in order. */
  readonly utxoStates: UtxoStateChange[]
  /** Armed timers by id: fired by `fireTimers`. */
  readonly timers: Map<string, () => void>
  down: boolean
  readonly engine: FinalityEngine
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
  /** Engine state bounds other than the defaults. */
  readonly limits?: Partial<EngineLimits>
  /** Sees every notification of every node (e.g. an RPC view's finality waiters). */
  readonly onNotify?: (node: ClusterNode, notification: Notification) => void
  /** The simulator's deliberately unsafe rules, for tests of them (SAFE_RULES otherwise). */
  readonly rules?: ConsensusRules
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
    for (const key of opts.keys) await c.#boot(key, new MemoryStore())
    return c
  }

  async #boot(key: KeyPair, store: MemoryStore): Promise<ClusterNode> {
    const opts = this.#opts
    const engine = await openEngine(
      store,
      {
        genesisHash: opts.genesisHash,
        genesis: opts.genesis,
        committee: opts.committee,
        key,
        ...(opts.chain ? { chain: opts.chain } : {}),
        ...(opts.limits ? { limits: opts.limits } : {}),
      },
      opts.rules,
    )
    const timers = new Map<string, () => void>()
    const node: ClusterNode = {
      runtime: undefined as unknown as Runtime,
      store,
      key,
      finalized: new Map(),
      alarms: [],
      committed: [],
      penalties: [],
      utxoStates: [],
      timers,
      down: false,
      get engine() {
        return this.runtime.engine
      },
    }
    node.runtime = new EngineRuntime(engine, {
      clock: () => this.now,
      timers: (id, _at, fire) => {
        timers.set(id, fire)
        return { cancel: () => timers.get(id) === fire && timers.delete(id) }
      },
      transport: (to, message) => {
        this.sent.push(message)
        this.queue.push({ from: engine.id, to, message })
      },
      store: storeWriter(store, (e) => node.alarms.push(`store: ${String(e)}`)),
      verify: (message) => verified(message, opts.genesisHash),
      notify: (n) => {
        opts.onNotify?.(node, n)
        if (n.type === 'finalized') node.finalized.set(bytesToHex(n.txid), this.now)
        else if (n.type === 'alarm') node.alarms.push(`${n.code}: ${n.message}`)
        else if (n.type === 'committed') node.committed.push(n.height)
        else if (n.type === 'utxoState') {
          const { type: _, ...change } = n
          node.utxoStates.push(change)
        } else node.penalties.push({ peer: n.peer, code: n.code, action: n.action })
      },
    })
    this.nodes.set(engine.id, node)
    node.runtime.start()
    await node.runtime.idle()
    return node
  }

  node(key: KeyPair): ClusterNode {
    return this.nodes.get(bytesToHex(key.publicKey))!
  }

  async submit(key: KeyPair, tx: Transaction): Promise<void> {
    const node = this.node(key)
    await node.runtime.submit(tx)
    await node.runtime.idle()
  }

  /** Crash: the node stops, its store keeps what was written. */
  crash(key: KeyPair): void {
    const node = this.node(key)
    node.down = true
    node.runtime.stop()
  }

  /** Restart from the store, as a new process would. */
  async restart(key: KeyPair): Promise<ClusterNode> {
    return this.#boot(key, this.node(key).store)
  }

  /** Delivers queued messages, one at a time and each to completion, until none remain (bounded). */
  async run(maxMessages = 100_000): Promise<void> {
    for (let n = 0; n < maxMessages; n++) {
      const next = this.queue.shift()
      if (next === undefined) return
      const node = this.nodes.get(next.to)
      if (node === undefined || node.down) continue
      if (this.#opts.drop?.(next.from, next.to, next.message)) continue
      node.runtime.deliver(next.from, next.message)
      await node.runtime.idle()
    }
    throw new Error('cluster did not go quiet')
  }

  /** Fires the armed timers whose id matches, on every node that is up. */
  async fireTimers(id: (timer: string) => boolean): Promise<void> {
    for (const node of this.nodes.values()) {
      if (node.down) continue
      for (const [t, fire] of [...node.timers]) {
        if (!id(t)) continue
        fire()
        await node.runtime.idle()
      }
    }
  }
}

async function verified(message: Message, genesisHash: Uint8Array): Promise<TimeCoinError | null> {
  try {
    await verifyBundle(messageBundle(message, genesisHash))
    return null
  } catch (e) {
    return e as TimeCoinError
  }
}
