// A snapshot install stopped by a crash, over @libp2p/memory (issue 10, point 9; docs/STORAGE.md
// "A snapshot being installed"): four masternodes make blocks with payments; a fresh node starts
// fetching a snapshot and is stopped once its chunk is stored but before the switch-over — the
// store as it was then is what survives. That store is refused by the engine (never read as a
// UTXO set); a node in snapshot mode on it resumes the install from its marker (the chunk is not
// fetched again), installs, opens its engine there and follows to the members' tip and UTXO
// commitment; a node opened on another copy in blocks mode discards the half-installed snapshot
// and syncs from genesis to the same chain. Every wait is bounded; every host and store is stopped
// after each test.
import { describe, expect, it } from 'vitest'
import {
  ensureStoreVersion,
  equalBytes,
  loadChainState,
  MemoryStore,
  MetaKey,
  type Store,
  type StoreEntry,
} from '../../../src/core/index.ts'
import type { Penalty } from '../../../src/core/net/index.ts'
import { engineFixture } from '../../support/engine-fixture.ts'
import { GENESIS_HASH, keyPair } from '../../support/ledger-fixture.ts'
import { addressesOf, type Masternode, startMasternode, until } from '../../support/net-engines.ts'
import {
  confirmedPayments,
  expectSameChain,
  type SnapshotHost,
  startSnapshotHost,
  stopHost,
  syncCluster,
  syncedTo,
  tipOf,
} from '../../support/net-sync.ts'

const owners = Array.from({ length: 8 }, (_, i) => keyPair(860 + i))
const fx = engineFixture('sync snapshot crash', 880, owners)

const { setup, committee } = syncCluster(fx)

function payments(members: readonly Masternode[]): Promise<void> {
  return confirmedPayments(fx, owners, members)
}

/** Resolves with the installed height (rejects after `ms`). */
function installed(host: SnapshotHost, ms = 20_000) {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no snapshot installed in ${ms} ms`)), ms)
    host.services.sync.addEventListener(
      'sync:installed',
      (e) => {
        clearTimeout(timer)
        resolve(e.detail.tip.height)
      },
      { once: true },
    )
  })
}

/**
 * A store that, the moment a batch holding the install marker lands (the first chunk stored),
 * takes what it holds: the disk a crash right then would leave. `crashed` resolves with it.
 */
function crashAfterFirstChunk(): { store: Store; crashed: Promise<StoreEntry[]> } {
  const inner = new MemoryStore()
  let taken: ((image: StoreEntry[]) => void) | undefined
  const crashed = new Promise<StoreEntry[]>((resolve) => {
    taken = resolve
  })
  const store: Store = {
    get: (key) => inner.get(key),
    has: (key) => inner.has(key),
    put: (key, value, opts) => inner.put(key, value, opts),
    delete: (key, opts) => inner.delete(key, opts),
    iterate: (opts) => inner.iterate(opts),
    close: () => inner.close(),
    write: async (ops, opts) => {
      await inner.write(ops, opts)
      const marker = ops.some((o) => o.type === 'put' && equalBytes(o.key, MetaKey.snapshotStage))
      if (marker && taken !== undefined) {
        taken(inner.snapshot())
        taken = undefined
      }
    },
  }
  return { store, crashed }
}

describe('a snapshot install stopped by a crash', () => {
  it('is refused by the engine, resumed where it stopped, and installs to the same chain', async () => {
    const s = setup()
    const members = await committee(s)
    await payments(members)
    await until(() => tipOf(members[0]!).height >= 6, 'six blocks', 20_000)

    // The crash: what the store held when its first chunk landed is all that survives.
    const { store, crashed } = crashAfterFirstChunk()
    const penalties: Penalty[] = []
    const first = await startSnapshotHost(s, store, penalties)
    await first.dial(addressesOf(members[0]!.host, 'memory'))
    const image = await crashed
    await stopHost(first)
    const disk = MemoryStore.fromSnapshot(image)
    expect(await disk.get(MetaKey.dbVersion)).toBeUndefined()
    expect(await disk.get(MetaKey.snapshotStage)).toBeDefined()
    await expect(ensureStoreVersion(MemoryStore.fromSnapshot(image))).rejects.toMatchObject({
      code: 'STORE_VERSION_MISSING',
    })

    // Reopened in snapshot mode: the install goes on from its marker.
    const second = await startSnapshotHost(s, disk, penalties)
    const done = installed(second)
    await second.dial(addressesOf(members[0]!.host, 'memory'))
    await second.dial(addressesOf(members[1]!.host, 'memory'))
    const height = await done
    const stats = second.services.sync.stats()
    expect(stats.resumedAt).toBe(1)
    expect(stats.chunksStored).toBe(0)
    await stopHost(second)
    expect(await disk.get(MetaKey.snapshotStage)).toBeUndefined()
    expect((await loadChainState(disk, GENESIS_HASH)).tip.height).toBe(height)

    // Its engine opens there and follows to the members' tip.
    const fresh = await startMasternode(s, keyPair(890), { store: disk, sync: {} })
    const target = tipOf(members[0]!).height
    await until(() => syncedTo(fresh) >= target, `the resumed node at ${target}`, 20_000)
    await expectSameChain(fresh, members[0]!)

    // Another copy of the crashed store, opened in blocks mode: the half-installed snapshot is
    // discarded and the node syncs every block from genesis to the same chain.
    const otherStore = MemoryStore.fromSnapshot(image)
    const other = await startMasternode(s, keyPair(891), {
      store: otherStore,
      sync: { rangeSize: 8 },
    })
    expect(await otherStore.get(MetaKey.snapshotStage)).toBeUndefined()
    const target2 = tipOf(members[0]!).height
    await until(() => syncedTo(other) >= target2, `the discarding node at ${target2}`, 20_000)
    await expectSameChain(other, members[0]!)
    // Every block from the first: it started from genesis, not from the snapshot.
    expect(other.sync!.stats().blocksApplied).toBeGreaterThanOrEqual(target2)
    for (const n of [fresh, other]) {
      expect(n.alarms).toEqual([])
      expect(n.penalties).toEqual([])
    }
    expect(penalties).toEqual([])
    console.info(JSON.stringify({ snapshotHeight: height, resumedAt: stats.resumedAt }))
  })
})
