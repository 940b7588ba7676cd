// What peers exchange when a committee link comes up (issue 10, point 9): each sends the other its
// final, unconfirmed transactions with their certificates, then its pending ones. A member that
// restarts after a payment became final without it (and before any block confirmed it) learns
// the payment from the others at once — and so refuses a conflicting spend instead of voting for
// it. Blocks are far apart here (60 s) so nothing is confirmed during the test, and the frames the
// others queued for the member while it was down are dropped, so only that exchange can tell it.
// Every wait is bounded; every host and store is stopped after each test.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, COIN, MIN_FEE } from '../../../src/core/index.ts'
import { MemoryPeerBook } from '../../../src/core/net/index.ts'
import { createVerifierPool, type VerifierPool } from '../../../src/node/crypto/verifier-pool.ts'
import { engineFixture } from '../../support/engine-fixture.ts'
import { keyPair, spend } from '../../support/ledger-fixture.ts'
import { type ClusterSetup, until } from '../../support/net-engines.ts'
import { type SyncNode, startSyncNode, stopHost, stopSyncNodes } from '../../support/net-sync.ts'

const owners = Array.from({ length: 4 }, (_, i) => keyPair(800 + i))
const fx = engineFixture('sync mempool', 820, owners)

let pool: VerifierPool
beforeAll(() => {
  pool = createVerifierPool(2)
})
afterAll(() => pool.close())
afterEach(stopSyncNodes)

const setup = (): ClusterSetup => ({
  transport: 'memory',
  committee: fx.committee,
  genesis: fx.genesis,
  chain: {
    intervalMs: 60_000,
    timeouts: { proposeMs: 1_000, prevoteMs: 1_000, precommitMs: 1_000, growthMs: 250 },
  },
  verifier: pool,
  links: {
    backoffMinMs: 200,
    backoffMaxMs: 1_600,
    acceptWaitMs: 500,
    pingIntervalMs: 500,
    pingTimeoutMs: 1_000,
    timeoutMs: 3_000,
  },
  book: new MemoryPeerBook(),
})

const linked = (nodes: readonly SyncNode[]) =>
  nodes.every((n) => n.links.stats().connected === nodes.length - 1)

describe('on a committee link coming up', () => {
  it('a restarted member learns a payment made final without it, and refuses a conflicting spend', async () => {
    const s = setup()
    const nodes: SyncNode[] = []
    for (const key of fx.masternodes)
      nodes.push(await startSyncNode(s, key, { sync: { mode: 'serve' } }))
    await until(() => linked(nodes), 'every committee link up')
    const [a, b, c, restarted] = nodes as [SyncNode, SyncNode, SyncNode, SyncNode]

    await stopHost(restarted.host)
    await restarted.engine.runtime.idle()
    const coin = fx.coin(0)
    const paid = spend(
      [coin],
      [
        { to: owners[1]!, value: COIN },
        { to: coin.owner, value: coin.value - COIN - MIN_FEE },
      ],
    )
    await a.engine.submit(paid.tx)
    await until(
      () => [a, b, c].every((n) => n.engine.runtime.engine.isFinal(paid.txid)),
      'the payment final at the three up',
    )

    // What the others queued for it while it was down goes (as after their own restart, or a
    // queue that overflowed): only what they send when its link comes up can tell it now.
    const keys = fx.masternodes.map((k) => k.publicKey)
    for (const n of [a, b, c]) {
      n.links.setCommittee(keys.slice(0, 3))
      n.links.setCommittee(keys)
    }
    const back = await startSyncNode(s, restarted.key, {
      store: restarted.store,
      sync: { mode: 'serve' },
    })
    const engine = back.engine.runtime.engine
    expect(engine.isFinal(paid.txid)).toBe(false)
    await until(() => linked([a, b, c, back]), 'the restarted member linked again')
    await until(() => engine.isFinal(paid.txid), 'the restarted member learns the payment')
    // Learnt from the others' push, not from a block: none has been made.
    expect(engine.tip!.height).toBe(0)
    expect([a, b, c].reduce((n, m) => n + m.sync.stats().pushed, 0)).toBeGreaterThan(0)
    expect(engine.ledger.utxos.get(coin.outpoint)?.state).toMatchObject({
      kind: 'SpentFinalized',
    })

    // A conflicting spend of the same coin: this member votes Reject, naming the payment.
    const conflicting = spend(
      [coin],
      [
        { to: owners[2]!, value: COIN },
        { to: coin.owner, value: coin.value - COIN - MIN_FEE },
      ],
    )
    await back.engine.submit(conflicting.tx)
    await until(
      () => engine.decisionOf(conflicting.txid) !== undefined,
      'the conflicting spend decided',
    )
    const decision = engine.decisionOf(conflicting.txid)!
    expect(decision.kind).toBe('reject')
    expect(decision.kind === 'reject' && bytesToHex(decision.conflictingTxid)).toBe(
      bytesToHex(paid.txid),
    )
    for (const n of [a, b, c, back]) expect(n.alarms).toEqual([])
  })
})
