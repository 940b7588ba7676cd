// A full node without any key follows the chain (issue 10, points 6 and 9): four masternodes
// finalize and confirm payments; a node with no masternode key — its engine has no key at all, so
// it votes on nothing — attached to one member only, after blocks were made, catches up by sync
// (every certificate checked), then follows by gossip: it sees the next payments final, applies the
// blocks that confirm them, and ends at the members' height with their UTXO commitment. Over
// @libp2p/memory and over TCP on loopback. Every wait is bounded; every host and store is stopped
// after each test.
import { memory } from '@libp2p/memory'
import { afterEach, describe, expect, it } from 'vitest'
import { bytesToHex, equalBytes, MemoryStore, type Notification } from '../../../src/core/index.ts'
import type { Penalty } from '../../../src/core/net/index.ts'
import { PeerRole } from '../../../src/core/protocol/handshake.ts'
import { type AssembledNode, assembleNode } from '../../../src/node/daemon/assemble.ts'
import { monotonicClock, nodeTimers } from '../../../src/node/engine-ports.ts'
import { type Built, type Coin, coinsOf, GENESIS_HASH } from '../../support/ledger-fixture.ts'
import {
  addressesOf,
  type ClusterSetup,
  linked,
  type Masternode,
  memoryName,
  startMasternode,
  stopCluster,
  type Transport,
  until,
} from '../../support/net-engines.ts'
import { gossipCluster, sharing } from '../../support/net-gossip.ts'
import { expectSameChain } from '../../support/net-sync.ts'

const { owners, fx, setup, payTo } = gossipCluster('keyless full node', 660)
const hosts: AssembledNode[] = []
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((n) => n.host.stop()))
  await stopCluster()
})

const hex = (b: Built) => bytesToHex(b.txid)

interface Follower {
  readonly node: AssembledNode
  readonly finalized: Set<string>
  readonly alarms: string[]
  readonly penalties: Penalty[]
}

/** A full node with no key at all: gossip and block sync, no links, no discovery. */
async function startKeyless(s: ClusterSetup): Promise<Follower> {
  const finalized = new Set<string>()
  const alarms: string[] = []
  const penalties: Penalty[] = []
  const node = await assembleNode({
    network: 'devnet',
    genesis: {
      genesisHash: GENESIS_HASH,
      genesis: s.genesis,
      committee: s.committee,
      ...(s.chain === undefined ? {} : { chain: s.chain }),
    },
    store: new MemoryStore(),
    masternode: false,
    clock: monotonicClock,
    timers: nodeTimers,
    ...(s.verifier === undefined ? {} : { verifier: s.verifier }),
    host:
      s.transport === 'memory'
        ? { transports: [memory()], listenAddresses: [`/memory/${memoryName()}`] }
        : { listenAddresses: ['/ip4/127.0.0.1/tcp/0'] },
    discovery: false,
    gossip: {},
    sync: { statusEveryMs: 300 },
    notify: (n: Notification) => {
      if (n.type === 'finalized') finalized.add(bytesToHex(n.txid))
      else if (n.type === 'alarm') alarms.push(`${n.code}: ${n.message}`)
    },
    onPenalty: (p) => penalties.push(p),
    onStoreError: (e) => alarms.push(`store: ${String(e)}`),
    handshakeTimeoutMs: 5_000,
  })
  hosts.push(node)
  return { node, finalized, alarms, penalties }
}

/** Pays `coin` to owner `to` at `member` and waits until every member confirmed it. */
async function payConfirmed(members: Masternode[], member: number, coin: Coin, to: number) {
  const b = payTo(coin, to)
  await members[member]!.engine.submit(b.tx)
  await until(
    () => members.every((m) => m.confirmed.has(hex(b))),
    `payment to ${to} confirmed`,
    20_000,
  )
  return { b, next: coinsOf(b, [owners[to]!])[0]! }
}

const tipOf = (n: Masternode) => n.engine.runtime.engine.tip!

describe.each<Transport>(['memory', 'tcp'])('a full node without a key, over %s', (transport) => {
  it("catches up by sync, follows by gossip, ends at the members' height and UTXO commitment", async () => {
    const s: ClusterSetup = { ...setup(), transport }
    const members: Masternode[] = []
    for (const key of fx.masternodes)
      members.push(await startMasternode(s, key, { gossip: true, sync: { mode: 'serve' } }))
    await until(() => linked(members), 'every committee link up')

    // Blocks before the full node exists: it can only get them by sync.
    let coin = fx.coin(0)
    for (let i = 0; i < 2; i++) coin = (await payConfirmed(members, i, coin, i + 1)).next
    const before = tipOf(members[0]!).height
    expect(before).toBeGreaterThanOrEqual(2)

    const full = await startKeyless(s)
    const engine = full.node.engine
    expect(full.node.key).toBeUndefined()
    expect(full.node.host.services.committeeLinks).toBeUndefined()
    expect(engine.isVoter).toBe(false)
    expect(engine.tip?.height).toBe(0)
    // Attached to one member only: blocks made before it started come by sync (or the engine's
    // own block requests), everything after by gossip.
    await full.node.host.dial(addressesOf(members[0]!.host, transport))
    const [connection] = full.node.host.getConnections()
    const proved = await full.node.host.services.handshake.verified(connection!, {
      signal: AbortSignal.timeout(10_000),
    })
    expect(proved.role).toBe(PeerRole.Masternode)
    await until(() => (engine.tip?.height ?? 0) >= before, `synced to ${before}`, 20_000)
    await sharing(full.node.host as never, members[0]!.host)
    await sharing(members[0]!.host as never, full.node.host)

    // Payments from now on reach it by gossip: final first, then confirmed in a block.
    const later: Built[] = []
    for (let i = 2; i < 4; i++) {
      const { b, next } = await payConfirmed(members, i, coin, i + 1)
      later.push(b)
      coin = next
    }
    // Final here by its certificate (gossip), or — when the block that confirms it came by sync
    // first, as a loaded machine can make happen — confirmed at once: either way spent here.
    const spentHere = (b: Built) =>
      full.finalized.has(hex(b)) ||
      engine.ledger.utxos.get(b.tx.inputs[0]!.outpoint)?.state.kind === 'Confirmed'
    await until(() => later.every(spentHere), 'later payments final or confirmed here', 20_000)
    const same = () => {
      const [a, b] = [engine.tip!, tipOf(members[0]!)]
      return a.height === b.height && equalBytes(a.hash, b.hash)
    }
    await until(same, "the members' tip", 20_000)
    // Each later payment's spend is confirmed here too, by the block the members confirmed it in.
    for (const b of later)
      expect(engine.ledger.utxos.get(b.tx.inputs[0]!.outpoint)?.state.kind).toBe('Confirmed')
    await expectSameChain({ engine: full.node.service }, members[0]!)
    const ours = engine.ledger.utxos.summary()
    const theirs = members[0]!.engine.runtime.engine.ledger.utxos.summary()
    expect(bytesToHex(ours.commitment)).toBe(bytesToHex(theirs.commitment))
    expect(ours.total).toBe(theirs.total)
    expect(full.node.host.services.gossip!.stats().accepted).toBeGreaterThan(0)
    expect(full.node.host.services.gossip!.stats().rejected).toBe(0)
    expect(full.alarms).toEqual([])
    expect(full.penalties).toEqual([])
    for (const m of members) expect(m.penalties).toEqual([])
    console.info(
      JSON.stringify({
        transport,
        height: engine.tip!.height,
        synced: full.node.host.services.sync!.stats().blocksApplied,
        gossip: full.node.host.services.gossip!.stats(),
      }),
    )
  })
})
