// `npm run sim -- --runs 10000 [--first 1] [--workers 2]`: the big seeded campaign, spread over
// worker threads, printing one JSON summary. `SIM_SEED=<seed> npm run sim` replays one seed and
// prints its full report (violations and liveness failures included).
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { isMainThread, parentPort, Worker } from 'node:worker_threads'
import { SimFailure } from '../seed.ts'
import { addRun, type CampaignSummary, emptySummary, finish } from './campaign.ts'
import { type RunReport, runScenario, unfinishedRun } from './run.ts'
import { randomScenario } from './scenario.ts'

/** A worker asks for a seed, runs it, posts the report and asks again, until told `null`. */
async function work(): Promise<void> {
  const next = () =>
    new Promise<number | null>((resolve) => {
      parentPort!.once('message', resolve)
      parentPort!.postMessage({ want: true })
    })
  for (let seed = await next(); seed !== null; seed = await next()) {
    const scenario = randomScenario(seed)
    let report: RunReport
    try {
      report = await runScenario(scenario)
    } catch (e) {
      // A run that cannot finish (its event budget spent) counts as a liveness failure.
      if (!(e instanceof SimFailure)) throw e
      report = unfinishedRun(scenario, e.message)
    }
    parentPort!.postMessage({ scenario: { partition: scenario.partition }, report })
  }
}

async function main(): Promise<void> {
  const replay = process.env.SIM_SEED
  if (replay !== undefined) {
    const scenario = randomScenario(replay)
    const report = await runScenario(scenario)
    const { latencies, ...rest } = report
    process.stdout.write(
      `${JSON.stringify({ scenario, report: { ...rest, latencyCount: latencies.length } }, null, 2)}\n`,
    )
    process.exitCode = report.violations.length + report.liveness.length > 0 ? 1 : 0
    return
  }
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '1000' },
      first: { type: 'string', default: '1' },
      workers: { type: 'string', default: String(Math.max(1, availableParallelism())) },
    },
  })
  const runs = Number(values.runs)
  const first = Number(values.first)
  const workers = Math.min(Number(values.workers), runs)
  const summary: CampaignSummary = emptySummary()
  const latencies: number[] = []
  const start = performance.now()
  // Seeds are handed out one at a time, so a worker with long runs never holds up the rest.
  let handedOut = 0
  await Promise.all(
    Array.from({ length: workers }, () => {
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url))
        worker.on('message', (message) => {
          if ('want' in message) {
            worker.postMessage(handedOut < runs ? first + handedOut++ : null)
            return
          }
          const { scenario, report } = message
          addRun(summary, scenario, report, latencies)
          if (report.violations.length > 0 || report.liveness.length > 0) {
            process.stderr.write(
              `seed ${report.seed}: ${[...report.violations, ...report.liveness].join('; ')}\n`,
            )
          }
          if (summary.runs % 100 === 0) process.stderr.write(`${summary.runs}/${runs} runs\n`)
        })
        worker.on('error', reject)
        worker.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`)),
        )
      })
    }),
  )
  const result = finish(summary, latencies, performance.now() - start)
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  process.exitCode = result.violations > 0 ? 1 : 0
}

if (isMainThread) await main()
else await work()
