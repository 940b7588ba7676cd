import { deleteDB } from 'idb'
import { openIdbStore } from '../../src/browser/storage/index.ts'
import { storeConformance } from '../storage/conformance.ts'

storeConformance(
  'IdbStore',
  async () => {
    const name = `timecoin-test-${crypto.randomUUID()}`
    return {
      store: await openIdbStore(name),
      reopen: () => openIdbStore(name),
      cleanup: () => deleteDB(name),
    }
  },
  { propertyRuns: 30 },
)
