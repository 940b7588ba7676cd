// Hosts for the sync tests over @libp2p/memory besides the masternodes of net-engines (started
// there with `sync` settings): a full node with the handshake and sync alone, fetching a snapshot
// into an empty store; and a tampering relay that answers sync requests with what an honest peer
// answers, altered. `stopSyncHosts` (afterEach, with `stopCluster`) stops every host made here.
import type { ServiceMap } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import { lpStream } from '@libp2p/utils'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import {
  blockHash,
  bytesToHex,
  COIN,
  type KeyPair,
  loadCommittedBlocks,
  MIN_FEE,
  type Store,
} from '../../src/core/index.ts'
import {
  type HandshakeService,
  handshake,
  MemoryPeerBook,
  type Penalty,
  type SyncService,
  type SyncServiceInit,
  syncService,
} from '../../src/core/net/index.ts'
import { PeerRole } from '../../src/core/protocol/handshake.ts'
import { protocolIdOf } from '../../src/core/protocol/protocols.ts'
import { createVerifierPool, type VerifierPool } from '../../src/node/crypto/verifier-pool.ts'
import { createNodeHost, type NodeHost, type NodeHostOptions } from '../../src/node/net/host.ts'
import type { engineFixture } from './engine-fixture.ts'
import { GENESIS_HASH, spend } from './ledger-fixture.ts'
import {
  addressesOf,
  type ClusterSetup,
  FAST_LINKS,
  type Masternode,
  memoryName,
  startCommittee,
  stopCluster,
  until,
} from './net-engines.ts'

interface Stoppable {
  stop(): void | Promise<void>
}

const running: Stoppable[] = []

/** A full node's handshake: no masternode key. */
function fullNodeHandshake() {
  return handshake({
    network: 'devnet',
    genesisHash: GENESIS_HASH,
    role: PeerRole.FullNode,
    tip: () => ({ height: 0, hash: GENESIS_HASH }),
    timeoutMs: 5_000,
  })
}

async function memoryHost<S extends ServiceMap>(
  services: NonNullable<NodeHostOptions<S>['services']>,
): Promise<NodeHost<S>> {
  const host = await createNodeHost<S>({
    transports: [memory()],
    listenAddresses: [`/memory/${memoryName()}`],
    gossipsub: false,
    services,
  })
  running.push(host)
  return host
}

export type SnapshotHost = NodeHost<{ handshake: HandshakeService; sync: SyncService }>

/** A full node's host with the handshake and the sync service in snapshot mode over `store`. */
export async function startSnapshotHost(
  setup: ClusterSetup,
  store: Store,
  penalties: Penalty[],
  sync: Partial<Omit<SyncServiceInit, 'network' | 'genesisHash' | 'store'>> = {},
): Promise<SnapshotHost> {
  return memoryHost({
    handshake: fullNodeHandshake(),
    sync: syncService({
      network: 'devnet',
      genesisHash: GENESIS_HASH,
      store,
      mode: 'snapshot',
      committee: setup.committee,
      penalties: { penalize: (p) => penalties.push(p) },
      ...sync,
    }),
  })
}

export type RelayHost = NodeHost<{ handshake: HandshakeService }>

/**
 * A full node that answers every sync request with the answer `honest` gives it, passed through
 * `tamper` (which sees the request and each answer frame, without their length prefixes).
 */
export async function startTamperingRelay(
  honest: Pick<Masternode, 'host'>,
  tamper: (request: Uint8Array, frame: Uint8Array, index: number) => Uint8Array,
): Promise<RelayHost> {
  const host: RelayHost = await memoryHost({ handshake: fullNodeHandshake() })
  const protocol = protocolIdOf('devnet', 'sync')
  const upstream = await host.dial(addressesOf(honest.host, 'memory'))
  await host.services.handshake.verified(upstream)
  await host.handle(
    protocol,
    async (stream) => {
      const signal = AbortSignal.timeout(10_000)
      try {
        const down = lpStream(stream)
        const request = (await down.read({ signal })).subarray()
        const up = await upstream.newStream(protocol, { signal })
        const lpUp = lpStream(up, { maxDataLength: 80_000_000 })
        await lpUp.write(request, { signal })
        const frames = [(await lpUp.read({ signal })).subarray()]
        // A Status (tag 0x40) is answered by a Status alone; a request by a Status and its answer.
        if (request[0] !== 0x40) frames.push((await lpUp.read({ signal })).subarray())
        await up.close({ signal })
        await down.writeV(
          frames.map((f, i) => tamper(request, f, i)),
          { signal },
        )
        await stream.close({ signal })
      } catch (error) {
        stream.abort(error instanceof Error ? error : new Error(String(error)))
      }
    },
    { maxInboundStreams: 16 },
  )
  return host
}

/** Stops one host made here now (a peer that goes away). */
export async function stopHost(host: Stoppable): Promise<void> {
  const i = running.indexOf(host)
  if (i !== -1) running.splice(i, 1)
  await host.stop()
}

export async function stopSyncHosts(): Promise<void> {
  await Promise.all(running.splice(0).map((h) => h.stop()))
}

/** Blocks several times a second (the chain is what sync fetches). */
export const SYNC_CHAIN = {
  intervalMs: 150,
  timeouts: { proposeMs: 1_000, prevoteMs: 1_000, precommitMs: 1_000, growthMs: 250 },
}

/** A memory cluster of `fixture`'s committee with fast blocks and links. */
export function syncSetup(
  fixture: Pick<ClusterSetup, 'committee' | 'genesis'>,
  verifier: ClusterSetup['verifier'],
  chain: ClusterSetup['chain'] = SYNC_CHAIN,
): ClusterSetup {
  return {
    transport: 'memory',
    committee: fixture.committee,
    genesis: fixture.genesis,
    chain,
    ...(verifier === undefined ? {} : { verifier }),
    links: FAST_LINKS,
    book: new MemoryPeerBook(),
  }
}

/** Committee members serving sync (they follow the chain by consensus). */
export const SERVING = { sync: { mode: 'serve' } } as const

/**
 * A sync test file's cluster: registers a verifier pool for the file and a teardown after each
 * test (the hosts made here, then every masternode), and returns how to set up a cluster of
 * `fixture`'s committee and start its members serving sync.
 */
export function syncCluster(
  fixture: Pick<ClusterSetup, 'committee' | 'genesis'> & {
    readonly masternodes: readonly KeyPair[]
  },
) {
  let pool: VerifierPool | undefined
  beforeAll(() => {
    pool = createVerifierPool(2)
  })
  afterAll(() => pool?.close())
  afterEach(async () => {
    await stopSyncHosts()
    await stopCluster()
  })
  return {
    setup: (chain: ClusterSetup['chain'] = SYNC_CHAIN) => syncSetup(fixture, pool, chain),
    committee: (s: ClusterSetup) => startCommittee(s, fixture.masternodes, () => SERVING),
  }
}

export const tipOf = (n: Pick<Masternode, 'engine'>) => n.engine.runtime.engine.tip!

/** The height a node's sync client has applied (its engine may already be a little ahead). */
export const syncedTo = (n: Pick<Masternode, 'sync'>) => n.sync!.progress()?.height ?? 0

/**
 * Checks that `node` holds exactly the chain `reference` holds at `node`'s tip: the same block
 * there, and a UTXO set — the chain's, and, nothing being only final there, its live one — whose
 * commitment is that block's header's.
 */
export async function expectSameChain(
  node: Pick<Masternode, 'engine'>,
  reference: Pick<Masternode, 'store'>,
): Promise<void> {
  const engine = node.engine.runtime.engine
  const tip = engine.tip!
  const chain = bytesToHex(engine.chainUtxoState()!.digest())
  const live = bytesToHex(engine.ledger.summary().commitment)
  const [theirs] = await loadCommittedBlocks(reference.store, tip.height, 1)
  expect(theirs, `block ${tip.height} at the reference`).toBeDefined()
  expect(bytesToHex(blockHash(theirs!.block.header))).toBe(bytesToHex(tip.hash))
  expect(chain).toBe(bytesToHex(theirs!.block.header.utxoCommitment))
  expect(live).toBe(chain)
}

/** The UTXO commitment of `reference`'s block at `height`. */
export async function commitmentAt(
  reference: Pick<Masternode, 'store'>,
  height: number,
): Promise<string> {
  const [b] = await loadCommittedBlocks(reference.store, height, 1)
  return bytesToHex(b!.block.header.utxoCommitment)
}

/**
 * Three payments (the fixture's coins 0–2 to `owners[4…6]`, each submitted at member i), each
 * confirmed in a block at every member (rejects after 20 s).
 */
export async function confirmedPayments(
  fx: ReturnType<typeof engineFixture>,
  owners: readonly KeyPair[],
  members: readonly Masternode[],
): Promise<void> {
  const coins = [0, 1, 2].map((i) => fx.coin(i))
  for (const [i, coin] of coins.entries()) {
    const b = spend(
      [coin],
      [
        { to: owners[i + 4]!, value: 2n * COIN },
        { to: coin.owner, value: coin.value - 2n * COIN - MIN_FEE },
      ],
    )
    await members[i]!.engine.submit(b.tx)
  }
  await until(
    () =>
      coins.every((c) =>
        members.every(
          (m) => m.engine.runtime.engine.ledger.utxos.get(c.outpoint)?.state.kind === 'Confirmed',
        ),
      ),
    'the payments confirmed',
    20_000,
  )
}
