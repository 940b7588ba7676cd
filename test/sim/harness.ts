// Wires one simulation from a seed: the root PRNG and its named forks, the virtual clock, the
// network and its latency model, per-node timers and invariants checked after every event.
// Everything random descends from `seed` (or SIM_SEED when set), so a failure replays exactly.
import type { LinkFaults } from './faults.ts'
import { type LatencyModel, regionLatency, uniformLatency } from './latency.ts'
import { type NodeId, SimNetwork, type WireCodec } from './network.ts'
import { Prng } from './prng.ts'
import { azureRegionRtt, type MsRange, type NodePlacement, placeNodes } from './regions.ts'
import { Scheduler, TimerGroup } from './scheduler.ts'
import { type Env, failWithSeed, resolveSeed, type Seed } from './seed.ts'

export interface SimOptions {
  /** Overridden by `SIM_SEED` in `env` when set. */
  readonly seed: Seed
  /** Nodes 0…nodes−1. */
  readonly nodes: number
  /** Azure regions (RTT/2 + access delays), or a base per link uniform in the range. */
  readonly latency: 'regions' | MsRange
  readonly faults?: Partial<LinkFaults>
  readonly jitterFraction?: number
  /** With 'regions': one-way access delay per node, and which regions to use. */
  readonly access?: MsRange
  readonly regions?: readonly string[]
  readonly fifo?: boolean
  readonly maxEventsPerRun?: number
  /** Where SIM_SEED is read; `process.env` by default. */
  readonly env?: Env
}

/** A violated invariant returns what is wrong; a holding one returns undefined. */
export type Invariant = () => string | undefined

export interface Sim<M> {
  readonly seed: Seed
  /** Root stream: give each component its own fork, e.g. `prng.fork('engine 3')`. */
  readonly prng: Prng
  readonly scheduler: Scheduler
  readonly network: SimNetwork<M>
  readonly latency: LatencyModel
  readonly nodeIds: readonly NodeId[]
  /** Region and access delay per node, with 'regions' latency. */
  readonly placement: readonly NodePlacement[] | undefined
  /** The node's timers; `crash` cancels them. */
  timers(id: NodeId): TimerGroup
  /** Crashes the node on the network and cancels its timers. */
  crash(id: NodeId): void
  /** Checked after every event; a violation fails the run with the seed. */
  invariant(name: string, check: Invariant): void
  failWithSeed(message: string): never
}

/** `wire`: wire mode, messages between nodes travel encoded with this codec (network.ts). */
export function createSim<M>(options: SimOptions & { readonly wire?: WireCodec<M> }): Sim<M> {
  const seed = resolveSeed(options.seed, options.env)
  if (!Number.isSafeInteger(options.nodes) || options.nodes < 1) {
    throw new RangeError(`nodes must be a positive integer, got ${options.nodes}`)
  }
  const prng = Prng.fromSeed(seed)
  const scheduler = new Scheduler(
    options.maxEventsPerRun === undefined
      ? { seed }
      : { seed, maxEventsPerRun: options.maxEventsPerRun },
  )
  const jitter =
    options.jitterFraction === undefined ? {} : { jitterFraction: options.jitterFraction }
  let placement: NodePlacement[] | undefined
  let latency: LatencyModel
  if (options.latency === 'regions') {
    const matrix = azureRegionRtt()
    placement = placeNodes(options.nodes, matrix, prng.fork('placement'), {
      ...(options.access === undefined ? {} : { access: options.access }),
      ...(options.regions === undefined ? {} : { regions: options.regions }),
    })
    latency = regionLatency(matrix, placement, jitter)
  } else {
    latency = uniformLatency(options.latency, prng.fork('latency'), jitter)
  }
  const network = new SimNetwork<M>({
    scheduler,
    prng: prng.fork('network'),
    latency,
    ...(options.faults === undefined ? {} : { faults: options.faults }),
    ...(options.fifo === undefined ? {} : { fifo: options.fifo }),
    ...(options.wire === undefined ? {} : { wire: options.wire }),
  })
  const groups = new Map<NodeId, TimerGroup>()
  const timers = (id: NodeId): TimerGroup => {
    let group = groups.get(id)
    if (group === undefined) {
      group = new TimerGroup(scheduler)
      groups.set(id, group)
    }
    return group
  }
  return {
    seed,
    prng,
    scheduler,
    network,
    latency,
    nodeIds: Array.from({ length: options.nodes }, (_, i) => i),
    placement,
    timers,
    crash(id) {
      network.crash(id)
      timers(id).cancelAll()
    },
    invariant(name, check) {
      scheduler.afterEach(() => {
        const violation = check()
        if (violation !== undefined) {
          failWithSeed(
            seed,
            `invariant "${name}" violated at t=${scheduler.now()} ms: ${violation}`,
          )
        }
      })
    },
    failWithSeed: (message) => failWithSeed(seed, message),
  }
}
