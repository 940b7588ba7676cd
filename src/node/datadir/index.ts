/**
 * Public face of the data directory: its layout, the instance lock (LevelDB's OS lock, robust to
 * kill -9), key files (0600, never overwritten) and atomic file replacement.
 */
export {
  type AtomicWriteOptions,
  restrictMode,
  syncDirectory,
  writeFileAtomic,
} from './atomic-file.ts'
export {
  KEY_FILE_FORMAT,
  KEY_FILE_VERSION,
  type KeyFile,
  type KeyRole,
  keyFileText,
  loadKeyFile,
  saveKeyFile,
} from './key-file.ts'
export { type DatadirLayout, datadirLayout, prepareDatadir } from './layout.ts'
export { type DatadirLock, lockDatadir } from './lock.ts'
