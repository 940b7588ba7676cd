// Same sequence, same state on every adapter: the batches of fixed generated sequences written
// to IndexedDB (in Chromium) and to the memory store reopen to the same ledger.
import { deleteDB } from 'idb'
import { describe, expect, it } from 'vitest'
import { openIdbStore } from '../../src/browser/storage/index.ts'
import { Ledger, MemoryStore } from '../../src/core/index.ts'
import { adapterScenarios, dumpLedger, runScenario, storeImage } from '../support/ledger-model.ts'

describe('Ledger on IndexedDB = Ledger on the memory store', () => {
  for (const [i, scenario] of adapterScenarios().entries()) {
    it(`fixed sequence ${i} (${scenario.ops.length} operations)`, async () => {
      const driver = await runScenario(scenario)
      const txids = driver.finalTxids()
      const name = `timecoin-ledger-${crypto.randomUUID()}`
      const memory = new MemoryStore()
      let idb = await openIdbStore(name)
      try {
        for (const [k, t] of driver.transitions.entries()) {
          await memory.write(t.ops)
          await idb.write(t.ops, { sync: k % 2 === 0 })
        }
        expect(await storeImage(idb)).toEqual(await storeImage(memory))
        const fromMemory = await Ledger.open(memory, driver.options)
        const fromIdb = await Ledger.open(idb, driver.options)
        expect(dumpLedger(fromMemory, txids)).toEqual(driver.dump())
        expect(dumpLedger(fromIdb, txids)).toEqual(dumpLedger(fromMemory, txids))

        // And from the database alone, after it is closed and opened again.
        await idb.close()
        idb = await openIdbStore(name)
        expect(dumpLedger(await Ledger.open(idb, driver.options), txids)).toEqual(driver.dump())
      } finally {
        await idb.close()
        await deleteDB(name)
      }
    })
  }
})
