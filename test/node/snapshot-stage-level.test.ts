// A snapshot install stopped part-way, on LevelDB (src/core/sync/snapshot-store.ts, docs/STORAGE.md
// "A snapshot being installed"): chunks written with their marker survive closing and reopening
// the store; the reopened store is refused by the version check, resumed from its marker with the
// records' state intact, or — not resumed — discarded to an empty store. Every store is closed and
// its folder removed after each test.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { sha256 } from '../../src/core/crypto/sha256.ts'
import { chainUtxoState } from '../../src/core/ledger/chain-utxos.ts'
import type { Amount } from '../../src/core/primitives/amount.ts'
import { compareOutPoints } from '../../src/core/primitives/outpoint.ts'
import type { Txid } from '../../src/core/primitives/txid.ts'
import type { SnapshotRecord } from '../../src/core/protocol/sync-messages.ts'
import { Bucket } from '../../src/core/storage/keys.ts'
import type { Store } from '../../src/core/storage/store.ts'
import { ensureStoreVersion } from '../../src/core/storage/store-version.ts'
import { ChainSnapshot, SnapshotAssembly } from '../../src/core/sync/snapshot.ts'
import { openSnapshotStage, snapshotChunkOps } from '../../src/core/sync/snapshot-store.ts'
import { openLevelStore } from '../../src/node/storage/index.ts'

const records: SnapshotRecord[] = Array.from({ length: 10 }, (_, i) => ({
  outpoint: { txid: sha256(Uint8Array.of(9, i)) as Txid, vout: i },
  output: { value: BigInt(700 + i) as Amount, address: new Uint8Array(20).fill(i) as never },
  height: 3,
})).sort((a, b) => compareOutPoints(a.outpoint, b.outpoint))
const served = new ChainSnapshot(5, new Uint8Array(32), records, 3)

const open: Store[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function level(dir: string): Promise<Store> {
  const store = await openLevelStore(dir)
  open.push(store)
  return store
}

async function staged(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'timecoin-stage-'))
  dirs.push(dir)
  const store = await level(dir)
  const a = new SnapshotAssembly(5, 3)
  for (let index = 0; index < 2; index++) {
    const chunk = { height: 5, index, total: served.total, records: served.chunk(index)! }
    await store.write(snapshotChunkOps(a.accept('peer', chunk), a.staged))
  }
  await store.close()
  return dir
}

async function count(store: Store): Promise<number> {
  let n = 0
  for await (const _ of store.iterate({ prefix: Uint8Array.of(Bucket.utxo) })) n++
  return n
}

describe('a snapshot install on LevelDB, reopened part-way', () => {
  it('is refused by the version check and resumed from its marker', async () => {
    const store = await level(await staged())
    await expect(ensureStoreVersion(store)).rejects.toMatchObject({ code: 'STORE_VERSION_MISSING' })
    const stage = await openSnapshotStage(store, { resume: true })
    if (stage.kind !== 'staged') throw new Error(`expected a staged install, got ${stage.kind}`)
    expect(stage.progress).toMatchObject({ height: 5, total: 4, next: 2, count: 6 })
    expect(stage.progress.state.equals(chainUtxoState(records.slice(0, 6)))).toBe(true)
    expect(await count(store)).toBe(6)
  })

  it('not resumed, is discarded to an empty store', async () => {
    const store = await level(await staged())
    expect(await openSnapshotStage(store, { resume: false })).toEqual({ kind: 'empty' })
    for await (const _ of store.iterate()) throw new Error('the store is not empty')
  })
})
