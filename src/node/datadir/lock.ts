/**
 * One process per data directory. The lock is LevelDB's own: opening the store takes an OS lock
 * (fcntl) on `chaindata/LOCK`, which the kernel drops when the process dies however it dies —
 * kill -9 and power loss included — so there is no stale lock to judge and no pid to trust (a pid
 * file alone can name a pid the system has since given to another process). The pid file beside
 * it only makes the refusal say who holds the directory. Invariants: `lockDatadir` resolves only
 * while holding the lock, with the store open; `release` removes the pid file only if it is ours,
 * then closes the store (which drops the lock).
 */
import { readFile, rm } from 'node:fs/promises'
import type { TimeCoinError } from '../../core/errors.ts'
import { DatadirError } from '../errors.ts'
import { type LevelStore, type LevelStoreOptions, openLevelStore } from '../storage/level-store.ts'
import { writeFileAtomic } from './atomic-file.ts'
import { type DatadirLayout, prepareDatadir } from './layout.ts'

export interface DatadirLock {
  readonly layout: DatadirLayout
  /** The node's store, open: holding it is holding the lock. */
  readonly store: LevelStore
  /** Removes the pid file and closes the store; idempotent. */
  release(): Promise<void>
}

async function holderPid(layout: DatadirLayout): Promise<number | undefined> {
  const text = await readFile(layout.pidFile, 'utf8').catch(() => '')
  const pid = Number(text.trim())
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
}

/**
 * Prepares the directory and takes its lock by opening the store; a second instance gets
 * DATADIR_LOCKED naming the directory and, when known, the holder's pid.
 */
export async function lockDatadir(
  layout: DatadirLayout,
  storeOptions: LevelStoreOptions = {},
): Promise<DatadirLock> {
  await prepareDatadir(layout)
  let store: LevelStore
  try {
    store = await openLevelStore(layout.chaindata, storeOptions)
  } catch (e) {
    if ((e as TimeCoinError).code !== 'STORE_LOCKED') throw e
    const pid = await holderPid(layout)
    const who =
      pid === undefined
        ? 'another timecoin process'
        : pid === process.pid
          ? 'this process (it is already open here)'
          : `another timecoin process (pid ${pid})`
    throw new DatadirError(
      'DATADIR_LOCKED',
      `the data directory ${layout.dir} is in use by ${who}: stop that node first, or give this one another --datadir`,
      undefined,
      { cause: e },
    )
  }
  await writeFileAtomic(layout.pidFile, `${process.pid}\n`, { mode: 0o644 })
  let released: Promise<void> | undefined
  return {
    layout,
    store,
    release() {
      released ??= (async () => {
        if ((await holderPid(layout)) === process.pid) await rm(layout.pidFile, { force: true })
        await store.close()
      })()
      return released
    },
  }
}
