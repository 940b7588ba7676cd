// Azure inter-region p50 RTTs and node placement. rtt(a, b) is symmetric and defined for every
// pair of named regions: measured cells first, an estimate for pairs measured in neither direction.
// Data: Microsoft Azure network round-trip latency statistics (CC BY 4.0), test/sim/data/SOURCES.md.
import { readFileSync } from 'node:fs'
import type { Prng } from './prng.ts'

export const AZURE_RTT_CSV = new URL('./data/azure-region-rtt-p50.csv', import.meta.url)

/** Regions the data's README says to drop: a nearly empty column, and a row with no column. */
export const EXCLUDED_REGIONS: readonly string[] = ['Jio India West', 'Indonesia Central']

/** Two nodes in one region: Azure quotes under 2 ms RTT between zones of a region. */
export const SAME_REGION_RTT_MS = 1

/**
 * - `both-directions`: the mean of the two measured directions (they differ by ≤ 6 ms);
 * - `one-direction`: only the reverse cell was measured;
 * - `two-hop`: measured in neither direction; the shortest path through one measured
 *   intermediary region, an upper bound that is close when a neighbour of either end is measured;
 * - `median`: no such path; the median of all measured cells.
 */
export type RttSource = 'same-region' | 'both-directions' | 'one-direction' | 'two-hop' | 'median'

export interface RttLookup {
  readonly rttMs: number
  readonly source: RttSource
}

export class RegionRtt {
  /** Every region named in a row or a column, sorted. */
  readonly allRegions: readonly string[]
  /** Regions to place nodes in: `allRegions` minus `EXCLUDED_REGIONS`. */
  readonly regions: readonly string[]
  /** Median over every measured directed cell. */
  readonly medianMs: number
  readonly #index: ReadonlyMap<string, number>
  readonly #rtt: Float64Array
  readonly #source: RttSource[]

  private constructor(directed: ReadonlyMap<string, ReadonlyMap<string, number>>) {
    const names = new Set<string>()
    const cells: number[] = []
    for (const [from, row] of directed) {
      names.add(from)
      for (const [to, ms] of row) {
        names.add(to)
        cells.push(ms)
      }
    }
    if (cells.length === 0) throw new Error('RTT matrix has no measured cell')
    cells.sort((x, y) => x - y)
    this.medianMs = median(cells)
    this.allRegions = [...names].sort()
    this.regions = this.allRegions.filter((r) => !EXCLUDED_REGIONS.includes(r))
    this.#index = new Map(this.allRegions.map((r, i) => [r, i]))

    const n = this.allRegions.length
    this.#rtt = new Float64Array(n * n).fill(Number.NaN)
    this.#source = new Array<RttSource>(n * n).fill('median')
    const cell = (a: string, b: string) => directed.get(a)?.get(b)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const a = this.allRegions[i] as string
        const b = this.allRegions[j] as string
        const ab = cell(a, b)
        const ba = cell(b, a)
        if (i === j) this.#set(i, j, SAME_REGION_RTT_MS, 'same-region')
        else if (ab !== undefined && ba !== undefined)
          this.#set(i, j, (ab + ba) / 2, 'both-directions')
        else if (ab !== undefined || ba !== undefined)
          this.#set(i, j, (ab ?? ba) as number, 'one-direction')
      }
    }
    // Estimates use measured legs only, so one estimate never feeds another.
    const measured = this.#rtt.slice()
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (!Number.isNaN(measured[i * n + j] as number)) continue
        let best = Number.POSITIVE_INFINITY
        for (let k = 0; k < n; k++) {
          if (k === i || k === j) continue
          const via = (measured[i * n + k] as number) + (measured[k * n + j] as number)
          if (via < best) best = via
        }
        if (Number.isFinite(best)) this.#set(i, j, best, 'two-hop')
        else this.#set(i, j, this.medianMs, 'median')
      }
    }
  }

  /** Parses the CSV: header `Source,<dest>…`, one row per source region, empty cell = unknown. */
  static parse(csv: string): RegionRtt {
    const lines = csv
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l) => l.length > 0)
    const [header, ...rows] = lines
    if (header === undefined || rows.length === 0) throw new Error('RTT CSV has no rows')
    if (header.includes('"')) throw new Error('quoted CSV fields are not supported')
    const columns = header.split(',').slice(1)
    const directed = new Map<string, Map<string, number>>()
    for (const [r, line] of rows.entries()) {
      const fields = line.split(',')
      if (fields.length !== columns.length + 1) {
        throw new Error(
          `RTT CSV row ${r + 2}: ${fields.length} fields, expected ${columns.length + 1}`,
        )
      }
      const from = fields[0] as string
      const row = new Map<string, number>()
      for (const [c, text] of fields.slice(1).entries()) {
        if (text === '') continue
        if (!/^\d+(\.\d+)?$/.test(text)) throw new Error(`RTT CSV row ${r + 2}: bad cell "${text}"`)
        const to = columns[c] as string
        if (to !== from) row.set(to, Number(text))
      }
      directed.set(from, row)
    }
    return new RegionRtt(directed)
  }

  static load(url: URL = AZURE_RTT_CSV): RegionRtt {
    return RegionRtt.parse(readFileSync(url, 'utf8'))
  }

  lookup(a: string, b: string): RttLookup {
    const k = this.#at(a) * this.allRegions.length + this.#at(b)
    return { rttMs: this.#rtt[k] as number, source: this.#source[k] as RttSource }
  }

  has(region: string): boolean {
    return this.#index.has(region)
  }

  /** Round-trip p50 in ms; rtt(a, b) === rtt(b, a). */
  rtt(a: string, b: string): number {
    return this.lookup(a, b).rttMs
  }

  #at(region: string): number {
    const i = this.#index.get(region)
    if (i === undefined) throw new RangeError(`unknown region "${region}"`)
    return i
  }

  #set(i: number, j: number, ms: number, source: RttSource): void {
    const n = this.allRegions.length
    this.#rtt[i * n + j] = ms
    this.#source[i * n + j] = source
  }
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

let azure: RegionRtt | undefined

/** The shared Azure matrix, parsed once per process. */
export function azureRegionRtt(): RegionRtt {
  azure ??= RegionRtt.load()
  return azure
}

export interface NodePlacement {
  readonly id: number
  readonly region: string
  /** One-way delay between the node and its region's backbone, paid at each end of a link. */
  readonly accessMs: number
}

export interface MsRange {
  readonly minMs: number
  readonly maxMs: number
}

/**
 * Cloud backbones beat servers on the public internet; each node pays this one way, so a link
 * gains 2–20 ms. The data README suggests 5–20 ms; pass `access` to use that.
 */
export const DEFAULT_ACCESS_MS: MsRange = { minMs: 1, maxMs: 10 }

export interface PlacementOptions {
  readonly regions?: readonly string[]
  readonly access?: MsRange
}

/**
 * Nodes 0…count−1, round-robin over a shuffled region list (so any N spreads evenly), each with
 * an access delay drawn from `access`. Same prng stream → same placement.
 */
export function placeNodes(
  count: number,
  matrix: RegionRtt,
  prng: Prng,
  options: PlacementOptions = {},
): NodePlacement[] {
  const regions = [...(options.regions ?? matrix.regions)].sort()
  if (regions.length === 0) throw new RangeError('no regions to place nodes in')
  for (const r of regions) if (!matrix.has(r)) throw new RangeError(`unknown region "${r}"`)
  const access = options.access ?? DEFAULT_ACCESS_MS
  prng.shuffle(regions)
  return Array.from({ length: count }, (_, id) => ({
    id,
    region: regions[id % regions.length] as string,
    accessMs: prng.range(access.minMs, access.maxMs),
  }))
}
