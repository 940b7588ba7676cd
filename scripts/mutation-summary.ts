// Summarizes StrykerJS's JSON report (reports/mutation/mutation.json, written by `npm run
// mutation`) as a Markdown table per mutated file, and with `--survivors` lists every mutant that
// survived or had no test covering it (file:line, mutator, replacement). docs/TESTING.md.
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

const path = process.argv.find((a) => a.endsWith('.json')) ?? 'reports/mutation/mutation.json'
const report = JSON.parse(readFileSync(path, 'utf8')) as Report

const counts = (mutants: readonly Mutant[]) => {
  const n = (status: string) => mutants.filter((m) => m.status === status).length
  const killed = n('Killed')
  const timeout = n('Timeout')
  const survived = n('Survived')
  const noCoverage = n('NoCoverage')
  const detected = killed + timeout
  const valid = detected + survived + noCoverage
  const score = valid === 0 ? 100 : (100 * detected) / valid
  return { killed, timeout, survived, noCoverage, ignored: n('Ignored'), valid, score }
}

const files = Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))
const row = (name: string, mutants: readonly Mutant[]) => {
  const c = counts(mutants)
  return `| ${name} | ${c.score.toFixed(1)} | ${c.valid} | ${c.killed} | ${c.timeout} | ${c.survived} | ${c.noCoverage} | ${c.ignored} |`
}
const lines = [
  '| file | score % | mutants | killed | timeout | survived | no coverage | ignored |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...files.map(([name, f]) => row(`\`${name}\``, f.mutants)),
  row(
    '**all**',
    files.flatMap(([, f]) => f.mutants),
  ),
]
console.log(lines.join('\n'))

if (process.argv.includes('--survivors')) {
  for (const [name, f] of files) {
    const left = f.mutants
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
