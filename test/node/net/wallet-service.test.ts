// The wallet service against streams a test controls (no transport): a wallet that does not drain
// is cut off at its queue bound or its drain deadline while the others get every push and the
// engine's notification call returns at once; answers built later keep their place before later
// pushes; a wallet peer holds one stream; committee proofs are served from the store; and the
// address index follows the UTXO set (built by one scan, fed by notifications, pruned outputs
// dropped).
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import {
  type AddressPayload,
  addressStatus,
  bytesToHex,
  CommitteeProofStepCodec,
  checkUtxoProof,
  FinalityCertificateCodec,
  type FinalityEngine,
  MemoryStore,
  type Notification,
  OutPointCodec,
  openEngine,
  PROTOCOLS,
  type Txid,
  type UtxoProof,
  type WalletMessage,
} from '../../../src/core/index.ts'
import {
  AddressIndex,
  AddressView,
  FrameReader,
  ProofSource,
  WalletService,
  type WalletServiceInit,
} from '../../../src/core/net/index.ts'
import { engineFixture } from '../../support/engine-fixture.ts'
import { GENESIS_HASH, keyPair, payloadOf, spend } from '../../support/ledger-fixture.ts'
import {
  aliceCoin,
  C0,
  certifiedBlock,
  certify,
  coinOutput,
  payBob,
  rewardOutpoint,
  stepToC1,
  utxo,
  WALLET_GENESIS,
} from '../../support/wallet-fixture.ts'

const owners = Array.from({ length: 4 }, (_, i) => keyPair(700 + i))
const fx = engineFixture('wallet service', 95, owners)
const ALICE = payloadOf(owners[0]!)

/** A stream that takes `capacity` bytes, then needs a drain the test gives (or never). */
class FakeStream extends EventTarget {
  status = 'open'
  writeStatus = 'writable'
  writableNeedsDrain = false
  used = 0
  aborted: Error | undefined
  readonly frames: WalletMessage[] = []
  readonly #reader = new FrameReader({ maxDataLength: PROTOCOLS.wallet.listener!.maxDataLength })

  capacity: number

  constructor(capacity = Number.POSITIVE_INFINITY) {
    super()
    this.capacity = capacity
  }

  send(data: Uint8Array): boolean {
    if (this.status !== 'open') throw new Error('closed')
    this.used += data.length
    this.#reader.push(data, (f) =>
      this.frames.push(PROTOCOLS.wallet.listener!.decode(f) as WalletMessage),
    )
    if (this.used > this.capacity) this.writableNeedsDrain = true
    return !this.writableNeedsDrain
  }

  drain(): void {
    this.capacity = Number.POSITIVE_INFINITY
    this.writableNeedsDrain = false
    this.dispatchEvent(new Event('drain'))
  }

  pause(): void {}
  resume(): void {}

  async close(): Promise<void> {
    this.#end()
  }

  abort(error: Error): void {
    this.aborted = error
    this.#end()
  }

  /** A frame from the wallet. */
  write(message: WalletMessage): void {
    const payload = PROTOCOLS.wallet.dialer.encode(message as never)
    const data = Uint8Array.of(...varint(payload.length), ...payload)
    this.dispatchEvent(Object.assign(new Event('message'), { data }))
  }

  #end(): void {
    if (this.status !== 'open') return
    this.status = 'closed'
    this.dispatchEvent(new Event('close'))
  }
}

function varint(n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  out.push(n)
  return out
}

interface Rig {
  service: WalletService
  engine: FinalityEngine
  notify(n: Notification): void
  /** A wallet stream from a new peer (or the given one), once handshaken. */
  open(stream: FakeStream, peer?: Connection['remotePeer']): Promise<Connection['remotePeer']>
  submitted: unknown[]
}

async function rig(
  init: Partial<WalletServiceInit> = {},
  engineView: (e: FinalityEngine) => unknown = (e) => e,
  submit: () => Promise<void> = async () => {},
): Promise<Rig> {
  const store = init.store ?? new MemoryStore()
  const engine = await openEngine(store, {
    genesisHash: GENESIS_HASH,
    genesis: fx.genesis,
    committee: fx.committee,
  })
  let handler: ((stream: never, connection: never) => void) | undefined
  let listener: ((n: Notification) => void) | undefined
  const submitted: unknown[] = []
  const service = new WalletService(
    {
      registrar: {
        handle: async (_: string, h: never) => {
          handler = h
        },
        unhandle: async () => {},
      },
      handshake: { verified: async () => ({}) as never },
      engine: {
        runtime: { engine: engineView(engine) } as never,
        submit: async (tx) => {
          submitted.push(tx)
          await submit()
        },
        onNotification: (l) => {
          listener = l
          return () => {}
        },
      },
    },
    { network: 'devnet', store, ...init },
  )
  await service.start()
  return {
    service,
    engine,
    submitted,
    notify: (n) => listener!(n),
    async open(stream, peer) {
      const id = peer ?? peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
      handler!(stream as never, { remotePeer: id } as never)
      await new Promise((r) => setTimeout(r, 0))
      return id
    },
  }
}

/** A Locked state change of genesis coin 0 (alice's) for a made-up spender. */
function lockedBy(i: number): Notification {
  const coin = fx.coin(0)
  return {
    type: 'utxoState',
    outpoint: coin.outpoint,
    output: { value: coin.value as never, address: ALICE },
    state: { kind: 'Locked', txid: new Uint8Array(32).fill(i) as Txid, lockedAt: 0, voted: false },
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0))

function subscribe(stream: FakeStream, addresses: AddressPayload[], requestId = 1): void {
  stream.write({ type: 'UTXOSubscribe', requestId, addresses })
}

describe('wallet service: slow wallets', () => {
  it('cuts off a wallet past its queue bound; the others get every push; the engine never waits', async () => {
    const r = await rig({ maxQueueBytes: 4 * 1024 })
    const slow = new FakeStream(512)
    const fast = new FakeStream()
    await r.open(slow)
    await r.open(fast)
    subscribe(slow, [ALICE])
    subscribe(fast, [ALICE])
    await tick()
    const started = performance.now()
    for (let i = 1; i <= 200; i++) r.notify(lockedBy(i))
    const ms = performance.now() - started
    await tick()
    expect(slow.aborted).toMatchObject({ code: 'WALLET_SLOW_SUBSCRIBER' })
    expect(fast.frames.filter((f) => f.type === 'UTXOStateNotification')).toHaveLength(200)
    expect(r.service.stats()).toMatchObject({ wallets: 1, slowWallets: 1, subscriptions: 1 })
    // 200 pushes (each encoded once for both wallets) took well under a second.
    expect(ms).toBeLessThan(1_000)
  })

  it('cuts off a wallet whose stream does not drain in time', async () => {
    const r = await rig({ timeoutMs: 100 })
    const stuck = new FakeStream(64)
    await r.open(stuck)
    subscribe(stuck, [ALICE])
    await tick()
    r.notify(lockedBy(1))
    await tick()
    expect(stuck.aborted).toBeUndefined()
    await new Promise((done) => setTimeout(done, 300))
    expect(stuck.aborted).toMatchObject({ code: 'WALLET_SLOW_SUBSCRIBER' })
    // One that drains in time is kept.
    const slowish = new FakeStream(64)
    await r.open(slowish)
    subscribe(slowish, [ALICE])
    await tick()
    r.notify(lockedBy(2))
    await tick()
    slowish.drain()
    await new Promise((done) => setTimeout(done, 300))
    expect(slowish.aborted).toBeUndefined()
    expect(slowish.frames.map((f) => f.type)).toEqual([
      'UTXOSubscribeAnswer',
      'UTXOStateNotification',
    ])
  })
})

describe('wallet service: order, peers and proofs', () => {
  it('keeps an answer built later in its place, before the pushes that follow it', async () => {
    let release!: () => void
    const r = await rig(
      {},
      (e) => e,
      () => new Promise<void>((done) => (release = done)),
    )
    const stream = new FakeStream()
    await r.open(stream)
    subscribe(stream, [ALICE])
    const coin = fx.coin(0)
    const payment = spend([coin], [{ to: owners[1]!, value: coin.value - 1_000_000n }])
    stream.write({ type: 'SubmitTransaction', requestId: 2, tx: payment.tx })
    await tick()
    r.notify(lockedBy(7))
    await tick()
    expect(stream.frames.map((f) => f.type)).toEqual(['UTXOSubscribeAnswer'])
    release()
    await tick()
    await tick()
    expect(stream.frames.map((f) => f.type)).toEqual([
      'UTXOSubscribeAnswer',
      'SubmitResult',
      'UTXOStateNotification',
    ])
    expect(stream.frames[1]).toMatchObject({ requestId: 2, error: null })
    expect(r.submitted).toEqual([payment.tx])
  })

  it('refuses a submit the ledger cannot admit, with its typed error', async () => {
    const r = await rig()
    const stream = new FakeStream()
    await r.open(stream)
    const coin = fx.coin(1)
    // Outputs worth more than the input.
    const greedy = spend([coin], [{ to: owners[2]!, value: coin.value + 1n }])
    stream.write({ type: 'SubmitTransaction', requestId: 3, tx: greedy.tx })
    await tick()
    await tick()
    expect(stream.frames[0]).toMatchObject({
      type: 'SubmitResult',
      requestId: 3,
      error: { code: 'LEDGER_INSUFFICIENT_FUNDS' },
    })
    expect(r.submitted).toEqual([])
  })

  it('holds one stream per wallet peer: a new one replaces the old', async () => {
    const r = await rig({ maxWallets: 1 })
    const first = new FakeStream()
    const peer = await r.open(first)
    subscribe(first, [ALICE])
    await tick()
    const second = new FakeStream()
    await r.open(second, peer)
    expect(first.aborted).toMatchObject({ code: 'WALLET_DISCONNECTED' })
    expect(second.status).toBe('open')
    expect(r.service.stats()).toMatchObject({ wallets: 1, subscriptions: 0, addresses: 0 })
    // Another peer is over the limit.
    const third = new FakeStream()
    await r.open(third)
    expect(third.frames).toEqual([
      {
        type: 'Error',
        requestId: 0,
        error: expect.objectContaining({ code: 'WALLET_TOO_MANY_PEERS' }),
      },
    ])
    expect(third.status).toBe('closed')
  })

  it('serves committee proof steps from the store, sixteen at most, from the epoch asked', async () => {
    const store = new MemoryStore()
    const step = stepToC1()
    const r = await rig({ store }, (e) => ({
      ledger: e.ledger,
      isFinal: () => false,
      committee: { epoch: 1 },
    }))
    // The step that began epoch 1 (bucket 0x24 ‖ u32be(epoch)), as a commit writes it.
    await store.write([
      {
        type: 'put',
        key: Uint8Array.of(0x24, 0, 0, 0, 1),
        value: CommitteeProofStepCodec.encode(step),
      },
    ])
    const stream = new FakeStream()
    await r.open(stream)
    stream.write({ type: 'CommitteeProofRequest', requestId: 4, fromEpoch: 0 })
    stream.write({ type: 'CommitteeProofRequest', requestId: 5, fromEpoch: 1 })
    await new Promise((done) => setTimeout(done, 20))
    expect(stream.frames).toEqual([
      { type: 'CommitteeProofAnswer', requestId: 4, fromEpoch: 0, currentEpoch: 1, steps: [step] },
      { type: 'CommitteeProofAnswer', requestId: 5, fromEpoch: 1, currentEpoch: 1, steps: [] },
    ])
  })
})

describe('wallet service: the address index', () => {
  it('is built from the UTXO set, fed by notifications, and drops outputs the ledger pruned', async () => {
    const store = new MemoryStore()
    const engine = await openEngine(store, {
      genesisHash: GENESIS_HASH,
      genesis: fx.genesis,
      committee: fx.committee,
    })
    const utxos = engine.ledger.utxos
    const index = new AddressIndex(utxos)
    expect(index.size).toBe(4)
    expect(index.outputsOf(bytesToHex(ALICE)).map((o) => o.state.kind)).toEqual(['Unspent'])
    // An output the set does not hold (pruned, or never there) is dropped when read.
    index.add(ALICE, { txid: new Uint8Array(32).fill(9) as Txid, vout: 0 })
    expect(index.size).toBe(5)
    expect(index.outputsOf(bytesToHex(ALICE))).toHaveLength(1)
    expect(index.size).toBe(4)
    // A sweep runs only once the index outgrows the set by a quarter (and some slack).
    for (let i = 0; i < 2_000; i++)
      index.add(ALICE, { txid: new Uint8Array(32).fill(7) as Txid, vout: i })
    expect(index.sweepIfLarge()).toBe(true)
    expect(index.size).toBe(4)
    expect(index.sweepIfLarge()).toBe(false)
  })

  it('views: a status per change, pages in outpoint order, pruned spends dropped', () => {
    const out = (txid: number, vout: number) => ({
      outpoint: { txid: new Uint8Array(32).fill(txid) as Txid, vout },
      output: { value: 5n as never, address: ALICE },
      state: { kind: 'Unspent' as const },
    })
    // vout 256 encodes as 00 01 00 00: before vout 1 (01 00 00 00) in the protocol's order.
    const outputs = [out(2, 1), out(2, 256), out(1, 7)]
    const view = new AddressView(ALICE, outputs)
    expect(view.status()).toEqual(addressStatus(outputs))
    const order = view.page(0, 16).map((o) => bytesToHex(OutPointCodec.encode(o.outpoint)))
    expect(order).toEqual([...order].sort())
    expect(view.page(0, 16).map((o) => o.outpoint.vout)).toEqual([7, 256, 1])
    expect(view.page(2, 16)).toHaveLength(1)
    const spent = {
      ...outputs[0]!,
      state: { kind: 'Confirmed' as const, txid: new Uint8Array(32).fill(9) as Txid, height: 4 },
    }
    view.apply(spent)
    expect(view.status()).toEqual(addressStatus([spent, outputs[1]!, outputs[2]!]))
    const version = view.version
    // The ledger pruned the spent output: it leaves the view (and the status), nothing else does.
    expect(view.prune((o) => o.txid[0] !== 2 || o.vout !== 1)).toBe(1)
    expect(view.version).toBe(version + 1)
    expect(view.size).toBe(2)
    expect(view.status()).toEqual(addressStatus([outputs[1]!, outputs[2]!]))
    expect(view.prune(() => false)).toBe(0) // unspent outputs are never pruned
  })
})

describe('wallet service: the proofs it builds', () => {
  // A masternode's memory as the proof source reads it: one payment final (its certificate and
  // the transaction in the mempool), or confirmed in a block the engine still keeps or only the
  // store has; and the block's reward. Every proof must pass the light client's own checks.
  const coin = aliceCoin('proof source')
  const payment = payBob(coin)
  const certificate = certify(payment.txid)
  const block = certifiedBlock([payBob(aliceCoin('other')).tx, payment.tx], 6)
  const change = { outpoint: { txid: payment.txid, vout: 1 }, output: payment.tx.outputs[1]! }

  function source(stage: 'final' | 'recent' | 'stored') {
    const txid = bytesToHex(payment.txid)
    const engine = {
      ledger: {
        certificate: (t: Uint8Array) =>
          stage === 'final' && bytesToHex(t) === txid
            ? FinalityCertificateCodec.encode(certificate)
            : undefined,
        mempool: {
          get: (t: Uint8Array) =>
            stage === 'final' && bytesToHex(t) === txid ? { tx: payment.tx } : undefined,
        },
        utxos: {
          get: (o: { txid: Uint8Array }) =>
            bytesToHex(o.txid) === txid ? { height: stage === 'final' ? null : 6 } : { height: 6 },
        },
      },
      inclusion: (t: Uint8Array) =>
        stage === 'recent' && bytesToHex(t) === txid ? block : undefined,
    }
    return new ProofSource(engine as never, async (h) => (h === 6 ? block : undefined))
  }

  function passes(u: Parameters<typeof checkUtxoProof>[0]): string {
    expect(checkUtxoProof(u, C0, WALLET_GENESIS).checks.length).toBeGreaterThan(0)
    return u.proof.kind
  }

  it('a final spend and a new output: the certificate; confirmed: the block, kept or stored', async () => {
    const spent = { kind: 'SpentFinalized', txid: payment.txid } as const
    const confirmed = { kind: 'Confirmed', txid: payment.txid, height: 6 } as const
    const unspent = { kind: 'Unspent' } as const
    const kinds: string[] = []
    for (const stage of ['final', 'recent', 'stored'] as const) {
      const proofs = source(stage)
      const state = stage === 'final' ? spent : confirmed
      const spend: UtxoProof = await proofs.forOutput(coin.outpoint, state)
      kinds.push(passes(utxo(coinOutput(coin), state, spend)))
      const created = await proofs.forOutput(change.outpoint, unspent)
      kinds.push(passes(utxo(change, unspent, created)))
    }
    expect(kinds).toEqual([
      'finality',
      'finality',
      'inclusion',
      'inclusion',
      'inclusion',
      'inclusion',
    ])
    // A push carries the proof of the change it reports, from memory.
    const pushed = source('final').forChange({
      outpoint: coin.outpoint,
      output: coinOutput(coin).output,
      state: spent,
      certificate,
    })
    expect(passes(utxo(coinOutput(coin), spent, pushed))).toBe('finality')
  })

  it("a block's reward output: its header, certificate and reward, from the store", async () => {
    const at = { outpoint: rewardOutpoint(block, 0), output: block.block.reward[0]! }
    const proof = await source('stored').forOutput(at.outpoint, { kind: 'Unspent' })
    expect(passes(utxo(at, { kind: 'Unspent' }, proof))).toBe('reward')
    // No block anywhere (a store without it): no proof, which the client holds as unproven.
    const bare = new ProofSource(
      {
        ledger: {
          certificate: () => undefined,
          mempool: { get: () => undefined },
          utxos: { get: () => ({ height: 6 }) },
        },
        inclusion: () => undefined,
      } as never,
      async () => undefined,
    )
    expect(await bare.forOutput(at.outpoint, { kind: 'Unspent' })).toEqual({ kind: 'none' })
  })
})
