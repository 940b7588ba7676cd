// Block sync over @libp2p/memory (issue 10, point 9): four masternodes make blocks with payments
// and a committee change (member 3 deregisters), then a fresh keyed node outside the committee
// syncs every block from them — each certificate checked against the committee of its epoch — and
// reaches the same tip and the same UTXO commitment; a sync whose peer goes away mid-way resumes
// from another peer where it stopped; a peer serving a block with a bad certificate is penalized
// and the node keeps its state. Every wait is bounded; every host and store is stopped after
// each test.
import { describe, expect, it } from 'vitest'
import {
  COIN,
  decodeSyncMessage,
  encodeSyncMessage,
  MIN_FEE,
  type SyncProgress,
} from '../../../src/core/index.ts'
import { MemoryPeerBook } from '../../../src/core/net/index.ts'
import { engineFixture, membershipTx } from '../../support/engine-fixture.ts'
import { type Built, type Coin, keyPair, spend } from '../../support/ledger-fixture.ts'
import {
  addressesOf,
  type ClusterSetup,
  type Masternode,
  type StartOptions,
  startMasternode,
  stopMasternode,
  until,
} from '../../support/net-engines.ts'
import {
  expectSameChain,
  startTamperingRelay,
  syncCluster,
  syncedTo,
  tipOf,
} from '../../support/net-sync.ts'

const owners = Array.from({ length: 8 }, (_, i) => keyPair(700 + i))
const fx = engineFixture('sync blocks', 720, owners)

const { setup, committee } = syncCluster(fx)

const epochOf = (n: Masternode) => n.engine.runtime.engine.committee.epoch
/** A node outside the committee syncing blocks; its links dial only what `book` lists. */
const syncing = (
  s: ClusterSetup,
  key: number,
  sync: NonNullable<StartOptions['sync']>,
  book = s.book,
) => startMasternode({ ...s, book }, keyPair(key), { sync })

/** `coin` paid to owner `to` (1 TIME), the change back. */
function pay(coin: Coin, to: number): Built {
  return spend(
    [coin],
    [
      { to: owners[to]!, value: COIN },
      { to: coin.owner, value: coin.value - COIN - MIN_FEE },
    ],
  )
}

/** Whether a block confirmed the spend of `coin` at `node`. */
function spentInBlock(node: Masternode, coin: Coin): boolean {
  return node.engine.runtime.engine.ledger.utxos.get(coin.outpoint)?.state.kind === 'Confirmed'
}

describe('block sync', () => {
  it('a fresh node syncs every block, across a committee change, to the same tip and UTXO commitment', async () => {
    const s = setup()
    const members = await committee(s)
    // Payments, each confirmed in a block.
    const paid = [0, 1, 2, 3].map((i) => ({ coin: fx.coin(i), b: pay(fx.coin(i), (i + 1) % 8) }))
    for (const [i, { b }] of paid.entries()) await members[i % 4]!.engine.submit(b.tx)
    await until(
      () => paid.every(({ coin }) => members.every((m) => spentInBlock(m, coin))),
      'every payment confirmed',
      20_000,
    )
    // A committee change: member 3 deregisters; the block after the one confirming it changes
    // the committee (epoch 1: members 0, 1 and 2).
    const leave = membershipTx(fx.coin(5), fx.masternodes[3]!)
    await members[0]!.engine.submit(leave.tx)
    await until(() => members.slice(0, 3).every((m) => epochOf(m) === 1), 'epoch 1', 20_000)
    const changedAt = tipOf(members[0]!).height
    await until(() => tipOf(members[0]!).height >= changedAt + 3, 'blocks of epoch 1', 20_000)
    const target = tipOf(members[0]!).height

    const progress: SyncProgress[] = []
    const fresh = await syncing(s, 730, { rangeSize: 4 })
    fresh.sync!.addEventListener('sync:progress', (e) => progress.push(e.detail))
    const started = performance.now()
    await until(() => syncedTo(fresh) >= target, `the fresh node at ${target}`, 20_000)
    const ms = performance.now() - started
    await expectSameChain(fresh, members[0]!)
    expect(epochOf(fresh)).toBe(1)
    for (const { coin } of paid) expect(spentInBlock(fresh, coin)).toBe(true)
    // Progress for a progress bar: heights only grow, towards a target at least the tip seen.
    const heights = progress.map((p) => p.height)
    expect(heights).toEqual([...heights].sort((a, b) => a - b))
    expect(Math.max(...progress.map((p) => p.target))).toBeGreaterThanOrEqual(target)
    expect(fresh.sync!.stats().blocksApplied).toBeGreaterThanOrEqual(target)
    for (const n of [...members, fresh]) {
      expect(n.alarms).toEqual([])
      expect(n.penalties).toEqual([])
    }
    console.info(JSON.stringify({ syncedBlocks: target, ms: Math.round(ms) }))
  })

  it('a sync whose peer goes away mid-way resumes from another peer where it stopped', async () => {
    const s = setup()
    const members = await committee(s)
    await until(() => tipOf(members[0]!).height >= 12, 'twelve blocks', 20_000)
    // The syncing node knows only member 0 at first (its links dial no one: an empty book).
    const fresh = await syncing(s, 731, { rangeSize: 1 }, new MemoryPeerBook())
    const first = members[0]!
    let stoppedAt = -1
    const heights: number[] = []
    fresh.sync!.addEventListener('sync:progress', (e) => {
      heights.push(e.detail.height)
      // Mid-way: the peer goes away while blocks are still being fetched from it.
      if (stoppedAt === -1 && e.detail.height >= 3) {
        stoppedAt = e.detail.height
        void stopMasternode(first, false)
      }
    })
    await fresh.host.dial(addressesOf(first.host, 'memory'))
    await until(() => stoppedAt !== -1, 'the first peer stopped mid-way')
    const target = tipOf(members[1]!).height
    expect(stoppedAt).toBeLessThan(target)
    const servedBefore = members[1]!.sync!.stats().served
    await fresh.host.dial(addressesOf(members[1]!.host, 'memory'))
    await until(() => tipOf(fresh).height >= target, `the fresh node at ${target}`, 20_000)
    // Resumed where it stopped: heights never went back, and the second peer served the rest.
    expect(heights).toEqual([...heights].sort((a, b) => a - b))
    expect(members[1]!.sync!.stats().served).toBeGreaterThan(servedBefore)
    await expectSameChain(fresh, members[1]!)
    expect(fresh.penalties).toEqual([])
    expect(fresh.alarms).toEqual([])
  })

  it('a peer serving a block with a bad certificate is penalized; the node keeps its state', async () => {
    const s = setup()
    const members = await committee(s)
    await until(() => tipOf(members[0]!).height >= 4, 'four blocks', 20_000)
    // A relay answering every range with member 0's blocks, one certificate signature flipped.
    const bad = await startTamperingRelay(members[0]!, (_request, frame, i) => {
      const m = i === 1 ? decodeSyncMessage(frame) : undefined
      if (m?.type !== 'BlocksByRangeAnswer') return frame
      const signature = m.blocks[0]!.certificate.entries[0]!.signature
      signature[0]! ^= 0x01
      return encodeSyncMessage(m)
    })
    const fresh = await syncing(s, 732, {}, new MemoryPeerBook())
    await fresh.host.dial(addressesOf(bad, 'memory'))
    await until(() => fresh.penalties.length > 0, 'the bad peer penalized')
    expect(fresh.penalties[0]!.peer.toString()).toBe(bad.peerId.toString())
    expect(fresh.penalties[0]!.code).toBe('CERT_SIGNATURE')
    expect(tipOf(fresh).height).toBe(0)
    expect(fresh.sync!.stats().blocksApplied).toBe(0)
    // An honest peer then brings it up to date.
    await fresh.host.dial(addressesOf(members[1]!.host, 'memory'))
    const target = tipOf(members[1]!).height
    await until(() => tipOf(fresh).height >= target, `the fresh node at ${target}`, 20_000)
    await expectSameChain(fresh, members[1]!)
    expect(fresh.penalties).toHaveLength(1)
  })
})
