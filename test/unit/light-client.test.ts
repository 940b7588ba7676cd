// The light client's state machine (src/core/wallet/light-client), driven by hand: frames a
// masternode would send in, commands out. It subscribes on connecting and asks for the committees
// from genesis; applies a payment's states in the order sent, each proof checked by itself
// (certificates against the committee of their epoch, blocks by certificate and Merkle path);
// refuses forged or missing proofs; walks committee proofs; resyncs by status hash after a
// reconnect or a mismatch; correlates submissions; and closes the stream on protocol breaches and
// timeouts. Runs in Node and in Chromium.
import { describe, expect, it } from 'vitest'
import {
  type AddressPayload,
  addressStatus,
  bytesToHex,
  checkUtxoProof,
  ed25519,
  LightClient,
  type LightClientCommand,
  type LightClientConfig,
  type LightClientEvent,
  type LightClientInput,
  PROTOCOLS,
  type SignatureCheck,
  type TimeCoinError,
  TimeCoinError as TypedError,
  type WalletMessage,
  type WalletUtxo,
} from '../../src/core/index.ts'
import type { Coin } from '../support/ledger-fixture.ts'
import {
  ALICE,
  aliceCoin,
  BOB,
  C0,
  C1,
  certifiedBlock,
  certify,
  coinOutput,
  forged,
  inclusion,
  payBob,
  rewardOutpoint,
  rewardProof,
  stepToC1,
  utxo,
  WALLET_GENESIS,
} from '../support/wallet-fixture.ts'

type Request = Extract<
  WalletMessage,
  {
    type:
      | 'UTXOSubscribe'
      | 'UTXOUnsubscribe'
      | 'UTXOStateQuery'
      | 'SubmitTransaction'
      | 'CommitteeProofRequest'
  }
>

/** Drives a LightClient as the network adapter would, recording what it asks for. */
class Harness {
  readonly client: LightClient
  now = 0
  sent: Request[] = []
  events: LightClientEvent[] = []
  timers = new Map<string, number>()
  verifies: { id: number; checks: readonly SignatureCheck[] }[] = []
  closed: TimeCoinError[] = []

  constructor(config: Partial<LightClientConfig> = {}) {
    this.client = new LightClient({
      genesisHash: WALLET_GENESIS,
      genesisCommittee: C0,
      ...config,
    })
  }

  carry(commands: readonly LightClientCommand[]): void {
    for (const c of commands) {
      if (c.type === 'send') this.sent.push(PROTOCOLS.wallet.dialer.decode(c.frame) as Request)
      else if (c.type === 'event') this.events.push(c.event)
      else if (c.type === 'setTimer') this.timers.set(c.id, c.at)
      else if (c.type === 'clearTimer') this.timers.delete(c.id)
      else if (c.type === 'verify') this.verifies.push({ id: c.id, checks: c.checks })
      else this.closed.push(c.error)
    }
  }

  input(input: LightClientInput): void {
    this.carry(this.client.handle(input, this.now))
  }

  /** A frame from the masternode. */
  server(message: WalletMessage): void {
    this.input({ type: 'frame', frame: PROTOCOLS.wallet.listener!.encode(message as never) })
  }

  /** Runs every pending signature check (as the adapter does, natively). */
  async verify(): Promise<void> {
    while (this.verifies.length > 0) {
      const v = this.verifies.shift()!
      this.input({ type: 'verified', id: v.id, verdicts: await ed25519.verifyMany(v.checks) })
    }
  }

  /** The last request of `type` sent. */
  last<T extends Request['type']>(type: T): Extract<Request, { type: T }> {
    const found = this.sent.filter((m) => m.type === type).at(-1)
    if (found === undefined) throw new Error(`no ${type} sent`)
    return found as Extract<Request, { type: T }>
  }

  take(): LightClientEvent[] {
    const out = this.events
    this.events = []
    return out
  }

  fire(id: string): void {
    this.now = Math.max(this.now, this.timers.get(id) ?? this.now)
    this.timers.delete(id)
    this.input({ type: 'timer', id })
  }

  /** Connects, answers the committee request (epoch 0) and the subscribe with `statuses`. */
  connect(statuses: (address: AddressPayload) => Uint8Array = () => EMPTY): void {
    this.input({ type: 'connected' })
    const proof = this.last('CommitteeProofRequest')
    expect(proof.fromEpoch).toBe(0)
    this.server({
      type: 'CommitteeProofAnswer',
      requestId: proof.requestId,
      fromEpoch: 0,
      currentEpoch: 0,
      steps: [],
    })
    if (this.client.watching === 0) return
    const sub = this.last('UTXOSubscribe')
    this.server({
      type: 'UTXOSubscribeAnswer',
      requestId: sub.requestId,
      statuses: sub.addresses.map((address) => ({ address, status: statuses(address) })),
    })
  }
}

const EMPTY = addressStatus([])

/** What a server holds for an address, and the status it computes: the test's own server view. */
class View {
  readonly outputs = new Map<string, WalletUtxo>()
  set(u: WalletUtxo): Uint8Array {
    this.outputs.set(`${bytesToHex(u.outpoint.txid)}:${u.outpoint.vout}`, u)
    return this.status()
  }
  status(): Uint8Array {
    return addressStatus([...this.outputs.values()])
  }
}

function codes(events: readonly LightClientEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'refused' ? [e.error.code] : []))
}

function states(events: readonly LightClientEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'utxo' ? [e.held.utxo.state.kind] : []))
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f()
    return undefined
  } catch (e) {
    return e instanceof TypedError ? e.code : `untyped: ${e}`
  }
}

/** A client holding alice's coin (read by a resync after subscribing), in step. */
async function holdingCoin(coin: Coin = aliceCoin('held')) {
  const h = new Harness()
  const view = new View()
  const held = utxo(coinOutput(coin), { kind: 'Unspent' })
  const status = view.set(held)
  h.carry(h.client.subscribe([ALICE], h.now))
  h.connect(() => status)
  const query = h.last('UTXOStateQuery')
  expect(query).toMatchObject({ from: 0 })
  h.server({
    type: 'UTXOStateAnswer',
    requestId: query.requestId,
    address: ALICE,
    status,
    total: 1,
    from: 0,
    utxos: [held],
  })
  await h.verify()
  expect(h.client.isSynced(ALICE)).toBe(true)
  h.take()
  return { h, view, coin }
}

describe('light client: connecting', () => {
  it('subscribes its addresses and asks for the committees from genesis, in step when statuses match', () => {
    const h = new Harness()
    h.carry(h.client.subscribe([ALICE, BOB, ALICE], h.now))
    expect(h.sent).toEqual([]) // not connected yet
    h.connect()
    expect(h.last('UTXOSubscribe').addresses).toEqual([ALICE, BOB])
    expect(h.take().filter((e) => e.type === 'synced')).toHaveLength(2)
    expect(h.client.isSynced(ALICE) && h.client.isSynced(BOB)).toBe(true)
    expect(h.client.requestsInFlight).toBe(0)
    // Only new addresses are subscribed later on.
    h.carry(h.client.subscribe([BOB, sampleAddress(3)], h.now))
    expect(h.last('UTXOSubscribe').addresses).toEqual([sampleAddress(3)])
  })

  it('watches at most maxAddresses and keeps requests in flight bounded', () => {
    const h = new Harness({ maxAddresses: 2, maxRequests: 3 })
    h.carry(h.client.subscribe([ALICE, BOB], h.now))
    expect(codeOf(() => h.client.subscribe([sampleAddress(9)], h.now))).toBe(
      'WALLET_TOO_MANY_ADDRESSES',
    )
    expect(codeOf(() => h.client.submit(payBob(aliceCoin('x')).tx, h.now))).toBe(
      'WALLET_DISCONNECTED',
    )
    h.input({ type: 'connected' }) // committee request + subscribe: 2 in flight
    h.carry(h.client.submit(payBob(aliceCoin('a')).tx, h.now).commands)
    expect(codeOf(() => h.client.submit(payBob(aliceCoin('b')).tx, h.now))).toBe(
      'WALLET_TOO_MANY_REQUESTS',
    )
    expect(() => new LightClient({ genesisHash: WALLET_GENESIS, genesisCommittee: C1 })).toThrow(
      RangeError,
    )
  })
})

describe('light client: a payment, every proof checked', () => {
  it('applies Locked, SpentPending, SpentFinalized (certificate) and Confirmed (block path) in order', async () => {
    const { h, view, coin } = await holdingCoin()
    const pay = payBob(coin)
    const at = coinOutput(coin)
    const notify = (u: WalletUtxo) =>
      h.server({ type: 'UTXOStateNotification', utxo: u, status: view.set(u) })

    h.server({ type: 'NewTransactionNotification', tx: pay.tx })
    notify(utxo(at, { kind: 'Locked', txid: pay.txid }))
    notify(utxo(at, { kind: 'SpentPending', txid: pay.txid, votes: 20 }))
    const certificate = certify(pay.txid)
    notify(
      utxo(
        at,
        { kind: 'SpentFinalized', txid: pay.txid },
        { kind: 'finality', tx: pay.tx, certificate },
      ),
    )
    // The change output, created by the final payment: proven by the same certificate.
    const change = { outpoint: { txid: pay.txid, vout: 1 }, output: pay.tx.outputs[1]! }
    notify(utxo(change, { kind: 'Unspent' }, { kind: 'finality', tx: pay.tx, certificate }))
    const block = certifiedBlock([pay.tx], 3)
    notify(utxo(at, { kind: 'Confirmed', txid: pay.txid, height: 3 }, inclusion(block, 0)))
    // Nothing final is applied before its signatures are checked, and order holds meanwhile.
    expect(states(h.events)).toEqual(['Locked', 'SpentPending'])
    await h.verify()
    const events = h.take()
    expect(events[0]).toMatchObject({ type: 'transaction', txid: pay.txid })
    expect(states(events)).toEqual([
      'Locked',
      'SpentPending',
      'SpentFinalized',
      'Unspent',
      'Confirmed',
    ])
    expect(codes(events)).toEqual([])
    const held = h.client.outputs(ALICE)
    expect(held.map((o) => [o.utxo.state.kind, o.proven])).toEqual(
      // Outpoint order: the change (txid of the payment) and the coin, by their encodings.
      bytesToHex(pay.txid) < bytesToHex(coin.outpoint.txid)
        ? [
            ['Unspent', true],
            ['Confirmed', true],
          ]
        : [
            ['Confirmed', true],
            ['Unspent', true],
          ],
    )
    expect(h.client.isSynced(ALICE)).toBe(true)
    expect(h.timers.size).toBe(0)
  })

  it('refuses a forged certificate, a short one, one for another transaction, and a final state without proof', async () => {
    const { h, view, coin } = await holdingCoin()
    const pay = payBob(coin)
    const other = payBob(aliceCoin('other'))
    const at = coinOutput(coin)
    const final = (proof: WalletUtxo['proof']) =>
      utxo(at, { kind: 'SpentFinalized', txid: pay.txid }, proof)
    const good = certify(pay.txid)
    const cases: [WalletUtxo, string][] = [
      [final({ kind: 'finality', tx: pay.tx, certificate: forged(good) }), 'CERT_SIGNATURE'],
      [
        final({ kind: 'finality', tx: pay.tx, certificate: certify(pay.txid, 0, [0, 1]) }),
        'CERT_INSUFFICIENT_WEIGHT',
      ],
      [
        final({ kind: 'finality', tx: other.tx, certificate: certify(other.txid) }),
        'WALLET_PROOF_INVALID',
      ],
      [final({ kind: 'none' }), 'WALLET_PROOF_MISSING'],
      [
        utxo(
          at,
          { kind: 'Confirmed', txid: pay.txid, height: 4 },
          inclusion(certifiedBlock([pay.tx], 3), 0),
        ),
        'WALLET_PROOF_INVALID',
      ],
      [
        utxo(
          at,
          { kind: 'Confirmed', txid: pay.txid, height: 3 },
          {
            kind: 'finality',
            tx: pay.tx,
            certificate: good,
          },
        ),
        'WALLET_PROOF_INVALID',
      ],
    ]
    for (const [u, code] of cases) {
      h.server({ type: 'UTXOStateNotification', utxo: u, status: view.set(u) })
      await h.verify()
      const events = h.take()
      expect(codes(events), code).toEqual([code])
      expect(states(events)).toEqual([])
      // Still held as it was, out of step with the masternode: a resync is due.
      expect(h.client.outputs(ALICE)[0]!.utxo.state.kind).toBe('Unspent')
      expect(h.timers.has(`resync:${bytesToHex(ALICE)}`)).toBe(true)
    }
    // The resync reads the address again; the masternode still sends the forged proof: refused.
    h.fire(`resync:${bytesToHex(ALICE)}`)
    const query = h.last('UTXOStateQuery')
    const forgedFinal = final({ kind: 'finality', tx: pay.tx, certificate: forged(good) })
    h.server({
      type: 'UTXOStateAnswer',
      requestId: query.requestId,
      address: ALICE,
      status: view.set(forgedFinal),
      total: 1,
      from: 0,
      utxos: [forgedFinal],
    })
    await h.verify()
    const events = h.take()
    expect(codes(events)).toEqual(['CERT_SIGNATURE'])
    expect(events.filter((e) => e.type === 'removed')).toHaveLength(1)
    expect(h.client.isSynced(ALICE)).toBe(false)
    // Tried again later, each time later (1 s, 2 s, 4 s …).
    expect(h.timers.get(`resync:${bytesToHex(ALICE)}`)).toBe(h.now + 2_000)
  })

  it('checks block rewards and paths on their own', () => {
    const block = certifiedBlock([], 9)
    const reward = block.block.reward
    const at = { outpoint: rewardOutpoint(block, 0), output: reward[0]! }
    const ok = utxo(at, { kind: 'Unspent' }, rewardProof(block))
    expect(checkUtxoProof(ok, C0, WALLET_GENESIS).checks).toHaveLength(3)
    const wrongOutput = { ...ok, output: reward[1]! }
    expect(codeOf(() => checkUtxoProof(wrongOutput, C0, WALLET_GENESIS))).toBe(
      'WALLET_PROOF_INVALID',
    )
    const spent = utxo(at, { kind: 'SpentFinalized', txid: at.outpoint.txid }, rewardProof(block))
    expect(codeOf(() => checkUtxoProof(spent, C0, WALLET_GENESIS))).toBe('WALLET_PROOF_INVALID')
    // A path cut short, or a block certified by too few.
    const coin = aliceCoin('path')
    const pay = payBob(coin)
    const two = certifiedBlock([payBob(aliceCoin('p2')).tx, pay.tx], 4)
    const proof = inclusion(two, 1)
    const confirmed = utxo(
      coinOutput(coin),
      { kind: 'Confirmed', txid: pay.txid, height: 4 },
      proof,
    )
    expect(checkUtxoProof(confirmed, C0, WALLET_GENESIS).checks).toHaveLength(3)
    if (proof.kind !== 'inclusion') throw new Error('inclusion')
    const cut = { ...confirmed, proof: { ...proof, path: [] } }
    expect(codeOf(() => checkUtxoProof(cut, C0, WALLET_GENESIS))).toBe('WALLET_PROOF_INVALID')
    const weak = certifiedBlock([pay.tx], 4, 0, [0, 1])
    const short = { ...confirmed, proof: inclusion(weak, 0) }
    expect(codeOf(() => checkUtxoProof(short, C0, WALLET_GENESIS))).toBe('CERT_INSUFFICIENT_WEIGHT')
    expect(() => checkUtxoProof(confirmed, C1, WALLET_GENESIS)).toThrow(RangeError)
  })
})

describe('light client: committees', () => {
  it('waits for the committee of a later epoch, walks its proof from genesis and checks with it', async () => {
    const { h, view, coin } = await holdingCoin()
    const pay = payBob(coin)
    const certificate = certify(pay.txid, 1, [4, 5, 6])
    const u = utxo(
      coinOutput(coin),
      { kind: 'SpentFinalized', txid: pay.txid },
      {
        kind: 'finality',
        tx: pay.tx,
        certificate,
      },
    )
    h.server({ type: 'UTXOStateNotification', utxo: u, status: view.set(u) })
    const ask = h.last('CommitteeProofRequest')
    expect(ask.fromEpoch).toBe(0)
    expect(h.client.backlog).toBe(1)
    h.server({
      type: 'CommitteeProofAnswer',
      requestId: ask.requestId,
      fromEpoch: 0,
      currentEpoch: 1,
      steps: [stepToC1()],
    })
    await h.verify()
    await h.verify()
    const events = h.take()
    expect(events.filter((e) => e.type === 'committee')).toEqual([{ type: 'committee', epoch: 1 }])
    expect(states(events)).toEqual(['SpentFinalized'])
    expect(h.client.epoch).toBe(1)
    expect(h.client.committeeOf(1)?.totalWeight).toBe(40)
    expect(h.client.backlog).toBe(0)
  })

  it('refuses a certificate of an epoch the masternode has not reached, and a forged committee step', async () => {
    const { h, view, coin } = await holdingCoin()
    const pay = payBob(coin)
    const u = utxo(
      coinOutput(coin),
      { kind: 'SpentFinalized', txid: pay.txid },
      {
        kind: 'finality',
        tx: pay.tx,
        certificate: certify(pay.txid, 5, [4, 5, 6]),
      },
    )
    h.server({ type: 'UTXOStateNotification', utxo: u, status: view.set(u) })
    const ask = h.last('CommitteeProofRequest')
    h.server({
      type: 'CommitteeProofAnswer',
      requestId: ask.requestId,
      fromEpoch: 0,
      currentEpoch: 0,
      steps: [],
    })
    expect(codes(h.take())).toEqual(['WALLET_PROOF_INVALID'])

    // A step certified by too few of C0: refused, and the stream closed.
    const u2 = {
      ...u,
      proof: { ...u.proof, certificate: certify(pay.txid, 1, [4, 5, 6]) },
    } as WalletUtxo
    h.server({ type: 'UTXOStateNotification', utxo: u2, status: view.set(u2) })
    const ask2 = h.last('CommitteeProofRequest')
    h.server({
      type: 'CommitteeProofAnswer',
      requestId: ask2.requestId,
      fromEpoch: 0,
      currentEpoch: 1,
      steps: [stepToC1(7, [0, 1])],
    })
    expect(codes(h.take())).toEqual(['CERT_INSUFFICIENT_WEIGHT'])
    expect(h.closed.map((e) => e.code)).toEqual(['CERT_INSUFFICIENT_WEIGHT'])
  })
})

describe('light client: resync and reconnect', () => {
  it('after a reconnect reads only the addresses whose status changed, page by page', async () => {
    const h = new Harness()
    h.carry(h.client.subscribe([ALICE, BOB], h.now))
    h.connect()
    h.take()
    // Meanwhile bob received 17 outputs (two pages); alice's address did not change.
    const bobView = new View()
    const coins = Array.from({ length: 17 }, (_, i) => {
      const c = aliceCoin(`to bob ${i}`)
      return utxo(
        { outpoint: c.outpoint, output: { value: c.value as never, address: BOB } },
        {
          kind: 'Unspent',
        },
      )
    })
    for (const c of coins) bobView.set(c)
    const submitted = h.client.submit(payBob(aliceCoin('in flight')).tx, h.now)
    h.carry(submitted.commands)
    h.input({ type: 'disconnected' })
    expect(h.take()).toEqual([
      {
        type: 'submitted',
        requestId: submitted.requestId,
        txid: expect.any(Uint8Array),
        error: { code: 'WALLET_DISCONNECTED', message: 'the wallet stream closed' },
      },
    ])
    expect(h.timers.size).toBe(0)
    h.sent = []
    h.connect((a) => (bytesToHex(a) === bytesToHex(BOB) ? bobView.status() : EMPTY))
    const queries = h.sent.filter((m) => m.type === 'UTXOStateQuery')
    expect(queries.map((q) => bytesToHex(q.address))).toEqual([bytesToHex(BOB)])
    const sorted = [...coins].sort((a, b) =>
      bytesToHex(encodeOutpoint(a)) < bytesToHex(encodeOutpoint(b)) ? -1 : 1,
    )
    h.server({
      type: 'UTXOStateAnswer',
      requestId: queries[0]!.requestId,
      address: BOB,
      status: bobView.status(),
      total: 17,
      from: 0,
      utxos: sorted.slice(0, 16),
    })
    const second = h.last('UTXOStateQuery')
    expect(second.from).toBe(16)
    h.server({
      type: 'UTXOStateAnswer',
      requestId: second.requestId,
      address: BOB,
      status: bobView.status(),
      total: 17,
      from: 16,
      utxos: sorted.slice(16),
    })
    const events = h.take()
    expect(states(events)).toHaveLength(17)
    expect(events.at(-1)).toMatchObject({ type: 'synced', address: BOB })
    expect(h.client.outputs(BOB)).toHaveLength(17)
    expect(h.client.isSynced(ALICE) && h.client.isSynced(BOB)).toBe(true)
  })

  it('reads an address again when a push shows the masternode holds something else', async () => {
    const { h, view, coin } = await holdingCoin()
    // A push the client never got (a lost frame, a bug): the next one's status gives it away.
    const missed = aliceCoin('missed')
    view.set(utxo(coinOutput(missed), { kind: 'Unspent' }))
    const pay = payBob(coin)
    const locked = utxo(coinOutput(coin), { kind: 'Locked', txid: pay.txid })
    h.server({ type: 'UTXOStateNotification', utxo: locked, status: view.set(locked) })
    expect(h.client.isSynced(ALICE)).toBe(false)
    h.fire(`resync:${bytesToHex(ALICE)}`)
    const query = h.last('UTXOStateQuery')
    const all = [...view.outputs.values()].sort((a, b) =>
      bytesToHex(encodeOutpoint(a)) < bytesToHex(encodeOutpoint(b)) ? -1 : 1,
    )
    // The address changes between the two pages: read again from the start.
    h.server({
      type: 'UTXOStateAnswer',
      requestId: query.requestId,
      address: ALICE,
      status: EMPTY,
      total: 2,
      from: 0,
      utxos: all.slice(0, 1),
    })
    h.server({
      type: 'UTXOStateAnswer',
      requestId: h.last('UTXOStateQuery').requestId,
      address: ALICE,
      status: view.status(),
      total: 2,
      from: 1,
      utxos: all.slice(1),
    })
    const restart = h.last('UTXOStateQuery')
    expect(restart.from).toBe(0)
    h.server({
      type: 'UTXOStateAnswer',
      requestId: restart.requestId,
      address: ALICE,
      status: view.status(),
      total: 2,
      from: 0,
      utxos: all,
    })
    expect(h.client.isSynced(ALICE)).toBe(true)
    expect(h.client.outputs(ALICE)).toHaveLength(2)
  })
})

describe('light client: requests and breaches', () => {
  it('correlates submissions with their results', () => {
    const h = new Harness()
    h.connect()
    const a = payBob(aliceCoin('s1'))
    const b = payBob(aliceCoin('s2'))
    const ra = h.client.submit(a.tx, h.now)
    const rb = h.client.submit(b.tx, h.now)
    h.carry([...ra.commands, ...rb.commands])
    expect(h.sent.filter((m) => m.type === 'SubmitTransaction')).toHaveLength(2)
    const refusal = { code: 'LEDGER_CONFLICT', message: 'spent by another' }
    h.server({ type: 'SubmitResult', requestId: rb.requestId, txid: b.txid, error: refusal })
    h.server({ type: 'SubmitResult', requestId: ra.requestId, txid: a.txid, error: null })
    expect(h.take()).toEqual([
      { type: 'submitted', requestId: rb.requestId, txid: b.txid, error: refusal },
      { type: 'submitted', requestId: ra.requestId, txid: a.txid, error: null },
    ])
    // A submit refused by an Error frame is told as its result; a notice (request id 0) as an error.
    const c = h.client.submit(payBob(aliceCoin('s3')).tx, h.now)
    h.carry(c.commands)
    const busy = { code: 'MEMPOOL_FULL', message: 'full' }
    h.server({ type: 'Error', requestId: c.requestId, error: busy })
    h.server({
      type: 'Error',
      requestId: 0,
      error: { code: 'WALLET_TOO_MANY_PEERS', message: 'x' },
    })
    expect(h.take()).toEqual([
      { type: 'submitted', requestId: c.requestId, txid: expect.any(Uint8Array), error: busy },
      { type: 'error', requestId: 0, error: { code: 'WALLET_TOO_MANY_PEERS', message: 'x' } },
    ])
    expect(h.closed).toEqual([])
  })

  it('closes the stream on an answer to nothing, an undecodable frame, or a request unanswered in time', () => {
    const h = new Harness()
    h.connect()
    h.server({
      type: 'SubmitResult',
      requestId: 99,
      txid: payBob(aliceCoin('z')).txid,
      error: null,
    })
    expect(h.closed.map((e) => e.code)).toEqual(['WALLET_UNKNOWN_REQUEST'])
    h.input({ type: 'frame', frame: Uint8Array.of(0x27, 1, 0, 0, 0) }) // a request, from the masternode
    expect(h.closed.map((e) => e.code)).toEqual([
      'WALLET_UNKNOWN_REQUEST',
      'PROTOCOL_UNEXPECTED_MESSAGE',
    ])
    const r = h.client.submit(payBob(aliceCoin('slow')).tx, h.now)
    h.carry(r.commands)
    expect(h.timers.get(`request:${r.requestId}`)).toBe(h.now + 30_000)
    h.fire(`request:${r.requestId}`)
    expect(h.closed.at(-1)?.code).toBe('WALLET_REQUEST_TIMEOUT')
    // Nothing is read once disconnected.
    h.input({ type: 'disconnected' })
    h.closed = []
    h.server({
      type: 'SubmitResult',
      requestId: 99,
      txid: payBob(aliceCoin('z')).txid,
      error: null,
    })
    expect(h.closed).toEqual([])
  })
})

function sampleAddress(n: number): AddressPayload {
  return new Uint8Array(20).fill(n) as AddressPayload
}

function encodeOutpoint(u: WalletUtxo): Uint8Array {
  const out = new Uint8Array(36)
  out.set(u.outpoint.txid)
  new DataView(out.buffer).setUint32(32, u.outpoint.vout, true)
  return out
}
