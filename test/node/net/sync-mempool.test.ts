// What peers exchange when a committee link comes up (issue 10, point 9): each sends the other its
// final, unconfirmed transactions with their certificates, then its pending ones. A member that
// restarts after a payment became final without it (and before any block confirmed it) learns
// the payment from the others at once — and so refuses a conflicting spend instead of voting for
// it. Blocks are far apart here (60 s) so nothing is confirmed during the test, and the frames the
// others queued for the member while it was down are dropped, so only that exchange can tell it.
// Every wait is bounded; every host and store is stopped after each test.
import { describe, expect, it } from 'vitest'
import { bytesToHex, COIN, MIN_FEE } from '../../../src/core/index.ts'
import { engineFixture } from '../../support/engine-fixture.ts'
import { keyPair, spend } from '../../support/ledger-fixture.ts'
import {
  linked,
  type Masternode,
  startMasternode,
  stopMasternode,
  until,
} from '../../support/net-engines.ts'
import { syncCluster } from '../../support/net-sync.ts'

const owners = Array.from({ length: 4 }, (_, i) => keyPair(800 + i))
const fx = engineFixture('sync mempool', 820, owners)

const { setup, committee } = syncCluster(fx)

/** Blocks 60 s apart: none is made during the test. */
const SLOW_CHAIN = {
  intervalMs: 60_000,
  timeouts: { proposeMs: 1_000, prevoteMs: 1_000, precommitMs: 1_000, growthMs: 250 },
}

/** `coin` paid to owner `to` (1 TIME), the change back. */
function pay(coin: ReturnType<typeof fx.coin>, to: number) {
  return spend(
    [coin],
    [
      { to: owners[to]!, value: COIN },
      { to: coin.owner, value: coin.value - COIN - MIN_FEE },
    ],
  )
}

describe('on a committee link coming up', () => {
  it('a restarted member learns a payment made final without it, and refuses a conflicting spend', async () => {
    const s = setup(SLOW_CHAIN)
    const nodes = await committee(s)
    const [a, b, c, restarted] = nodes as [Masternode, Masternode, Masternode, Masternode]

    await stopMasternode(restarted, false)
    const coin = fx.coin(0)
    const paid = pay(coin, 1)
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
    const back = await startMasternode(s, restarted.key, {
      store: restarted.store,
      sync: { mode: 'serve' },
    })
    const engine = back.engine.runtime.engine
    expect(engine.isFinal(paid.txid)).toBe(false)
    await until(() => linked([a, b, c, back]), 'the restarted member linked again')
    await until(() => engine.isFinal(paid.txid), 'the restarted member learns the payment')
    // Learnt from the others' push, not from a block: none has been made.
    expect(engine.tip!.height).toBe(0)
    expect([a, b, c].reduce((n, m) => n + m.sync!.stats().pushed, 0)).toBeGreaterThan(0)
    expect(engine.ledger.utxos.get(coin.outpoint)?.state).toMatchObject({
      kind: 'SpentFinalized',
    })

    // A conflicting spend of the same coin: this member votes Reject, naming the payment.
    const conflicting = pay(coin, 2)
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
