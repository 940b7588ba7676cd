// Summarizes a V8 .cpuprofile (from `node --cpu-prof`, or the inspector's Profiler.stop) as JSON:
// the top N functions by self time, each with its inclusive (total) time, both in ms and as a
// share of the busy (non-idle) time.
//
//   node bench/profile-summary.ts <file.cpuprofile> [--top 15] [--sort self|total] [--by function|file]
//
// Self time: each sample is charged the interval until the next sample (as DevTools does) to
// the function on top of the stack. Total time: the same interval charged once to every distinct
// function on the stack (recursion is not counted twice). Functions are keyed by name, file and
// line; `--by file` folds them per source file instead. Paths are shown relative to the working
// directory (node_modules packages as `pkg:<name>/…`).
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: readonly number[]
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly startTime: number
  readonly endTime: number
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

export interface FunctionCost {
  readonly name: string
  readonly location: string
  readonly selfMs: number
  /** Share of the busy (non-idle) time. */
  readonly selfPct: number
  readonly totalMs: number
  readonly totalPct: number
}

export interface ProfileSummary {
  readonly durationMs: number
  readonly busyMs: number
  readonly idleMs: number
  readonly gcMs: number
  readonly top: readonly FunctionCost[]
}

/** Pseudo-frames V8 reports: never a JavaScript function. */
const IDLE = '(idle)'

function shortUrl(url: string): string {
  if (url === '') return ''
  let path = url
  if (url.startsWith('file://')) {
    try {
      path = fileURLToPath(url)
    } catch {
      return url
    }
  }
  const nm = path.lastIndexOf('/node_modules/')
  if (nm !== -1) return `pkg:${path.slice(nm + '/node_modules/'.length)}`
  return path.startsWith('/') ? relative(process.cwd(), path) : path
}

export function summarizeProfile(
  profile: CpuProfile,
  opts: { top?: number; sort?: 'self' | 'total'; by?: 'function' | 'file' } = {},
): ProfileSummary {
  const top = opts.top ?? 15
  const by = opts.by ?? 'function'
  const parent = new Map<number, number>()
  const keyOf = new Map<number, string>()
  const labels = new Map<string, { name: string; location: string }>()
  for (const n of profile.nodes) {
    for (const c of n.children ?? []) parent.set(c, n.id)
    const f = n.callFrame
    const file = shortUrl(f.url)
    const name = f.functionName === '' ? '(anonymous)' : f.functionName
    const pseudo = name.startsWith('(') && file === ''
    const location = file === '' ? '' : by === 'file' ? file : `${file}:${f.lineNumber + 1}`
    const key = by === 'file' && !pseudo ? location || name : `${name} ${location}`
    keyOf.set(n.id, key)
    if (!labels.has(key)) labels.set(key, { name: by === 'file' && !pseudo ? '' : name, location })
  }
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  let idle = 0
  let sampled = 0
  const { samples, timeDeltas } = profile
  for (let i = 0; i < samples.length; i++) {
    // The interval until the next sample belongs to this one (the last gets its own delta).
    const dt = (timeDeltas[i + 1] ?? timeDeltas[i] ?? 0) / 1000
    const id = samples[i]!
    const key = keyOf.get(id)!
    sampled += dt
    if (key.startsWith(IDLE)) {
      idle += dt
      continue
    }
    self.set(key, (self.get(key) ?? 0) + dt)
    const seen = new Set<string>()
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const k = keyOf.get(n)!
      if (seen.has(k)) continue
      seen.add(k)
      total.set(k, (total.get(k) ?? 0) + dt)
    }
  }
  const busy = sampled - idle
  const pct = (ms: number) => Number(((100 * ms) / Math.max(busy, 1e-9)).toFixed(1))
  const ms = (x: number) => Number(x.toFixed(1))
  const rank = opts.sort === 'total' ? total : self
  const rows = [...rank.entries()]
    .filter(([k]) => !(opts.sort === 'total' && k.startsWith('(root)')))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k]): FunctionCost => {
      const s = self.get(k) ?? 0
      const t = total.get(k) ?? 0
      return {
        ...labels.get(k)!,
        selfMs: ms(s),
        selfPct: pct(s),
        totalMs: ms(t),
        totalPct: pct(t),
      }
    })
  let gc = 0
  for (const [k, v] of self) if (k.startsWith('(garbage collector)')) gc += v
  return {
    durationMs: ms((profile.endTime - profile.startTime) / 1000),
    busyMs: ms(busy),
    idleMs: ms(idle),
    gcMs: ms(gc),
    top: rows,
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? undefined : process.argv[i + 1]
}

if (import.meta.main) {
  const file = process.argv[2]
  if (file === undefined || file.startsWith('--')) {
    process.stderr.write(
      'usage: node bench/profile-summary.ts <file.cpuprofile> [--top N] [--sort self|total] [--by function|file]\n',
    )
    process.exit(2)
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const summary = summarizeProfile(profile, {
    top: Number(arg('top') ?? 15),
    sort: arg('sort') === 'total' ? 'total' : 'self',
    by: arg('by') === 'file' ? 'file' : 'function',
  })
  process.stdout.write(`${JSON.stringify({ profile: file, ...summary }, null, 2)}\n`)
}
