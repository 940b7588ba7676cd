// Benchmark helpers: run an operation for a minimum wall time and report operations per second.
// Benchmarks print JSON and write bench/results/<name>.json; they never gate CI on a time.
import { mkdirSync, writeFileSync } from 'node:fs'
import { arch, cpus, platform } from 'node:os'

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 1000)

/** Calls `op` (which performs `batch` operations per call) until MIN_MS elapse; returns ops/s. */
export async function opsPerSecond(op: () => unknown, batch = 1): Promise<number> {
  for (let i = 0; i < 3; i++) await op() // warm up
  let n = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < MIN_MS) {
    await op()
    n += batch
    elapsed = performance.now() - start
  }
  return Math.round((n * 1000) / elapsed)
}

export function environment() {
  return {
    node: process.version,
    platform: `${platform()}-${arch()}`,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
  }
}

export function report(name: string, result: Record<string, unknown>): void {
  const out = { bench: name, ...result, environment: environment() }
  const json = JSON.stringify(out, null, 2)
  process.stdout.write(`${json}\n`)
  const dir = new URL('./results/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  writeFileSync(new URL(`${name}.json`, dir), `${json}\n`)
}
