// Summarizes a StrykerJS JSON report (`npm run mutation` writes reports/mutation/mutation.json) as
// the figures kept in bench/results/mutation.json: per mutated file and in total, the mutants
// killed, timed out, surviving, with no coverage and ignored, and the mutation score —
// (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker counts it; ignored
// mutants (error-message text, test/mutation/ignore-error-messages.js) and compile errors are
// left out of it. Also lists every survivor and uncovered mutant (file:line and mutator), the list
// docs/TESTING.md ("Mutation testing") explains.
//
//   node bench/mutation-summary.ts [report.json] [--commit <sha>] [--duration-s <n>] [--list]
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

interface ReportMutant {
  readonly mutatorName: string
  readonly status: string
  readonly location: { readonly start: { readonly line: number; readonly column: number } }
  readonly replacement?: string
}

interface Report {
  readonly files: Readonly<Record<string, { readonly mutants: readonly ReportMutant[] }>>
}

interface Counts {
  killed: number
  timeout: number
  survived: number
  noCoverage: number
  ignored: number
  errors: number
  score: number
}

const STATUS: Readonly<Record<string, keyof Omit<Counts, 'score'>>> = {
  Killed: 'killed',
  Timeout: 'timeout',
  Survived: 'survived',
  NoCoverage: 'noCoverage',
  Ignored: 'ignored',
  CompileError: 'errors',
  RuntimeError: 'errors',
}

function empty(): Counts {
  return { killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0, score: 0 }
}

function withScore(c: Counts): Counts {
  const detected = c.killed + c.timeout
  const valid = detected + c.survived + c.noCoverage
  return { ...c, score: valid === 0 ? 100 : Math.round((10_000 * detected) / valid) / 100 }
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

const positional = process.argv
  .slice(2)
  .find((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'))
const reportPath = positional ?? 'reports/mutation/mutation.json'
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report
const total = empty()
const files: Record<string, Counts> = {}
const left: string[] = []
for (const [file, { mutants }] of Object.entries(report.files).sort(([a], [b]) =>
  a.localeCompare(b),
)) {
  const c = empty()
  for (const m of mutants) {
    const key = STATUS[m.status]
    if (key === undefined) continue
    c[key]++
    total[key]++
    if (m.status === 'Survived' || m.status === 'NoCoverage')
      left.push(
        `${file}:${m.location.start.line} ${m.mutatorName} ${m.status} ${JSON.stringify(m.replacement ?? '')}`,
      )
  }
  files[file] = withScore(c)
}
const commit =
  option('--commit') ?? execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
const duration = option('--duration-s')
const summary = {
  bench: 'mutation',
  tool: 'StrykerJS (vitest runner, perTest coverage; stryker.config.json)',
  commit,
  date: new Date().toISOString(),
  ...(duration === undefined ? {} : { durationSeconds: Number(duration) }),
  total: withScore(total),
  files,
  ...(process.argv.includes('--list') ? { left } : {}),
}
console.log(JSON.stringify(summary, null, 2))
