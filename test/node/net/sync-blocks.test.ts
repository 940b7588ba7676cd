// Block sync over @libp2p/memory (issue 10, point 9): four masternodes make blocks with payments
// and a committee change (member 3 deregisters), then a fresh keyed node outside the committee
// syncs every block from them — each certificate checked against the committee of its epoch — and
// reaches the same tip and the same UTXO commitment; a sync whose peer goes away mid-way resumes
// from another peer where it stopped; a peer serving a block with a bad certificate is penalized
// and the node keeps its state. Every wait is bounded; every host and store is stopped after
// each test.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  blockHash,
  bytesToHex,
  COIN,
  decodeSyncMessage,
  encodeSyncMessage,
  loadCommittedBlocks,
  MIN_FEE,
  type SyncProgress,
} from '../../../src/core/index.ts'
import { MemoryPeerBook } from '../../../src/core/net/index.ts'
import { createVerifierPool, type VerifierPool } from '../../../src/node/crypto/verifier-pool.ts'
import { engineFixture, membershipTx } from '../../support/engine-fixture.ts'
import { type Built, type Coin, keyPair, spend } from '../../support/ledger-fixture.ts'
import type { ClusterSetup } from '../../support/net-engines.ts'
import { until } from '../../support/net-engines.ts'
import {
  memoryAddresses,
  type SyncNode,
  startSyncNode,
  startTamperingRelay,
  stopHost,
  stopSyncNodes,
} from '../../support/net-sync.ts'

const owners = Array.from({ length: 8 }, (_, i) => keyPair(700 + i))
const fx = engineFixture('sync blocks', 720, owners)

/** Blocks a few times a second. */
const CHAIN = {
  intervalMs: 150,
  timeouts: { proposeMs: 1_000, prevoteMs: 1_000, precommitMs: 1_000, growthMs: 250 },
}
const FAST_LINKS = {
  backoffMinMs: 200,
  backoffMaxMs: 1_600,
  acceptWaitMs: 500,
  pingIntervalMs: 500,
  pingTimeoutMs: 1_000,
  timeoutMs: 3_000,
}

let pool: VerifierPool
beforeAll(() => {
  pool = createVerifierPool(2)
})
afterAll(() => pool.close())
afterEach(stopSyncNodes)

function setup(): ClusterSetup {
  return {
    transport: 'memory',
    committee: fx.committee,
    genesis: fx.genesis,
    chain: CHAIN,
    verifier: pool,
    links: FAST_LINKS,
    book: new MemoryPeerBook(),
  }
}

const tipOf = (n: SyncNode) => n.engine.runtime.engine.tip!
/** The height the node's sync client has applied (its engine may be a few blocks ahead). */
const syncedTo = (n: SyncNode) => n.sync.progress()?.height ?? 0
const epochOf = (n: SyncNode) => n.engine.runtime.engine.committee.epoch

/** The four members, serving sync, once their links are up. */
async function committee(s: ClusterSetup): Promise<SyncNode[]> {
  const nodes: SyncNode[] = []
  for (const key of fx.masternodes)
    nodes.push(await startSyncNode(s, key, { sync: { mode: 'serve' } }))
  await until(
    () => nodes.every((n) => n.links.stats().connected === nodes.length - 1),
    'every committee link up',
  )
  return nodes
}

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
function spentInBlock(node: SyncNode, coin: Coin): boolean {
  return node.engine.runtime.engine.ledger.utxos.get(coin.outpoint)?.state.kind === 'Confirmed'
}

/**
 * Whether `node` holds exactly the chain `reference` holds at `node`'s tip: the same block there,
 * and a UTXO set (the chain's, and — nothing being only final there — its live one) whose
 * commitment is that block's header's.
 */
async function sameChain(node: SyncNode, reference: SyncNode): Promise<void> {
  const engine = node.engine.runtime.engine
  const tip = engine.tip!
  const chainState = engine.chainUtxoState()!.digest()
  const live = engine.ledger.summary().commitment
  const [theirs] = await loadCommittedBlocks(reference.store, tip.height, 1)
  expect(theirs, `block ${tip.height} at the reference`).toBeDefined()
  expect(bytesToHex(blockHash(theirs!.block.header))).toBe(bytesToHex(tip.hash))
  expect(bytesToHex(chainState)).toBe(bytesToHex(theirs!.block.header.utxoCommitment))
  expect(bytesToHex(live)).toBe(bytesToHex(theirs!.block.header.utxoCommitment))
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
    const fresh = await startSyncNode(s, keyPair(730), { sync: { rangeSize: 4 } })
    fresh.sync.addEventListener('sync:progress', (e) => progress.push(e.detail))
    const started = performance.now()
    await until(() => syncedTo(fresh) >= target, `the fresh node at ${target}`, 20_000)
    const ms = performance.now() - started
    await sameChain(fresh, members[0]!)
    expect(epochOf(fresh)).toBe(1)
    for (const { coin } of paid) expect(spentInBlock(fresh, coin)).toBe(true)
    // Progress for a progress bar: heights only grow, towards a target at least the tip seen.
    const heights = progress.map((p) => p.height)
    expect(heights).toEqual([...heights].sort((a, b) => a - b))
    expect(Math.max(...progress.map((p) => p.target))).toBeGreaterThanOrEqual(target)
    expect(fresh.sync.stats().blocksApplied).toBeGreaterThanOrEqual(target)
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
    const fresh = await startSyncNode(s, keyPair(731), {
      book: new MemoryPeerBook(),
      sync: { rangeSize: 1 },
    })
    const first = members[0]!
    let stoppedAt = -1
    const heights: number[] = []
    fresh.sync.addEventListener('sync:progress', (e) => {
      heights.push(e.detail.height)
      // Mid-way: the peer goes away while blocks are still being fetched from it.
      if (stoppedAt === -1 && e.detail.height >= 3) {
        stoppedAt = e.detail.height
        void stopHost(first.host)
      }
    })
    await fresh.host.dial(memoryAddresses(first.host))
    await until(() => stoppedAt !== -1, 'the first peer stopped mid-way')
    const target = tipOf(members[1]!).height
    expect(stoppedAt).toBeLessThan(target)
    const servedBefore = members[1]!.sync.stats().served
    await fresh.host.dial(memoryAddresses(members[1]!.host))
    await until(() => tipOf(fresh).height >= target, `the fresh node at ${target}`, 20_000)
    // Resumed where it stopped: heights never went back, and the second peer served the rest.
    expect(heights).toEqual([...heights].sort((a, b) => a - b))
    expect(members[1]!.sync.stats().served).toBeGreaterThan(servedBefore)
    await sameChain(fresh, members[1]!)
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
    const fresh = await startSyncNode(s, keyPair(732), { book: new MemoryPeerBook(), sync: {} })
    await fresh.host.dial(memoryAddresses(bad))
    await until(() => fresh.penalties.length > 0, 'the bad peer penalized')
    expect(fresh.penalties[0]!.peer.toString()).toBe(bad.peerId.toString())
    expect(fresh.penalties[0]!.code).toBe('CERT_SIGNATURE')
    expect(tipOf(fresh).height).toBe(0)
    expect(fresh.sync.stats().blocksApplied).toBe(0)
    // An honest peer then brings it up to date.
    await fresh.host.dial(memoryAddresses(members[1]!.host))
    const target = tipOf(members[1]!).height
    await until(() => tipOf(fresh).height >= target, `the fresh node at ${target}`, 20_000)
    await sameChain(fresh, members[1]!)
    expect(fresh.penalties).toHaveLength(1)
  })
})
