// Crash tests over the memory store: a write fails at a random point of a random sequence, and
// the store must hold exactly the state before that transition, never part of it; a node
// restarted from it, given the lost operation again, must end where an uncrashed node ends.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Ledger, MemoryStore, type Transition } from '../../src/core/index.ts'
import {
  arbScenario,
  dumpLedger,
  LedgerDriver,
  runScenario,
  type Scenario,
  storeImage,
} from '../support/ledger-model.ts'

class InjectedCrash extends Error {
  override readonly name = 'InjectedCrash'
}

/** Replays the operations before `opIndex` (the genesis transition always applies). */
async function replayPrefix(scenario: Scenario, opIndex: number): Promise<LedgerDriver> {
  const driver = LedgerDriver.create(scenario.universe)
  for (const op of scenario.ops.slice(0, opIndex)) await driver.apply(op)
  return driver
}

describe('Ledger crash consistency (memory store, injected write failures)', () => {
  it('a failed write leaves the store before the transition; restart and replay converge', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbScenario({ minOps: 5, maxOps: 30 }),
        fc.nat(),
        async (scenario, crashSeed) => {
          // The uncrashed run: how many writes there are, and where the node must end.
          const full = await runScenario(scenario)
          const crashAt = crashSeed % full.transitions.length

          let writes = 0
          const store = new MemoryStore({
            onWrite: () => {
              if (writes++ === crashAt) throw new InjectedCrash(`write ${crashAt}`)
            },
          })
          /** The operation whose batch was lost (-1: the genesis allocation). */
          let lostOp: number | undefined
          const persist = async (t: Transition, opIndex: number) => {
            const before = store.snapshot()
            try {
              await store.write(t.ops)
            } catch (err) {
              if (!(err instanceof InjectedCrash)) throw err
              // The failed batch left nothing behind.
              expect(store.snapshot()).toEqual(before)
              lostOp = opIndex
            }
          }
          const driver = LedgerDriver.create(scenario.universe)
          await persist(driver.transitions[0]!, -1)
          for (const [i, op] of scenario.ops.entries()) {
            if (lostOp !== undefined) break
            const outcome = await driver.apply(op)
            if (outcome.kind === 'applied') await persist(outcome.transition, i)
          }
          expect(lostOp).toBeDefined()
          expect(full.transitionOps[crashAt]).toBe(lostOp)

          // The process dies; its store, as it was, is opened by a new one.
          const disk = MemoryStore.fromSnapshot(store.snapshot())
          const reopened = await Ledger.open(disk, driver.options)
          if (lostOp === -1) {
            const empty = new Ledger(driver.options)
            expect(dumpLedger(reopened, [])).toEqual(dumpLedger(empty, []))
            return
          }
          // Exactly the state after the last transition that was written.
          const prefix = await replayPrefix(scenario, lostOp!)
          expect(dumpLedger(reopened, prefix.finalTxids())).toEqual(prefix.dump())
          expect(await storeImage(disk)).toEqual(prefix.storeImage())

          // The lost operation arrives again (a peer resends it), then the rest: same end state.
          const resumed = LedgerDriver.resume(prefix, reopened)
          for (const op of scenario.ops.slice(lostOp)) {
            const outcome = await resumed.apply(op)
            if (outcome.kind === 'applied') await disk.write(outcome.transition.ops)
          }
          expect(resumed.dump()).toEqual(full.dump())
          expect(await storeImage(disk)).toEqual(full.storeImage())
          const restarted = await Ledger.open(disk, driver.options)
          expect(dumpLedger(restarted, full.finalTxids())).toEqual(full.dump())
        },
      ),
      { numRuns: 100, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
    )
  }, 120_000)
})
