/** Public face of Node storage: the LevelDB adapter of the `Store` port. */
export { LevelStore, type LevelStoreOptions, openLevelStore } from './level-store.ts'
