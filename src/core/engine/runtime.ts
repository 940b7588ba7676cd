/**
 * The one runtime every host of an engine uses — the simulator, the tests, the benches, and the
 * network shells: `openEngine` restores an engine from its store, and `EngineRuntime` feeds it
 * events and carries out its effects through five ports (clock, timers, transport, store,
 * verifier). Nothing else touches the outside world, so swapping the ports swaps the world.
 * Invariants:
 *  - Effects are carried out in emission order. Writes reach the store in that order; each
 *    write's `persisted` event comes only after the store reports it done (durable when `sync`).
 *  - A message reaches the engine only after its signatures verified; an invalid one costs its
 *    sender (a `penalize` notification) and changes nothing. Messages reach it in arrival order,
 *    however their verifications interleave.
 *  - After `stop()` no event reaches the engine and no effect leaves it (a crashed process).
 * docs/ARCHITECTURE.md §2 describes the engine and this loop.
 */

import type { ConsensusRules } from '../consensus/rules.ts'
import { PeerAction, TimeCoinError } from '../errors.ts'
import { checkGenesisAllocation } from '../ledger/genesis.ts'
import { Ledger } from '../ledger/ledger.ts'
import type { MempoolLimits } from '../ledger/mempool.ts'
import type { Transaction, TxOutput } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import type { BatchOp, Store } from '../storage/store.ts'
import { ensureStoreVersion, storeVersionOp } from '../storage/store-version.ts'
import { loadChainState } from './chain-store.ts'
import { loadVotingState } from './decision-store.ts'
import type { Effect, EngineEvent } from './events.ts'
import { type EngineConfig, FinalityEngine } from './finality-engine.ts'
import { engineLimits } from './limits.ts'
import type { Message, PeerId } from './messages.ts'
import { pruneOnOpen } from './restore.ts'

/** Effects that leave the engine for the host rather than for the network, disk or clock. */
export type Notification = Extract<
  Effect,
  { readonly type: 'finalized' | 'committed' | 'alarm' | 'penalize' | 'utxoState' }
>

export interface TimerHandle {
  cancel(): void
}

export interface RuntimePorts {
  /** The engine clock, in milliseconds (monotonic). */
  readonly clock: () => number
  /** Calls `fire` at engine time `at` (soon, if it has passed); `id` names the timer. */
  readonly timers: (id: string, at: number, fire: () => void) => TimerHandle
  /** Sends a message to a peer (best effort: the engine re-sends what matters). */
  readonly transport: (to: PeerId, message: Message) => void
  /**
   * Writes `ops` atomically, in call order, and calls `done` once applied (durable when `sync`).
   * `storeWriter(store)` adapts a `Store`; the simulator hands in its crash-prone disk.
   */
  readonly store: (ops: readonly BatchOp[], sync: boolean, done: () => void) => void
  /**
   * Checks a message's signatures (and structure) before the engine sees it: null when valid,
   * the typed error otherwise. May answer at once or later.
   */
  readonly verify: (message: Message) => TimeCoinError | null | Promise<TimeCoinError | null>
  /**
   * Finality, commits, output state changes, alarms and penalties, for the host (metrics,
   * wallets, peer scoring).
   */
  readonly notify?: (notification: Notification) => void
  /** Sees all effects of one event before any is carried out (the simulator's oracle). */
  readonly observe?: (effects: readonly Effect[]) => void
  /** Called just before each effect is carried out (the simulator's crash points). */
  readonly beforeEffect?: (effect: Effect) => void
}

/** The store port over a `Store`: writes in call order, `done` when the store resolves. */
export function storeWriter(
  store: Store,
  onError: (error: unknown) => void,
): RuntimePorts['store'] {
  return (ops, sync, done) => {
    store.write(ops, { sync }).then(done, onError)
  }
}

interface Arrival {
  readonly then: (error: TimeCoinError | null) => void
  done: boolean
  error: TimeCoinError | null
}

export class EngineRuntime {
  readonly engine: FinalityEngine
  readonly #ports: RuntimePorts
  readonly #timers = new Map<string, TimerHandle>()
  /** The live arming of each timer id (a firing of any other arming is stale). */
  readonly #slots = new Map<string, object>()
  #stopped = false
  #inFlight = 0
  /** Messages in arrival order, waiting for their own or an earlier message's verification. */
  readonly #arrivals: Arrival[] = []
  /** Events that arrived while effects were being carried out: handled right after, in order. */
  readonly #queue: EngineEvent[] = []
  #busy = false
  #idle: (() => void)[] = []

  constructor(engine: FinalityEngine, ports: RuntimePorts) {
    this.engine = engine
    this.#ports = ports
  }

  get stopped(): boolean {
    return this.#stopped
  }

  /** Writes and verifications not answered yet. */
  get pending(): number {
    return this.#inFlight
  }

  /** Resolves once nothing is in flight (for orderly shutdown and tests). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  start(): void {
    if (this.#stopped) return
    this.#busy = true
    try {
      this.#carryOut(this.engine.start(this.#ports.clock()))
    } finally {
      this.#busy = false
    }
    const queued = this.#queue.shift()
    if (queued !== undefined) this.#handle(queued)
  }

  /** Stops at once, as a crash does: timers cancelled, later answers and events ignored. */
  stop(): void {
    this.#stopped = true
    for (const t of this.#timers.values()) t.cancel()
    this.#timers.clear()
    this.#slots.clear()
    this.#arrivals.length = 0
    this.#settle(this.#inFlight)
  }

  /** A message from a peer: verified, then handled (an invalid one penalizes its sender). */
  deliver(from: PeerId, message: Message): void {
    if (this.#stopped) return
    this.#verified(message, (error) => {
      if (error === null) this.#handle({ type: 'message', from, message })
      else
        this.#notify({
          type: 'penalize',
          peer: from,
          action: error.peerAction ?? PeerAction.LowToleranceError,
          code: error.code,
          reason: error.message,
        })
    })
  }

  /** A transaction submitted locally (wallet, RPC): rejects with the typed error if invalid. */
  submit(tx: Transaction): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#stopped) return reject(new Error('the engine runtime is stopped'))
      this.#verified({ type: 'TransactionBroadcast', tx }, (error) => {
        if (error !== null) return reject(error)
        this.#handle({ type: 'submit', tx })
        resolve()
      })
    })
  }

  /**
   * Verifies `message`, then calls `then` with the verdict — in arrival order: verifications run
   * concurrently, but a message is handed on only after every message that arrived before it (so
   * a vote never overtakes the transaction it votes on just because it verified sooner).
   */
  #verified(message: Message, then: (error: TimeCoinError | null) => void): void {
    let verdict: ReturnType<RuntimePorts['verify']>
    try {
      verdict = this.#ports.verify(message)
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      verdict = e
    }
    if (!(verdict instanceof Promise) && this.#arrivals.length === 0) return then(verdict)
    const arrival: Arrival = { then, done: false, error: null }
    this.#arrivals.push(arrival)
    if (!(verdict instanceof Promise)) return this.#answered(arrival, verdict)
    this.#inFlight++
    verdict.then(
      (error) => {
        this.#settle(1)
        this.#answered(arrival, error)
      },
      (e: unknown) => {
        this.#settle(1)
        // A verifier closed after stop() (a node shutting down) fails what was in flight: the
        // stopped node hears nothing more, so that is no error of its own.
        if (this.#stopped) return
        if (!(e instanceof TimeCoinError)) throw e
        this.#answered(arrival, e)
      },
    )
  }

  /** Records a verdict and hands on every answered message at the head of the arrival queue. */
  #answered(arrival: Arrival, error: TimeCoinError | null): void {
    arrival.done = true
    arrival.error = error
    const arrivals = this.#arrivals
    let n = 0
    while (n < arrivals.length && arrivals[n]!.done) n++
    if (n === 0) return
    for (const a of arrivals.splice(0, n)) if (!this.#stopped) a.then(a.error)
  }

  /** Handles one event, or queues it when a port answered inside the effect loop. */
  #handle(event: EngineEvent): void {
    if (this.#stopped) return
    this.#queue.push(event)
    if (this.#busy) return
    this.#busy = true
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        if (this.#stopped) break
        this.#carryOut(this.engine.handle(next, this.#ports.clock()))
      }
    } finally {
      this.#busy = false
      if (this.#stopped) this.#queue.length = 0
    }
  }

  #carryOut(effects: readonly Effect[]): void {
    const ports = this.#ports
    ports.observe?.(effects)
    for (const e of effects) {
      if (this.#stopped) return
      ports.beforeEffect?.(e)
      if (this.#stopped) return
      switch (e.type) {
        case 'send':
          ports.transport(e.to, e.message)
          break
        case 'persist': {
          this.#inFlight++
          ports.store(e.ops, e.sync, () => {
            this.#settle(1)
            this.#handle({ type: 'persisted', id: e.id })
          })
          break
        }
        case 'setTimer': {
          this.#timers.get(e.id)?.cancel()
          // The slot is ours until a later setTimer or clearTimer of the same id replaces it; a
          // firing of a replaced timer (or one the port answers at once) reaches nothing stale.
          const slot: { handle?: TimerHandle } = {}
          this.#slots.set(e.id, slot)
          slot.handle = ports.timers(e.id, e.at, () => {
            if (this.#slots.get(e.id) !== slot) return
            this.#slots.delete(e.id)
            this.#timers.delete(e.id)
            this.#handle({ type: 'timer', id: e.id })
          })
          if (this.#slots.get(e.id) === slot) this.#timers.set(e.id, slot.handle)
          break
        }
        case 'clearTimer':
          this.#timers.get(e.id)?.cancel()
          this.#timers.delete(e.id)
          this.#slots.delete(e.id)
          break
        default:
          this.#notify(e)
      }
    }
  }

  #notify(n: Notification): void {
    this.#ports.notify?.(n)
  }

  #settle(n: number): void {
    this.#inFlight -= n
    if (this.#inFlight > 0) return
    this.#inFlight = 0
    for (const resolve of this.#idle.splice(0)) resolve()
  }
}

export interface OpenEngineConfig extends Omit<EngineConfig, 'ledger' | 'voting' | 'chainState'> {
  /** The genesis allocation, written with the store version when the store is new. */
  readonly genesis: { readonly txid: Txid; readonly outputs: readonly TxOutput[] }
  readonly mempool?: MempoolLimits
}

/** The first batch of a new store: its version and the genesis outputs, atomically. */
export function genesisBatch(config: Pick<OpenEngineConfig, 'genesisHash' | 'genesis'>): BatchOp[] {
  checkGenesisAllocation(config.genesis)
  const fresh = new Ledger({ genesisHash: config.genesisHash })
  return [
    storeVersionOp(),
    ...fresh.createOutputs(config.genesis.txid, config.genesis.outputs, 0).ops,
  ]
}

async function isEmpty(store: Store): Promise<boolean> {
  for await (const _ of store.iterate({ limit: 1 })) return false
  return true
}

/**
 * Opens the engine a store holds: a new store gets its version and the genesis outputs in one
 * durable batch; an existing one must carry this software's store version (a clear error
 * otherwise, never a misread). Restores the ledger, this node's decisions and vote sequence, the
 * chain tip, its own block votes, the registry and its seal.
 */
export async function openEngine(
  store: Store,
  config: OpenEngineConfig,
  rules?: ConsensusRules,
): Promise<FinalityEngine> {
  if (await isEmpty(store)) await store.write(genesisBatch(config), { sync: true })
  else await ensureStoreVersion(store)
  const { genesis: _, mempool, ...engine } = config
  const ledger = await Ledger.open(store, {
    genesisHash: config.genesisHash,
    ...(mempool === undefined ? {} : { mempool }),
  })
  const chainState = await loadChainState(store, config.genesisHash)
  // Only live state: leftovers of prunes a crash lost are deleted first (restore.ts).
  const voting = await pruneOnOpen(
    store,
    ledger,
    await loadVotingState(store),
    {
      tipHeight: chainState.tip.height,
      epoch: chainState.registry?.epoch ?? config.committee.epoch,
    },
    engineLimits(config.limits),
  )
  return new FinalityEngine({ ...engine, ledger, voting, chainState }, rules)
}
