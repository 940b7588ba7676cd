// The one runtime: openEngine (store creation, version check, restore) and EngineRuntime (effects
// carried out in order through its ports, persisted only after the store answers, invalid messages
// penalized without reaching the engine, nothing after stop).
import { describe, expect, it } from 'vitest'
import {
  type Amount,
  type BatchOp,
  COIN,
  Committee,
  type Effect,
  EngineRuntime,
  type FinalityEngine,
  MemoryStore,
  type Message,
  MetaKey,
  messageBundle,
  type Notification,
  openEngine,
  type PeerId,
  StorageError,
  sha256,
  type TimeCoinError,
  type Txid,
  type TxOutput,
  utf8ToBytes,
  verifyBundle,
} from '../../src/core/index.ts'
import { typedRejectionOf } from '../support/error-code.ts'
import { GENESIS_HASH, keyPair, payloadOf, spend } from '../support/ledger-fixture.ts'

const masternodes = [0, 1, 2, 3].map((i) => keyPair(200 + i))
const committee = new Committee(
  0,
  masternodes.map((k) => ({ key: k.publicKey, weight: 10 })),
)
const alice = keyPair(0)
const bob = keyPair(1)
const genesisTxid = sha256(utf8ToBytes('runtime genesis')) as Txid
const outputs: TxOutput[] = [alice, alice].map((k) => ({
  value: (10n * COIN) as Amount,
  address: payloadOf(k),
}))
const genesis = { txid: genesisTxid, outputs }
const config = { genesisHash: GENESIS_HASH, genesis, committee, key: masternodes[0]! }
const pay = spend(
  [{ outpoint: { txid: genesisTxid, vout: 0 }, value: 10n * COIN, owner: alice }],
  [{ to: bob, value: 9n * COIN }],
)

async function snapshot(store: MemoryStore): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of store.iterate()) out.push(`${k.join(',')}=${v.join(',')}`)
  return out
}

async function verified(message: Message): Promise<TimeCoinError | null> {
  try {
    await verifyBundle(messageBundle(message, GENESIS_HASH))
    return null
  } catch (e) {
    return e as TimeCoinError
  }
}

/** A runtime whose store answers only when `release()` is called, recording every port call. */
function harness(engine: FinalityEngine) {
  const log: string[] = []
  const notes: Notification[] = []
  const pendingWrites: (() => void)[] = []
  const store = new MemoryStore()
  const runtime = new EngineRuntime(engine, {
    clock: () => 5_000,
    timers: (id) => {
      log.push(`timer ${id}`)
      return { cancel: () => log.push(`cancel ${id}`) }
    },
    transport: (to: PeerId, message: Message) => log.push(`send ${message.type} ${to.slice(0, 4)}`),
    store: (ops: readonly BatchOp[], sync: boolean, done: () => void) => {
      log.push(`write ${ops.length} ${sync ? 'sync' : 'async'}`)
      pendingWrites.push(() => void store.write(ops).then(done))
    },
    verify: verified,
    notify: (n) => notes.push(n),
  })
  return {
    runtime,
    log,
    notes,
    async release() {
      const writes = pendingWrites.splice(0)
      for (const w of writes) w()
      await runtime.idle()
    },
  }
}

describe('openEngine', () => {
  it('creates a new store with its version and genesis in one batch, and reopens it', async () => {
    const store = new MemoryStore()
    const engine = await openEngine(store, config)
    expect(engine.ledger.summary().total).toBe(20n * COIN)
    expect(await store.get(MetaKey.dbVersion)).toBeDefined()
    const again = await openEngine(store, config)
    expect(again.ledger.summary().total).toBe(20n * COIN)
  })

  it('refuses a store of another version, naming it, and changes nothing', async () => {
    const store = new MemoryStore()
    await openEngine(store, config)
    await store.put(MetaKey.dbVersion, Uint8Array.of(9, 0, 0, 0))
    const before = await snapshot(store)
    const error = await openEngine(store, config).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).code).toBe('STORE_VERSION_MISMATCH')
    expect((error as Error).message).toMatch(/9/)
    expect(await snapshot(store)).toEqual(before)
  })

  it('refuses a non-empty store without a version (not ours, or from before versioning)', async () => {
    const store = new MemoryStore()
    await store.put(Uint8Array.of(0x10, 1), Uint8Array.of(1))
    const error = await openEngine(store, config).catch((e: unknown) => e)
    expect((error as StorageError).code).toBe('STORE_VERSION_MISSING')
  })
})

describe('EngineRuntime', () => {
  it('sends a vote only after the store answered its write, in emission order', async () => {
    const h = harness(await openEngine(new MemoryStore(), config))
    h.runtime.start()
    await h.runtime.submit(pay.tx)
    // Decided and written, not yet durable: the transaction is forwarded, no vote has left.
    expect(h.log.filter((l) => l.startsWith('send InstantFinalityVote'))).toEqual([])
    expect(h.log.some((l) => /^write \d+ sync$/.test(l))).toBe(true)
    expect(h.runtime.pending).toBeGreaterThan(0)
    await h.release()
    expect(h.log.filter((l) => l.startsWith('send InstantFinalityVote'))).toHaveLength(3)
    const firstVote = h.log.findIndex((l) => l.startsWith('send InstantFinalityVote'))
    const write = h.log.findIndex((l) => /^write \d+ sync$/.test(l))
    expect(write).toBeLessThan(firstVote)
  })

  it('penalizes the sender of a message with a bad signature, and the engine never sees it', async () => {
    const engine = await openEngine(new MemoryStore(), config)
    const h = harness(engine)
    h.runtime.start()
    const forged = {
      ...pay.tx,
      inputs: pay.tx.inputs.map((i) => ({ ...i, signature: new Uint8Array(64).fill(7) })),
    }
    h.runtime.deliver('wallet-1', { type: 'TransactionBroadcast', tx: forged })
    await h.runtime.idle()
    expect(h.notes.map((n) => n.type)).toEqual(['penalize'])
    expect(h.notes[0]).toMatchObject({ type: 'penalize', peer: 'wallet-1' })
    expect(engine.decisionOf(pay.txid)).toBeUndefined()
    expect(h.log.filter((l) => l.startsWith('send') || l.startsWith('write'))).toEqual([])
    expect(await typedRejectionOf(h.runtime.submit(forged))).toBe('TransactionError:TX_SIGNATURE')
  })

  it('hands messages on in arrival order, whichever verifies first', async () => {
    const engine = await openEngine(new MemoryStore(), config)
    const release: (() => void)[] = []
    const runtime = new EngineRuntime(engine, {
      clock: () => 0,
      timers: () => ({ cancel: () => {} }),
      transport: () => {},
      store: (_ops, _sync, done) => done(),
      // Every verdict waits until released: the test releases them last-first.
      verify: () => new Promise((resolve) => release.push(() => resolve(null))),
    })
    runtime.start()
    const rival = spend(
      [{ outpoint: { txid: genesisTxid, vout: 0 }, value: 10n * COIN, owner: alice }],
      [{ to: alice, value: 9n * COIN }],
    )
    runtime.deliver('wallet-1', { type: 'TransactionBroadcast', tx: pay.tx })
    runtime.deliver('wallet-2', { type: 'TransactionBroadcast', tx: rival.tx })
    release[1]!()
    await Promise.resolve()
    // The rival verified first, but waits for the payment that arrived before it.
    expect(engine.decisionOf(rival.txid)).toBeUndefined()
    release[0]!()
    await runtime.idle()
    expect(engine.decisionOf(pay.txid)?.kind).toBe('accept')
    expect(engine.decisionOf(rival.txid)).toMatchObject({
      kind: 'reject',
      conflictingTxid: pay.txid,
    })
  })

  it('after stop, no event reaches the engine and no effect leaves it', async () => {
    const engine = await openEngine(new MemoryStore(), config)
    const h = harness(engine)
    h.runtime.start()
    await h.runtime.submit(pay.tx)
    h.runtime.stop()
    const logged = h.log.length
    await h.release()
    h.runtime.deliver('wallet-1', { type: 'TransactionBroadcast', tx: pay.tx })
    await h.runtime.idle()
    expect(h.log.length).toBe(logged)
    expect(h.runtime.pending).toBe(0)
    await expect(h.runtime.submit(pay.tx)).rejects.toThrow(/stopped/)
  })

  it('a verifier closed after stop fails what was in flight, and that is no error', async () => {
    const engine = await openEngine(new MemoryStore(), config)
    let fail: (e: Error) => void = () => {}
    const runtime = new EngineRuntime(engine, {
      clock: () => 0,
      timers: () => ({ cancel: () => {} }),
      transport: () => {},
      store: (_ops, _sync, done) => done(),
      // A worker pool rejects every job still queued when it closes, with a plain Error.
      verify: () => new Promise((_resolve, reject) => (fail = reject)),
    })
    runtime.start()
    runtime.deliver('wallet-1', { type: 'TransactionBroadcast', tx: pay.tx })
    expect(runtime.pending).toBe(1)
    runtime.stop()
    fail(new Error('the verifier pool is closed'))
    // Unhandled, the rejection would fail the run; handled, nothing reaches the stopped engine.
    await runtime.idle()
    expect(runtime.pending).toBe(0)
    expect(engine.decisionOf(pay.txid)).toBeUndefined()
  })

  it('a timer fires once; a handle replaced by a re-arm fires nothing', async () => {
    const engine = await openEngine(new MemoryStore(), config)
    const seen: Effect[] = []
    const fired: (() => void)[] = []
    const runtime = new EngineRuntime(engine, {
      clock: () => 0,
      timers: (_id, _at, fire) => {
        fired.push(fire)
        return { cancel: () => {} }
      },
      transport: () => {},
      store: (_ops, _sync, done) => done(),
      verify: () => null,
      beforeEffect: (e) => seen.push(e),
    })
    runtime.start()
    const expire = seen.filter((e) => e.type === 'setTimer')
    expect(expire).toHaveLength(1)
    // The expiry timer fires: its handler re-arms it (a second setTimer, a second handle).
    fired[0]!()
    expect(seen.filter((e) => e.type === 'setTimer')).toHaveLength(2)
    // The first handle was replaced: firing it again reaches nothing.
    fired[0]!()
    expect(seen.filter((e) => e.type === 'setTimer')).toHaveLength(2)
    fired[1]!()
    expect(seen.filter((e) => e.type === 'setTimer')).toHaveLength(3)
  })

  it('a timer port that fires at once: the firing is handled after the current effects', async () => {
    const engine = await openEngine(new MemoryStore(), config)
    const seen: Effect[] = []
    let firstArming = true
    const runtime = new EngineRuntime(engine, {
      clock: () => 0,
      timers: (_id, _at, fire) => {
        // Fires the very first arming synchronously, inside the runtime's effect loop.
        if (firstArming) {
          firstArming = false
          fire()
        }
        return { cancel: () => {} }
      },
      transport: () => {},
      store: (_ops, _sync, done) => done(),
      verify: () => null,
      beforeEffect: (e) => seen.push(e),
    })
    expect(() => runtime.start()).not.toThrow()
    // The expiry timer fired once (its handler re-armed it): two armings, no stale handle kept.
    expect(seen.filter((e) => e.type === 'setTimer')).toHaveLength(2)
  })
})
