// One-way delay models for simulated links: a fixed base per link plus per-message jitter drawn
// from the link's own stream. Bases are pure functions of the seed and the link, so they do not
// depend on which messages were sent first.
import type { NodeId } from './network.ts'
import type { Prng } from './prng.ts'
import type { MsRange, NodePlacement, RegionRtt } from './regions.ts'

export interface LatencyModel {
  /** Base one-way delay of the directed link in ms; deterministic. */
  base(from: NodeId, to: NodeId): number
  /** Per-message extra delay, ≥ 0, drawn from the link's stream. */
  jitter(base: number, prng: Prng): number
}

export interface JitterOptions {
  /**
   * Mean jitter as a fraction of the base (default 0.1). Exponential, so most messages are
   * near the base and a few are much later: reordering arises on its own.
   */
  readonly jitterFraction?: number
}

export const DEFAULT_JITTER_FRACTION = 0.1

function exponentialJitter(options: JitterOptions): LatencyModel['jitter'] {
  const fraction = options.jitterFraction ?? DEFAULT_JITTER_FRACTION
  if (!(fraction >= 0)) throw new RangeError(`jitterFraction ${fraction}`)
  return (base, prng) => prng.exponential(base * fraction)
}

/** Each unordered pair gets a base drawn once, uniformly in [minMs, maxMs]; equal ends fix it. */
export function uniformLatency(
  range: MsRange,
  prng: Prng,
  options: JitterOptions = {},
): LatencyModel {
  if (!(range.minMs >= 0 && range.maxMs >= range.minMs)) {
    throw new RangeError(`latency range ${range.minMs}–${range.maxMs} ms`)
  }
  const bases = new Map<number, number>()
  return {
    base(from, to) {
      if (from === to) return 0
      const [lo, hi] = from < to ? [from, to] : [to, from]
      const id = lo * 1_000_003 + hi
      let ms = bases.get(id)
      if (ms === undefined) {
        ms = prng.fork(`base ${lo}-${hi}`).range(range.minMs, range.maxMs)
        bases.set(id, ms)
      }
      return ms
    },
    jitter: exponentialJitter(options),
  }
}

/** Half the regions' p50 RTT, plus the access delay of each end. */
export function regionLatency(
  matrix: RegionRtt,
  placement: readonly NodePlacement[],
  options: JitterOptions = {},
): LatencyModel {
  const byId = new Map(placement.map((p) => [p.id, p]))
  const at = (id: NodeId): NodePlacement => {
    const p = byId.get(id)
    if (p === undefined) throw new RangeError(`node ${id} has no placement`)
    return p
  }
  return {
    base(from, to) {
      if (from === to) return 0
      const a = at(from)
      const b = at(to)
      return matrix.rtt(a.region, b.region) / 2 + a.accessMs + b.accessMs
    },
    jitter: exponentialJitter(options),
  }
}
