/** Public face of browser storage: the IndexedDB adapter of the `Store` port. */
export { IdbStore, openIdbStore } from './idb-store.ts'
