// Same sequence, same state on every adapter: the batches of fixed generated sequences written
// to LevelDB and to the memory store reopen to the same ledger (and the IndexedDB twin of this
// file runs in Chromium).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Ledger, MemoryStore } from '../../src/core/index.ts'
import { openLevelStore } from '../../src/node/storage/index.ts'
import { adapterScenarios, dumpLedger, runScenario, storeImage } from '../support/ledger-model.ts'

describe('Ledger on LevelDB = Ledger on the memory store', () => {
  for (const [i, scenario] of adapterScenarios().entries()) {
    it(`fixed sequence ${i} (${scenario.ops.length} operations)`, async () => {
      const driver = await runScenario(scenario)
      const txids = driver.finalTxids()
      const dir = await mkdtemp(join(tmpdir(), 'timecoin-ledger-'))
      const memory = new MemoryStore()
      let level = await openLevelStore(dir)
      try {
        for (const [k, t] of driver.transitions.entries()) {
          await memory.write(t.ops)
          await level.write(t.ops, { sync: k % 2 === 0 })
        }
        expect(await storeImage(level)).toEqual(await storeImage(memory))
        const fromMemory = await Ledger.open(memory, driver.options)
        const fromLevel = await Ledger.open(level, driver.options)
        expect(dumpLedger(fromMemory, txids)).toEqual(driver.dump())
        expect(dumpLedger(fromLevel, txids)).toEqual(dumpLedger(fromMemory, txids))

        // And from the files alone, after the database is closed and opened again.
        await level.close()
        level = await openLevelStore(dir)
        expect(dumpLedger(await Ledger.open(level, driver.options), txids)).toEqual(driver.dump())
      } finally {
        await level.close()
        await rm(dir, { recursive: true, force: true })
      }
    })
  }
})
