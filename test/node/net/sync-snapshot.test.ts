// Snapshot sync over @libp2p/memory (issue 10, point 9): four masternodes make blocks with
// payments; a fresh node fetches the chain's UTXO set at a certified height in chunks, checks
// every block up to it (the registry and each epoch's committee) and the set's LtHash against that
// block's utxoCommitment, installs it into its empty store, then opens its engine there and
// follows blocks to the same tip and commitment. A peer serving a snapshot that does not match the
// commitment is penalized, its records are discarded, and the store stays empty until an honest
// peer's snapshot installs. Every wait is bounded; every host and store is stopped after each test.
import { describe, expect, it } from 'vitest'
import {
  Bucket,
  bytesToHex,
  decodeSyncMessage,
  encodeSyncMessage,
  loadChainState,
  MemoryStore,
  MetaKey,
  type Store,
  type SyncProgress,
} from '../../../src/core/index.ts'
import type { Penalty } from '../../../src/core/net/index.ts'
import { engineFixture } from '../../support/engine-fixture.ts'
import { GENESIS_HASH, keyPair } from '../../support/ledger-fixture.ts'
import { addressesOf, type Masternode, startMasternode, until } from '../../support/net-engines.ts'
import {
  commitmentAt,
  confirmedPayments,
  expectSameChain,
  type SnapshotHost,
  startSnapshotHost,
  startTamperingRelay,
  stopHost,
  syncCluster,
  syncedTo,
  tipOf,
} from '../../support/net-sync.ts'

const owners = Array.from({ length: 8 }, (_, i) => keyPair(760 + i))
const fx = engineFixture('sync snapshot', 780, owners)

const { setup, committee } = syncCluster(fx)

function payments(members: readonly Masternode[]): Promise<void> {
  return confirmedPayments(fx, owners, members)
}

/** Resolves with the installed tip and record count (rejects after `ms`). */
function installed(host: SnapshotHost, ms = 20_000) {
  return new Promise<{ height: number; records: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no snapshot installed in ${ms} ms`)), ms)
    host.services.sync.addEventListener(
      'sync:installed',
      (e) => {
        clearTimeout(timer)
        resolve({ height: e.detail.tip.height, records: e.detail.records })
      },
      { once: true },
    )
  })
}

async function count(store: Store, bucket: number): Promise<number> {
  let n = 0
  for await (const _ of store.iterate({ prefix: Uint8Array.of(bucket) })) n++
  return n
}

describe('snapshot sync', () => {
  it('a fresh node installs a verified snapshot, then follows blocks to the same tip and UTXO commitment', async () => {
    const s = setup()
    const members = await committee(s)
    await payments(members)
    await until(() => tipOf(members[0]!).height >= 6, 'six blocks', 20_000)

    const store = new MemoryStore()
    const penalties: Penalty[] = []
    const progress: SyncProgress[] = []
    const snap = await startSnapshotHost(s, store, penalties)
    snap.services.sync.addEventListener('sync:progress', (e) => progress.push(e.detail))
    const done = installed(snap)
    await snap.dial(addressesOf(members[0]!.host, 'memory'))
    await snap.dial(addressesOf(members[1]!.host, 'memory'))
    const { height, records } = await done
    expect(height).toBeGreaterThanOrEqual(6)
    // Progress for a progress bar: the chunks (one: a small set), then heights up to the snapshot's.
    expect(progress.some((p) => p.totalChunks === 1 && p.chunks === 1)).toBe(true)
    expect(progress.at(-1)!.height).toBe(height)
    await stopHost(snap)

    // The store holds the snapshot's chain state: its tip, its records, no history below it.
    const state = await loadChainState(store, GENESIS_HASH)
    expect(state.tip.height).toBe(height)
    expect(await count(store, Bucket.utxo)).toBe(records)
    expect(await store.get(MetaKey.chainLtHash)).toBeDefined()
    expect(bytesToHex(state.utxos!.digest())).toBe(await commitmentAt(members[0]!, height))

    // Its engine opens there and follows blocks from height + 1.
    const fresh = await startMasternode(s, keyPair(790), { store, sync: {} })
    const engine = fresh.engine.runtime.engine
    expect(engine.ledger.summary().count).toBe(records)
    expect(bytesToHex(engine.ledger.summary().commitment)).toBe(
      await commitmentAt(members[0]!, height),
    )
    const target = tipOf(members[0]!).height
    await until(() => syncedTo(fresh) >= target, `the fresh node at ${target}`, 20_000)
    await expectSameChain(fresh, members[0]!)
    expect(penalties).toEqual([])
    expect(fresh.penalties).toEqual([])
    expect(fresh.alarms).toEqual([])
  })

  it('a snapshot that does not match its commitment costs its peer and is discarded; an honest one installs', async () => {
    const s = setup()
    const members = await committee(s)
    await payments(members)
    await until(() => tipOf(members[0]!).height >= 4, 'four blocks', 20_000)
    // A relay passing member 0's answers on, one output's value in every chunk raised by 1.
    const bad = await startTamperingRelay(members[0]!, (_request, frame, i) => {
      const m = i === 1 ? decodeSyncMessage(frame) : undefined
      if (m?.type !== 'SnapshotChunk' || m.records.length === 0) return frame
      const [first, ...rest] = m.records
      const raised = { ...first!, output: { ...first!.output, value: first!.output.value + 1n } }
      return encodeSyncMessage({ ...m, records: [raised as typeof first & {}, ...rest] })
    })
    const store = new MemoryStore()
    const penalties: Penalty[] = []
    const snap = await startSnapshotHost(s, store, penalties)
    await snap.dial(addressesOf(bad, 'memory'))
    await until(() => penalties.length > 0, 'the bad peer penalized')
    expect(penalties.map((p) => [p.peer.toString(), p.code])).toEqual([
      [bad.peerId.toString(), 'SYNC_SNAPSHOT_MISMATCH'],
    ])
    // Nothing of it stays: no records, no version (an engine would refuse such a store).
    const deadline = performance.now() + 10_000
    while ((await count(store, Bucket.utxo)) > 0) {
      if (performance.now() > deadline) throw new Error('the records were not discarded')
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(await store.get(MetaKey.dbVersion)).toBeUndefined()

    const done = installed(snap)
    await snap.dial(addressesOf(members[2]!.host, 'memory'))
    const { height } = await done
    const state = await loadChainState(store, GENESIS_HASH)
    expect(bytesToHex(state.utxos!.digest())).toBe(await commitmentAt(members[2]!, height))
    expect(penalties).toHaveLength(1)
  })
})
