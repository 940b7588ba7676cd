// Summarizes StrykerJS's JSON reports (reports/mutation/mutation.json, written by `npm run
// mutation`; or several, one per file, from runs with `--mutate <file>`) as a Markdown table per
// mutated file. `--survivors` lists every mutant that survived or had no test covering it
// (file:line, mutator, replacement); `--json` prints the counts as JSON instead (the shape of
// bench/results/mutation.json, without its commit, date and duration). docs/TESTING.md.
import { readFileSync } from 'node:fs'

interface Mutant {
  readonly mutatorName: string
  readonly replacement?: string
  readonly status: string
  readonly location: { readonly start: { readonly line: number; readonly column: number } }
}

interface Report {
  readonly files: Record<string, { readonly mutants: readonly Mutant[] }>
}

const paths = process.argv.filter((a) => a.endsWith('.json'))
const reports = (paths.length > 0 ? paths : ['reports/mutation/mutation.json']).map(
  (path) => JSON.parse(readFileSync(path, 'utf8')) as Report,
)
// A later report's entry for a file replaces an earlier one's.
const byFile = new Map<string, readonly Mutant[]>()
for (const report of reports)
  for (const [name, f] of Object.entries(report.files)) byFile.set(name, f.mutants)

const counts = (mutants: readonly Mutant[]) => {
  const n = (status: string) => mutants.filter((m) => m.status === status).length
  const killed = n('Killed')
  const timeout = n('Timeout')
  const survived = n('Survived')
  const noCoverage = n('NoCoverage')
  const detected = killed + timeout
  const valid = detected + survived + noCoverage
  const score = valid === 0 ? 100 : (100 * detected) / valid
  return {
    killed,
    timeout,
    survived,
    noCoverage,
    ignored: n('Ignored'),
    errors: n('RuntimeError') + n('CompileError'),
    valid,
    score: Math.round(score * 10) / 10,
  }
}

const files = [...byFile.entries()].sort(([a], [b]) => a.localeCompare(b))
const all = files.flatMap(([, mutants]) => mutants)

if (process.argv.includes('--json')) {
  const summary = {
    files: Object.fromEntries(files.map(([name, mutants]) => [name, counts(mutants)])),
    overall: counts(all),
  }
  console.log(JSON.stringify(summary, null, 2))
} else {
  const row = (name: string, mutants: readonly Mutant[]) => {
    const c = counts(mutants)
    return `| ${name} | ${c.score.toFixed(1)} | ${c.valid} | ${c.killed} | ${c.timeout} | ${c.survived} | ${c.noCoverage} | ${c.ignored} |`
  }
  const lines = [
    '| file | score % | mutants | killed | timeout | survived | no coverage | ignored |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...files.map(([name, mutants]) => row(`\`${name}\``, mutants)),
    row('**all**', all),
  ]
  console.log(lines.join('\n'))
}

if (process.argv.includes('--survivors')) {
  for (const [name, mutants] of files) {
    const left = mutants
      .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
      .sort((a, b) => a.location.start.line - b.location.start.line)
    if (left.length === 0) continue
    console.log(`\n${name}`)
    for (const m of left) {
      const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80)
      console.log(
        `  ${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName}: ${replacement}`,
      )
    }
  }
}
