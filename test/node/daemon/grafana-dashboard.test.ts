// docs/grafana/timecoin-dashboard.json against the daemon's metrics (src/node/daemon/metrics.ts):
// every metric a panel or variable queries exists in the node's registry (a histogram as its
// _bucket, _sum and _count series), and every metric the node defines itself is charted.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Histogram } from 'prom-client'
import { describe, expect, it } from 'vitest'
import type { AssembledNode } from '../../../src/node/daemon/assemble.ts'
import { METRICS_PREFIX, nodeMetrics } from '../../../src/node/daemon/metrics.ts'

const DASHBOARD = join(import.meta.dirname, '../../../docs/grafana/timecoin-dashboard.json')

interface Target {
  readonly expr?: string
}
interface Panel {
  readonly type: string
  readonly title: string
  readonly targets?: readonly Target[]
  readonly panels?: readonly Panel[]
}
interface Dashboard {
  readonly title: string
  readonly uid: string
  readonly panels: readonly Panel[]
  readonly templating: {
    readonly list: readonly { readonly name: string; readonly definition?: string }[]
  }
}

/** The series names an expression reads (its identifiers with the node's prefix). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\btimecoin_[a-z0-9_]+\b/g)].map((m) => m[0])
}

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])])
}

/** The series the node's registry exposes. Nothing is scraped: the services are never asked. */
function exportedSeries(): { all: Set<string>; own: Set<string> } {
  // The metrics read the node only when scraped, so an empty stand-in registers them all.
  const node = { host: {}, engine: {}, service: {} } as unknown as AssembledNode
  const { registry } = nodeMetrics(node, { storeDir: '/nonexistent' })
  const all = new Set<string>()
  const own = new Set<string>()
  for (const metric of registry.getMetricsAsArray()) {
    const name = (metric as unknown as { name: string }).name
    const series =
      metric instanceof Histogram ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]
    for (const s of series) all.add(s)
    if (!/^timecoin_(process|nodejs)_/.test(name)) own.add(name)
  }
  return { all, own }
}

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard
  const panels = allPanels(dashboard.panels)
  const exprs = [
    ...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')),
    ...dashboard.templating.list.map((v) => v.definition ?? ''),
  ]
  const queried = new Set(exprs.flatMap(metricNames))

  it('queries only metrics the daemon exports', () => {
    const { all } = exportedSeries()
    expect(queried.size).toBeGreaterThan(10)
    const missing = [...queried].filter((m) => !all.has(m))
    expect(missing).toEqual([])
  })

  it('charts every metric the node defines (its own, beside Node’s process metrics)', () => {
    const { own } = exportedSeries()
    const charted = (name: string) =>
      [...queried].some((q) => q === name || q.startsWith(`${name}_`))
    expect([...own].filter((m) => !charted(m))).toEqual([])
    expect(own.has(`${METRICS_PREFIX}store_bytes`)).toBe(true)
  })

  it('is a dashboard Grafana imports: a uid, a title, a Prometheus datasource variable, panels with queries', () => {
    expect(dashboard.uid).toBe('timecoin-node')
    expect(dashboard.title).toBe('TIME Coin node')
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance'])
    for (const p of panels.filter((p) => p.type !== 'row')) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0)
      for (const t of p.targets!) expect(metricNames(t.expr ?? ''), p.title).not.toEqual([])
    }
  })

  it('writes each query with balanced brackets and a known function or a bare metric', () => {
    const functions = new Set([
      'histogram_quantile',
      'sum',
      'max',
      'count',
      'rate',
      'increase',
      'clamp_min',
      'label_values',
    ])
    for (const e of exprs) {
      const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' }
      const stack: string[] = []
      for (const c of e.replace(/"[^"]*"/g, '""')) {
        if ('([{'.includes(c)) stack.push(c)
        else if (c in pairs) expect(stack.pop(), e).toBe(pairs[c])
      }
      expect(stack, e).toEqual([])
      for (const [, name] of e.matchAll(/\b([a-z_]+)\s*\(/g))
        if (name !== 'by') expect(functions.has(name!), `${name} in ${e}`).toBe(true)
    }
  })

  it('reads the finality histogram as quantiles (p50, p90, p99)', () => {
    const quantiles = exprs
      .filter((e) => e.includes('timecoin_finality_seconds_bucket'))
      .map((e) => /histogram_quantile\((0\.\d+)/.exec(e)?.[1])
    expect(new Set(quantiles)).toEqual(new Set(['0.5', '0.9', '0.99']))
  })
})
