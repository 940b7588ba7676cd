// The setting gossip tests share: four masternodes of equal weight over @libp2p/memory on a chain
// that makes a block a quarter second after a payment, owners of 10-TIME genesis coins, payments of
// a whole coin (less the fee), and a verifier pool opened and closed with the test file.
import { afterAll, beforeAll } from 'vitest'
import { MIN_FEE } from '../../src/core/index.ts'
import { MemoryPeerBook } from '../../src/core/net/index.ts'
import { gossipTopics } from '../../src/core/protocol/gossip-topics.ts'
import { createVerifierPool, type VerifierPool } from '../../src/node/crypto/verifier-pool.ts'
import { engineFixture } from './engine-fixture.ts'
import { type Built, type Coin, keyPair, spend } from './ledger-fixture.ts'
import { type ClusterSetup, until } from './net-engines.ts'

/** Blocks a quarter second after a payment; generous step timeouts on a busy machine. */
export const QUICK_CHAIN = {
  intervalMs: 250,
  timeouts: { proposeMs: 1_000, prevoteMs: 1_000, precommitMs: 1_000, growthMs: 250 },
}

/**
 * Six owners `keyPair(keyBase)` …, masternodes `keyPair(keyBase + 20)` …, a genesis hashed from
 * `label`; registers the file's verifier pool hooks. Call once at the top of a test file.
 */
export function gossipCluster(label: string, keyBase: number) {
  const owners = Array.from({ length: 6 }, (_, i) => keyPair(keyBase + i))
  const fx = engineFixture(label, keyBase + 20, owners)
  let pool: VerifierPool | undefined
  beforeAll(() => {
    pool = createVerifierPool(2)
  })
  afterAll(() => pool?.close())
  const setup = (): ClusterSetup => ({
    transport: 'memory',
    committee: fx.committee,
    genesis: fx.genesis,
    chain: QUICK_CHAIN,
    ...(pool === undefined ? {} : { verifier: pool }),
    book: new MemoryPeerBook(),
  })
  /** `coin` paid whole, less the fee, to owner `to`. */
  const payTo = (coin: Coin, to: number): Built =>
    spend([coin], [{ to: owners[to]!, value: coin.value - MIN_FEE }])
  return { owners, fx, setup, payTo }
}

/** What `sharing` needs of a host: its gossipsub's view of who subscribed. */
interface Subscribers {
  readonly services: {
    readonly pubsub?: { getSubscribers(topic: string): { equals(peer: unknown): boolean }[] }
  }
}

/** Resolves once `a` knows `b` subscribed to every topic (gossip reaches it from then on). */
export async function sharing(a: Subscribers, b: { readonly peerId: unknown }): Promise<void> {
  await until(
    () =>
      gossipTopics('devnet').every((t) =>
        a.services.pubsub!.getSubscribers(t).some((p) => p.equals(b.peerId)),
      ),
    'the gossip topics shared',
  )
}

/** The mesh per topic: on @libp2p/gossipsub's class, not on its exported interface. */
interface Meshes {
  getMeshPeers(topic: string): string[]
}

/**
 * Resolves once `a` keeps `b` in its mesh of every topic. `sharing` is enough for what `a`
 * publishes itself; what it passes on (another member's certificate it accepted first) goes to
 * its mesh only, which gossipsub grows at its heartbeat — late on a loaded machine.
 */
export async function meshed(
  a: { readonly services: { readonly pubsub?: object } },
  b: { readonly peerId: { toString(): string } },
): Promise<void> {
  const pubsub = a.services.pubsub as Partial<Meshes> | undefined
  if (typeof pubsub?.getMeshPeers !== 'function') throw new Error('no gossipsub mesh to wait for')
  const mesh = pubsub as Meshes
  const id = b.peerId.toString()
  await until(
    () => gossipTopics('devnet').every((t) => mesh.getMeshPeers(t).includes(id)),
    'in the gossip mesh',
  )
}
