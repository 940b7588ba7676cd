// A real crash: a child process applies a seeded sequence and writes each transition's batch to
// LevelDB (`sync: false`), printing each index once written; the parent SIGKILLs it at a random
// moment, reopens the store and checks it holds exactly the state after some transition k at or
// past the last one reported — never a mix — and that a node restarted on it converges.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { Ledger, MemoryStore } from '../../src/core/index.ts'
import { openLevelStore } from '../../src/node/storage/index.ts'
import {
  dumpLedger,
  LedgerDriver,
  type LedgerDump,
  plain,
  runScenario,
  type Scenario,
  scenarioFromSeed,
  storeImage,
} from '../support/ledger-model.ts'

const CHILD = fileURLToPath(new URL('./fixtures/ledger-crash-child.ts', import.meta.url))
const RUNS = 5
const OPERATIONS = 300
const RUN_LIMIT_MS = 10_000
/** Override to replay a failure: LEDGER_CRASH_SEED=<seed printed by the failing run>. */
const BASE_SEED = Number(process.env.LEDGER_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))

/** mulberry32: a seeded PRNG for the kill moments. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** The state after each prefix of transitions: k = how many were written. */
interface Expected {
  readonly scenario: Scenario
  readonly full: LedgerDriver
  readonly images: string[][]
  readonly dumps: LedgerDump[]
}

async function replayInMemory(seed: number): Promise<Expected> {
  const scenario = scenarioFromSeed(seed, { minOps: OPERATIONS, maxOps: OPERATIONS })
  const memory = new MemoryStore()
  const images: string[][] = [[]]
  const dumps: LedgerDump[] = [
    dumpLedger(new Ledger(LedgerDriver.ledgerOptions(scenario.universe)), []),
  ]
  const full = await runScenario(scenario, {
    onStep: async (driver, _, outcome) => {
      if (outcome !== null && outcome.kind !== 'applied') return
      await memory.write(driver.transitions[driver.transitions.length - 1]!.ops)
      images.push(await storeImage(memory))
      dumps.push(driver.dump())
    },
  })
  return { scenario, full, images, dumps }
}

interface ChildRun {
  /** Highest transition index the child reported written (-1: none). */
  readonly reported: number
  /** The child finished before the kill. */
  readonly completed: boolean
}

/**
 * Runs the child on `dir` and SIGKILLs it `delayMs` after it reports transition `kill.at`
 * written or, with `intoWrite`, as soon as it reports starting that write.
 */
async function runChild(
  dir: string,
  seed: number,
  kill: { readonly at: number; readonly delayMs: number; readonly intoWrite: boolean },
) {
  const child = spawn(process.execPath, [CHILD, dir, String(seed), String(OPERATIONS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let reported = -1
  let completed = false
  let killing = false
  let stderr = ''
  let pending = ''
  const sigkill = () => {
    killing = true
    child.kill('SIGKILL')
  }
  const limit = setTimeout(sigkill, RUN_LIMIT_MS)
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString()
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      // Lines printed before the kill still count: each was true when printed.
      if (line === 'done') completed = true
      else if (line.startsWith('>')) {
        if (!killing && kill.intoWrite && Number(line.slice(1)) >= kill.at) sigkill()
      } else {
        reported = Math.max(reported, Number(line))
        if (!killing && !kill.intoWrite && reported >= kill.at) {
          killing = true
          setTimeout(sigkill, kill.delayMs)
        }
      }
    }
  })
  // 'close' waits for stdout to drain: every index printed before the kill is counted.
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  )
  clearTimeout(limit)
  if (signal !== 'SIGKILL' && code !== 0) {
    throw new Error(`child failed (code ${code}, signal ${signal}):\n${stderr}`)
  }
  return { reported, completed } satisfies ChildRun
}

describe('Ledger crash consistency (LevelDB, SIGKILL)', () => {
  it(`a killed node restarts to the state after one whole transition (base seed ${BASE_SEED})`, async () => {
    const random = prng(BASE_SEED)
    let killedMidway = 0
    for (let run = 0; run < RUNS; run++) {
      const seed = (BASE_SEED + run) | 0
      const expected = await replayInMemory(seed)
      const transitions = expected.full.transitions.length
      const kill = {
        at: Math.floor(random() * transitions),
        delayMs: Math.floor(random() * 4),
        // Every other run aims at a write in flight rather than at the work between writes.
        intoWrite: run % 2 === 0,
      }
      const context = `seed ${seed}, kill ${JSON.stringify(kill)}`

      const dir = await mkdtemp(join(tmpdir(), 'timecoin-ledger-crash-'))
      try {
        const { reported, completed } = await runChild(dir, seed, kill)
        if (!completed) killedMidway++
        // Every write before the one the kill aimed at was reported first (`k` comes before
        // `>k+1`): into write 0, nothing at all may have been written.
        expect(reported, `${context}: the child reported too little`).toBeGreaterThanOrEqual(
          kill.intoWrite ? kill.at - 1 : kill.at,
        )

        const store = await openLevelStore(dir)
        try {
          // Exactly the image after some k ≥ reported + 1 transitions: never a partial batch.
          const image = await storeImage(store)
          const matches = expected.images
            .map((im, k) => (k > reported && equal(im, image) ? k : -1))
            .filter((k) => k >= 0)
          expect(
            matches.length,
            `${context}: store is no transition prefix ≥ ${reported + 1}`,
          ).toBeGreaterThan(0)
          let k = matches[0]!
          if (k === 0) {
            // Killed inside its first write, the genesis allocation: nothing is durable, and the
            // restarted node writes that batch again, as `openEngine` does on an empty store.
            await store.write(expected.full.transitions[0]!.ops)
            k = 1
          }
          const reopened = await Ledger.open(store, expected.full.options)
          const txids = expected.full.finalTxids()
          expect(plain(reopened.summary()), context).toEqual(expected.dumps[k]!.summary)
          expect(dumpLedger(reopened, txids), context).toEqual(expected.dumps[k])
          expect(plain(reopened.utxos.rescan()), context).toEqual(plain(reopened.summary()))

          // The restarted node receives the lost operation again and the rest: same end state.
          const lostOp =
            k < transitions ? expected.full.transitionOps[k]! : expected.scenario.ops.length
          const prefix = LedgerDriver.create(expected.scenario.universe)
          for (const op of expected.scenario.ops.slice(0, lostOp)) await prefix.apply(op)
          const resumed = LedgerDriver.resume(prefix, reopened)
          for (const op of expected.scenario.ops.slice(lostOp)) {
            const outcome = await resumed.apply(op)
            if (outcome.kind === 'applied') await store.write(outcome.transition.ops)
          }
          expect(resumed.dump(), context).toEqual(expected.full.dump())
          expect(await storeImage(store), context).toEqual(expected.images[transitions])
        } finally {
          await store.close()
        }
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    }
    // The kills landed while the child was still writing (else this tested little).
    expect(killedMidway).toBeGreaterThan(0)
  }, 60_000)
})

function equal(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
