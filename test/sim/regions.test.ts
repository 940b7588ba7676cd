// The Azure RTT matrix as the simulator reads it: faithful to every measured cell, symmetric,
// defined for every pair, and node placement that is even and replayable.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Prng } from './prng.ts'
import {
  AZURE_RTT_CSV,
  azureRegionRtt,
  DEFAULT_ACCESS_MS,
  EXCLUDED_REGIONS,
  placeNodes,
  RegionRtt,
  SAME_REGION_RTT_MS,
} from './regions.ts'

/** The directed cells, parsed independently of RegionRtt. */
function rawCells(): Map<string, number> {
  const [header, ...rows] = readFileSync(AZURE_RTT_CSV, 'utf8').trim().split(/\r?\n/)
  const columns = (header as string).split(',')
  const cells = new Map<string, number>()
  for (const row of rows) {
    const fields = row.split(',')
    for (let c = 1; c < fields.length; c++) {
      if (fields[c] !== '') cells.set(`${fields[0]}|${columns[c]}`, Number(fields[c]))
    }
  }
  return cells
}

describe('RegionRtt (Azure p50)', () => {
  const m = azureRegionRtt()

  it('names every region of the file and places nodes in all but the two the README drops', () => {
    expect(m.allRegions).toHaveLength(51)
    expect(m.regions).toHaveLength(49)
    for (const r of EXCLUDED_REGIONS) {
      expect(m.allRegions).toContain(r)
      expect(m.regions).not.toContain(r)
    }
    // A column with no row is still a region: its RTTs come from the other direction.
    expect(m.regions).toContain('West India')
    expect(m.medianMs).toBe(149) // the README's median over all cells
  })

  it('agrees with every measured cell to within half the ≤ 6 ms asymmetry, and is symmetric', () => {
    const cells = rawCells()
    expect(cells.size).toBeGreaterThan(2000)
    for (const [key, ms] of cells) {
      const [a, b] = key.split('|') as [string, string]
      if (a === b) continue
      const back = cells.get(`${b}|${a}`)
      expect(m.rtt(a, b)).toBe(back === undefined ? ms : (ms + back) / 2)
      expect(Math.abs(m.rtt(a, b) - ms)).toBeLessThanOrEqual(3)
      expect(m.rtt(b, a)).toBe(m.rtt(a, b))
    }
  })

  it('looks up a known pair, a one-direction pair and the same region', () => {
    // West Europe → East US 85 ms, East US → West Europe 83 ms.
    expect(m.lookup('West Europe', 'East US')).toEqual({ rttMs: 84, source: 'both-directions' })
    // Malaysia West → Poland Central is empty; the reverse cell is 177 ms.
    expect(m.lookup('Malaysia West', 'Poland Central')).toEqual({
      rttMs: 177,
      source: 'one-direction',
    })
    expect(m.lookup('Japan East', 'Japan East')).toEqual({
      rttMs: SAME_REGION_RTT_MS,
      source: 'same-region',
    })
    expect(() => m.rtt('Atlantis', 'East US')).toThrow(/unknown region/)
  })

  it('estimates a pair measured in neither direction by the best measured two-hop path', () => {
    const est = m.lookup('West India', 'Malaysia West')
    expect(est.source).toBe('two-hop')
    // The shortest path through one region measured from both ends (near Central India, 5 ms
    // from West India). Measured RTTs break the triangle inequality, so this is an estimate only.
    const measured = (a: string, b: string) => {
      const { source } = m.lookup(a, b)
      return source === 'both-directions' || source === 'one-direction'
    }
    const paths = m.allRegions
      .filter((k) => measured('West India', k) && measured(k, 'Malaysia West'))
      .map((k) => m.rtt('West India', k) + m.rtt(k, 'Malaysia West'))
    expect(est.rttMs).toBe(Math.min(...paths))
    expect(est.rttMs).toBeLessThanOrEqual(
      m.rtt('West India', 'Central India') + m.rtt('Central India', 'Malaysia West'),
    )
    // Every placeable pair is measured or estimated from measurements, never the blind median.
    for (const a of m.regions) {
      for (const b of m.regions) expect(m.lookup(a, b).source).not.toBe('median')
    }
  })

  it('falls back to the median of all cells when no two-hop path exists', () => {
    const csv = 'Source,A,B,C,D\nA,,10,,\nB,12,,30,\nC,,,,\nD,,,,\n'
    const small = RegionRtt.parse(csv)
    expect(small.lookup('A', 'B')).toEqual({ rttMs: 11, source: 'both-directions' })
    expect(small.lookup('A', 'C')).toEqual({ rttMs: 41, source: 'two-hop' })
    expect(small.lookup('A', 'D')).toEqual({ rttMs: 12, source: 'median' })
    expect(() => RegionRtt.parse('Source,A\nA,x\n')).toThrow(/bad cell/)
    expect(() => RegionRtt.parse('Source,A,B\nA,1\n')).toThrow(/fields/)
  })
})

describe('placeNodes', () => {
  const m = azureRegionRtt()

  it('spreads nodes round-robin over a shuffled region list, replayably', () => {
    const placed = placeNodes(98, m, Prng.fromSeed(1))
    expect(placeNodes(98, m, Prng.fromSeed(1))).toEqual(placed)
    expect(placeNodes(98, m, Prng.fromSeed(2))).not.toEqual(placed)
    const perRegion = new Map<string, number>()
    for (const p of placed) perRegion.set(p.region, (perRegion.get(p.region) ?? 0) + 1)
    expect(perRegion.size).toBe(49)
    expect([...perRegion.values()].every((n) => n === 2)).toBe(true)
    expect(placed.map((p) => p.id)).toEqual(Array.from({ length: 98 }, (_, i) => i))
    for (const p of placed) {
      expect(p.accessMs).toBeGreaterThanOrEqual(DEFAULT_ACCESS_MS.minMs)
      expect(p.accessMs).toBeLessThan(DEFAULT_ACCESS_MS.maxMs)
    }
  })

  it('takes a region subset and an access range', () => {
    const regions = ['East US', 'West Europe', 'Southeast Asia']
    const placed = placeNodes(7, m, Prng.fromSeed(3), { regions, access: { minMs: 5, maxMs: 20 } })
    expect(new Set(placed.map((p) => p.region))).toEqual(new Set(regions))
    expect(placed.every((p) => p.accessMs >= 5 && p.accessMs < 20)).toBe(true)
    expect(() => placeNodes(1, m, Prng.fromSeed(3), { regions: ['Atlantis'] })).toThrow(
      expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/Atlantis/) }),
    )
  })
})
