// The wallet protocol over real libp2p hosts (issue 10, point 8): four masternodes, one serving
// wallets. A light client subscribes, pays from its address, and sees its coin go Locked,
// SpentPending, SpentFinalized and Confirmed — checking each certificate and block path itself —
// and the payee's new output arrive; after a reconnect it reads again only the addresses whose
// status changed; limits are answered with typed errors; a forged certificate from a lying
// masternode is refused. (A wallet that stops reading: wallet-service.test.ts.) Every wait is
// bounded; every host is stopped after each test.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  addressStatus,
  bytesToHex,
  COIN,
  equalBytes,
  LightClient,
  type LightClientEvent,
  MIN_FEE,
  PROTOCOLS,
  protocolIdOf,
  type WalletMessage,
  type WalletUtxo,
} from '../../../src/core/index.ts'
import { MemoryPeerBook, WalletClient } from '../../../src/core/net/index.ts'
import { PeerRole } from '../../../src/core/protocol/handshake.ts'
import { createVerifierPool, type VerifierPool } from '../../../src/node/crypto/verifier-pool.ts'
import { engineFixture } from '../../support/engine-fixture.ts'
import { type Built, keyPair, payloadOf, spend } from '../../support/ledger-fixture.ts'
import {
  addressesOf,
  type ClusterSetup,
  startCommittee,
  startWallet,
  stopCluster,
  type Transport,
  until,
} from '../../support/net-engines.ts'
import { addressOf, handshakeHost, stopAll } from '../../support/net-hosts.ts'
import { openWallet } from '../../support/net-wallets.ts'
import {
  ALICE,
  aliceCoin,
  C0,
  certify,
  coinOutput,
  forged,
  payBob,
  utxo,
  WALLET_GENESIS,
} from '../../support/wallet-fixture.ts'

const owners = Array.from({ length: 6 }, (_, i) => keyPair(600 + i))
const fx = engineFixture('wallet network', 90, owners)
const [alice, bob, carol] = [owners[0]!, owners[1]!, owners[2]!]

/** Blocks a few times a second, so payments are confirmed within the test. */
const CHAIN = {
  intervalMs: 250,
  timeouts: { proposeMs: 1_000, prevoteMs: 1_000, precommitMs: 1_000, growthMs: 250 },
}

let pool: VerifierPool
beforeAll(() => {
  pool = createVerifierPool(2)
})
afterAll(() => pool.close())
afterEach(async () => {
  await stopCluster()
  await stopAll()
})

function setup(transport: Transport): ClusterSetup {
  return {
    transport,
    committee: fx.committee,
    genesis: fx.genesis,
    chain: CHAIN,
    verifier: pool,
    book: new MemoryPeerBook(),
  }
}

/** Genesis coin `vout` paid `amount` TIME to `to`, the change back. */
function pay(vout: number, to: typeof alice, amount: bigint): Built {
  const coin = fx.coin(vout)
  return spend(
    [coin],
    [
      { to, value: amount * COIN },
      { to: coin.owner, value: coin.value - amount * COIN - MIN_FEE },
    ],
  )
}

/** The states an output went through, as the client applied them. */
function statesOf(events: readonly LightClientEvent[], txid: Uint8Array, vout: number) {
  return events.flatMap((e) =>
    e.type === 'utxo' &&
    equalBytes(e.held.utxo.outpoint.txid, txid) &&
    e.held.utxo.outpoint.vout === vout
      ? [{ kind: e.held.utxo.state.kind, proven: e.held.proven, proof: e.held.utxo.proof.kind }]
      : [],
  )
}

/** Starts the committee, the first member serving wallets with `wallet` settings. */
function committee(
  transport: Transport,
  wallet: Parameters<typeof startCommittee>[2] = () => ({}),
) {
  return startCommittee(setup(transport), fx.masternodes, async (i) =>
    i === 0 ? { wallet: {}, ...(await wallet(i)) } : {},
  )
}

describe.each<Transport>(['memory', 'tcp'])('the wallet protocol over %s', (transport) => {
  it('pushes a payment: Locked, SpentPending, SpentFinalized and Confirmed, each proof checked by the client', async () => {
    const nodes = await committee(transport)
    const w = await openWallet(transport, fx.committee)
    w.adapter.subscribe([payloadOf(alice), payloadOf(bob)])
    await w.connect(nodes[0]!)
    await w.synced([payloadOf(alice), payloadOf(bob)])
    // Alice's genesis coin came with the resync (her status was not the empty one).
    expect(w.client.outputs(payloadOf(alice)).map((h) => h.utxo.state.kind)).toEqual(['Unspent'])

    const payment = pay(0, bob, 3n)
    const requestId = w.adapter.submit(payment.tx)
    const result = await w.event(
      (e) => e.type === 'submitted' && e.requestId === requestId,
      'the submit result',
    )
    expect(result).toMatchObject({ error: null })
    await until(
      () =>
        statesOf(w.events, fx.coin(0).outpoint.txid, 0).some((s) => s.kind === 'Confirmed') &&
        statesOf(w.events, payment.txid, 0).some((s) => s.proof === 'inclusion'),
      'the payment confirmed, as the wallet sees it',
      20_000,
    )
    const coin = statesOf(w.events, fx.coin(0).outpoint.txid, 0).filter((s) => s.kind !== 'Unspent')
    expect(coin.map((s) => s.kind)).toEqual([
      'Locked',
      'SpentPending',
      'SpentFinalized',
      'Confirmed',
    ])
    // The final states came with proofs the client checked: a certificate, then a block path.
    expect(coin.slice(2)).toEqual([
      { kind: 'SpentFinalized', proven: true, proof: 'finality' },
      { kind: 'Confirmed', proven: true, proof: 'inclusion' },
    ])
    // Bob's new output: created final (its certificate), then confirmed (its block).
    expect(statesOf(w.events, payment.txid, 0)).toEqual([
      { kind: 'Unspent', proven: true, proof: 'finality' },
      { kind: 'Unspent', proven: true, proof: 'inclusion' },
    ])
    // The transaction was announced before its first state change.
    const announced = w.events.findIndex((e) => e.type === 'transaction')
    const locked = w.events.findIndex(
      (e) => e.type === 'utxo' && e.held.utxo.state.kind === 'Locked',
    )
    expect(announced).toBeGreaterThanOrEqual(0)
    expect(announced).toBeLessThan(locked)
    expect(w.events.filter((e) => e.type === 'refused')).toEqual([])
    await w.synced([payloadOf(alice), payloadOf(bob)])
    const stats = nodes[0]!.wallet!.stats()
    expect(stats).toMatchObject({ wallets: 1, addresses: 2, subscriptions: 2, slowWallets: 0 })
    for (const n of nodes) expect(n.alarms).toEqual([])
  })
})

describe('the wallet protocol', () => {
  it('after a reconnect reads again only the addresses whose status changed', async () => {
    const nodes = await committee('memory')
    const w = await openWallet('memory', fx.committee)
    const watched = [payloadOf(alice), payloadOf(carol)]
    w.adapter.subscribe(watched)
    await w.connect(nodes[0]!)
    await w.synced(watched)
    const service = nodes[0]!.wallet!
    await w.adapter.close()
    // Meanwhile alice pays bob, at another member; carol's address does not change.
    const payment = pay(0, bob, 2n)
    await nodes[2]!.engine.submit(payment.tx)
    await until(
      () => nodes.every((n) => n.confirmed.has(bytesToHex(payment.txid))),
      'the payment confirmed',
      20_000,
    )
    const before = service.stats()
    await w.connect(nodes[0]!)
    await w.synced(watched)
    const after = service.stats()
    expect(after.subscribes - before.subscribes).toBe(1)
    expect(after.queries - before.queries).toBe(1) // alice's address only, in one page
    const held = w.client.outputs(payloadOf(alice))
    expect(held.map((h) => [h.utxo.state.kind, h.proven]).sort()).toEqual([
      ['Confirmed', true],
      ['Unspent', true],
    ])
    // Nothing changed: a reconnect reads nothing again.
    await w.adapter.close()
    await w.connect(nodes[0]!)
    await w.synced(watched)
    expect(service.stats().queries - after.queries).toBe(0)
  })

  it('answers its limits with typed errors: too many addresses, too many wallets, a malformed frame', async () => {
    const nodes = await committee('memory', () => ({ wallet: { maxAddresses: 2, maxWallets: 1 } }))
    const w1 = await openWallet('memory', fx.committee)
    await w1.connect(nodes[0]!)
    w1.adapter.subscribe([payloadOf(alice), payloadOf(bob), payloadOf(carol)])
    const refusal = await w1.event((e) => e.type === 'error', 'the subscribe refused')
    expect(refusal).toMatchObject({ error: { code: 'WALLET_TOO_MANY_ADDRESSES' } })
    expect(refusal.type === 'error' && refusal.requestId).toBeGreaterThan(0)
    expect(nodes[0]!.wallet!.stats().subscriptions).toBe(0)

    const w2 = await openWallet('memory', fx.committee)
    await w2.connect(nodes[0]!)
    const notice = await w2.event((e) => e.type === 'error', 'the second wallet refused')
    expect(notice).toEqual({
      type: 'error',
      requestId: 0,
      error: expect.objectContaining({ code: 'WALLET_TOO_MANY_PEERS' }),
    })
    await until(() => w2.closed.length === 1, 'the refused stream closed')
    expect(nodes[0]!.wallet!.stats()).toMatchObject({ wallets: 1, refusedWallets: 1 })

    // A truncated subscribe on a raw stream: told why, then closed.
    await w1.adapter.close()
    await until(() => nodes[0]!.wallet!.stats().wallets === 0, 'the first wallet gone')
    const raw = await startWallet('memory')
    const connection = await raw.dial(addressesOf(nodes[0]!.host, 'memory'))
    const stream = await connection.newStream(protocolIdOf('devnet', 'wallet'))
    const frames = readFrames(stream)
    stream.send(Uint8Array.of(3, 0x20, 1, 0))
    const answer = await frames.next()
    expect(answer).toMatchObject({ type: 'Error', requestId: 0, error: { code: 'TRUNCATED' } })
    await until(() => stream.remoteWriteStatus === 'closed', 'the masternode closed its end')
    expect(nodes[0]!.wallet!.stats().frameErrors).toBe(1)
  })
})

describe('the light client against a lying masternode', () => {
  it('refuses a forged certificate in a notification, and takes a good one', async () => {
    // A fake masternode that answers the client's first requests, then pushes what it likes.
    const server = await handshakeHost('memory')
    const coin = aliceCoin('lying server')
    const payment = payBob(coin)
    const at = coinOutput(coin)
    const good = certify(payment.txid)
    const push = (u: WalletUtxo) => ({
      type: 'UTXOStateNotification' as const,
      utxo: u,
      status: addressStatus([u]),
    })
    const spent = (certificate: typeof good) =>
      utxo(
        at,
        { kind: 'SpentFinalized', txid: payment.txid },
        { kind: 'finality', tx: payment.tx, certificate },
      )
    await server.handle(protocolIdOf('devnet', 'wallet'), (stream) => {
      const frames = readFrames(stream, 'client')
      const send = (m: WalletMessage) =>
        stream.send(frame(PROTOCOLS.wallet.listener!.encode(m as never)))
      void (async () => {
        for (let i = 0; i < 2; i++) {
          const request = await frames.next()
          if (request.type === 'CommitteeProofRequest')
            send({
              type: 'CommitteeProofAnswer',
              requestId: request.requestId,
              fromEpoch: 0,
              currentEpoch: 0,
              steps: [],
            })
          else if (request.type === 'UTXOSubscribe')
            send({
              type: 'UTXOSubscribeAnswer',
              requestId: request.requestId,
              statuses: [{ address: ALICE, status: addressStatus([]) }],
            })
        }
        send(push(spent(forged(good))))
        send(push(spent(good)))
      })()
    })
    const host = await handshakeHost('memory', { role: PeerRole.LightClient })
    const client = new LightClient({ genesisHash: WALLET_GENESIS, genesisCommittee: C0 })
    const adapter = new WalletClient({ network: 'devnet', client })
    const events: LightClientEvent[] = []
    adapter.addEventListener('event', (e) => events.push(e.detail))
    adapter.subscribe([ALICE])
    await adapter.connect(await host.dial(addressOf(server, 'memory')), {
      handshake: host.services.handshake,
    })
    await until(() => events.some((e) => e.type === 'utxo'), 'the good certificate applied')
    const refused = events.filter((e) => e.type === 'refused')
    expect(refused.map((e) => e.type === 'refused' && e.error.code)).toEqual(['CERT_SIGNATURE'])
    // Refused first, then applied: the forged one never reached the client's outputs.
    expect(events.findIndex((e) => e.type === 'refused')).toBeLessThan(
      events.findIndex((e) => e.type === 'utxo'),
    )
    expect(client.outputs(ALICE).map((h) => [h.utxo.state.kind, h.proven])).toEqual([
      ['SpentFinalized', true],
    ])
    await adapter.close()
  })
})

// ── raw frames ──

function frame(payload: Uint8Array): Uint8Array {
  const prefix: number[] = []
  let n = payload.length
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  prefix.push(n)
  return concat([Uint8Array.from(prefix), payload])
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Frames read from a stream as wallet messages of one side: `next()` waits (5 s at most). */
function readFrames(
  stream: {
    addEventListener: (
      type: 'message',
      f: (e: { data: { subarray(): Uint8Array } }) => void,
    ) => void
  },
  from: 'server' | 'client' = 'server',
) {
  const codec = from === 'server' ? PROTOCOLS.wallet.listener! : PROTOCOLS.wallet.dialer
  const messages: WalletMessage[] = []
  let buffer: Uint8Array = new Uint8Array(0)
  stream.addEventListener('message', (e) => {
    buffer = concat([buffer, e.data.subarray()])
    for (;;) {
      let length = 0
      let shift = 0
      let i = 0
      for (; i < buffer.length; i++) {
        length += (buffer[i]! & 0x7f) * 2 ** shift
        shift += 7
        if (buffer[i]! < 0x80) break
      }
      if (i >= buffer.length || buffer.length < i + 1 + length) return
      messages.push(codec.decode(buffer.subarray(i + 1, i + 1 + length)) as WalletMessage)
      buffer = buffer.subarray(i + 1 + length)
    }
  })
  return {
    async next(): Promise<WalletMessage> {
      await until(() => messages.length > 0, 'a wallet frame', 5_000)
      return messages.shift()!
    },
  }
}
