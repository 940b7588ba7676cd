// Persist before send, effect by effect (docs/ARCHITECTURE.md §3.2): one member's engine driven by
// hand — every event handed in, every effect looked at, each write answered only when the test
// says so — so the order of writes and signatures, their `sync` flags and what each write holds
// are checked exactly. voting.test.ts looks at the same member through a runtime and a store.
import { describe, expect, it } from 'vitest'
import {
  type Amount,
  type BatchOp,
  bytesToHex,
  COIN,
  certificateEntry,
  type Decision,
  decisionOp,
  type Effect,
  type EngineEvent,
  FinalityEngine,
  type KeyPair,
  Ledger,
  lastSeqOp,
  MemoryStore,
  type Message,
  NO_CONFLICT,
  type OpenEngineConfig,
  openEngine,
  type PeerId,
  sha256,
  signVoteBatch,
  type Txid,
  utf8ToBytes,
  type VoteBatch,
  type VoteLeaf,
} from '../../src/core/index.ts'
import { Cluster } from '../support/engine-driver.ts'
import { engineFixture, membershipTx, TEST_CHAIN } from '../support/engine-fixture.ts'
import { type Coin, GENESIS_HASH, keyPair, payloadOf, spend } from '../support/ledger-fixture.ts'

const alice = keyPair(0)
const carol = keyPair(2)
const fx = engineFixture('vote effects genesis', 900, [alice, alice, alice])
const { masternodes, committee, coin } = fx
/** One more genesis output of 2,000 TIME: collateral for the registration below. */
const genesis = {
  ...fx.genesis,
  outputs: [...fx.genesis.outputs, { value: (2_000n * COIN) as Amount, address: payloadOf(alice) }],
}
const big: Coin = {
  outpoint: { txid: fx.genesis.txid, vout: 3 },
  value: 2_000n * COIN,
  owner: alice,
}
/** Confirmed by block 1, it makes block 2 change the committee (epoch 1 starts there). */
const registration = membershipTx(big, keyPair(904), 'bronze')
const ids = masternodes.map((k) => bytesToHex(k.publicKey))
const WALLET = 'a-wallet'
const pay = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
const rival = spend([coin(0)], [{ to: alice, value: 9n * COIN }])
const other = spend([coin(1)], [{ to: carol, value: 9n * COIN }])
const unknown = sha256(utf8ToBytes('a transaction this member never saw')) as Txid

type Persist = Extract<Effect, { type: 'persist' }>
type Send = Extract<Effect, { type: 'send' }>

/** One engine, its effects collected; writes reach its store only when answered. */
class Member {
  readonly effects: Effect[] = []
  readonly #written: Persist[] = []
  now = 1_000

  readonly engine: FinalityEngine
  readonly store: MemoryStore

  private constructor(engine: FinalityEngine, store: MemoryStore) {
    this.engine = engine
    this.store = store
  }

  static async open(
    key: KeyPair | undefined,
    config: Partial<OpenEngineConfig> = {},
  ): Promise<Member> {
    const store = new MemoryStore()
    const engine = await openEngine(store, {
      genesisHash: GENESIS_HASH,
      genesis,
      committee,
      ...(key ? { key } : {}),
      ...config,
    })
    const m = new Member(engine, store)
    m.effects.push(...engine.start(m.now))
    return m
  }

  handle(event: EngineEvent): Effect[] {
    const out = this.engine.handle(event, this.now)
    this.effects.push(...out)
    return out
  }

  message(from: PeerId, message: Message): Effect[] {
    return this.handle({ type: 'message', from, message })
  }

  /** Writes persist `id` to the store, then tells the engine it is durable. */
  async persisted(id: number): Promise<Effect[]> {
    const write = this.effects.find((e): e is Persist => e.type === 'persist' && e.id === id)!
    await this.store.write(write.ops, { sync: write.sync })
    this.#written.push(write)
    return this.handle({ type: 'persisted', id })
  }

  /** Answers every write not answered yet (and those they lead to), but the `held` ones. */
  async flush(held: readonly number[] = []): Promise<void> {
    for (;;) {
      const next = persists(this.effects).find(
        (p) => !held.includes(p.id) && !this.#written.includes(p),
      )
      if (next === undefined) return
      await this.persisted(next.id)
    }
  }
}

/** Blocks 1 (confirming the registration) and 2 (changing the committee), as commits. */
async function commits(): Promise<Message[]> {
  const c = await Cluster.create({
    genesisHash: GENESIS_HASH,
    committee,
    keys: masternodes,
    genesis,
    chain: TEST_CHAIN,
  })
  await c.submit(masternodes[0]!, registration.tx)
  await c.run()
  const out: Message[] = []
  for (const height of [1, 2]) {
    await c.fireTimers((t) => t === 'chain:start')
    await c.run()
    out.push(c.sent.find((m) => m.type === 'BlockCommit' && m.block.header.height === height)!)
  }
  expect(c.node(masternodes[0]!).engine.committee.epoch).toBe(1)
  return out
}

const persists = (fx: readonly Effect[]) => fx.filter((e): e is Persist => e.type === 'persist')
const sends = (fx: readonly Effect[]) => fx.filter((e): e is Send => e.type === 'send')
const votes = (fx: readonly Effect[]) =>
  sends(fx).filter((e) => e.message.type === 'InstantFinalityVote')
const batchesIn = (fx: readonly Effect[]) => {
  const out = new Map<string, VoteBatch>()
  for (const s of votes(fx))
    if (s.message.type === 'InstantFinalityVote')
      out.set(bytesToHex(s.message.batch.signature), s.message.batch)
  return [...out.values()]
}
const hex = (op: BatchOp) =>
  op.type === 'put' ? `${bytesToHex(op.key)}=${bytesToHex(op.value)}` : `-${bytesToHex(op.key)}`
const opsOf = (p: Persist) => p.ops.map(hex)
const decisionHex = (d: Decision) => hex(decisionOp(d))

function ownBatch(member: number, leaves: readonly VoteLeaf[], seq: number, epoch = 0) {
  return signVoteBatch(
    leaves,
    { epoch, seq, timestamp: 1 },
    masternodes[member]!.secretKey,
    GENESIS_HASH,
  )
}

describe('an Accept, effect by effect', () => {
  it('writes lock, decision and sequence in one synced write, and signs only once it is durable', async () => {
    const m = await Member.open(masternodes[1]!)
    const fx = m.message(WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    const [write, ...more] = persists(fx)
    expect(more).toEqual([])
    expect(write).toMatchObject({ sync: true, id: expect.any(Number) })
    const ops = opsOf(write!)
    expect(ops).toContain(decisionHex({ kind: 'accept', txid: pay.txid, epoch: 0 }))
    expect(ops.at(-1)).toBe(hex(lastSeqOp(1)))
    // The lock of its input (and the mempool entry) are in the same write.
    expect(ops.length).toBeGreaterThanOrEqual(4)
    expect(votes(fx)).toEqual([])
    // Until it is final, the members whose votes are missing will be asked again: the one
    // retry timer is armed for it.
    expect(fx).toContainEqual({ type: 'setTimer', id: 'retry', at: m.now + 1_000 })
    // A second transaction meanwhile waits for the write in flight: no write, no signature.
    const meanwhile = m.message(WALLET, { type: 'TransactionBroadcast', tx: other.tx })
    expect(persists(meanwhile)).toEqual([])
    expect(votes(meanwhile)).toEqual([])
    const done = await m.persisted(write!.id)
    const [batch, ...others] = batchesIn(done)
    expect(others).toEqual([])
    expect(batch!.leaves).toEqual([{ kind: 'txAccept', txid: pay.txid }])
    expect(batch!.header.seq).toBe(1)
    expect(new Set(votes(done).map((s) => s.to))).toEqual(new Set([ids[0], ids[2], ids[3], WALLET]))
    // The second decision's write starts right after, with the next sequence number.
    const [second] = persists(done)
    expect(second).toMatchObject({ sync: true })
    expect(second!.id).not.toBe(write!.id)
    expect(opsOf(second!)).toContain(decisionHex({ kind: 'accept', txid: other.txid, epoch: 0 }))
    expect(opsOf(second!).at(-1)).toBe(hex(lastSeqOp(2)))
    const [next] = batchesIn(await m.persisted(second!.id))
    expect(next!.leaves).toEqual([{ kind: 'txAccept', txid: other.txid }])
    expect(next!.header.seq).toBe(2)
  })

  it('a Reject is written and signed the same way, and reaches the wallet that sent it', async () => {
    const m = await Member.open(masternodes[1]!)
    await m.persisted(
      persists(m.message(WALLET, { type: 'TransactionBroadcast', tx: pay.tx }))[0]!.id,
    )
    const fx = m.message('rival-wallet', { type: 'TransactionBroadcast', tx: rival.tx })
    const [write] = persists(fx)
    expect(write).toMatchObject({ sync: true })
    const reject: Decision = {
      kind: 'reject',
      txid: rival.txid,
      epoch: 0,
      conflictingTxid: pay.txid,
    }
    expect(opsOf(write!)).toEqual([decisionHex(reject), hex(lastSeqOp(2))])
    const done = await m.persisted(write!.id)
    expect(votes(done).map((s) => s.to)).toContain('rival-wallet')
    // Asked again, the same batch goes back.
    const again = m.message('rival-wallet', { type: 'InstantFinalityRequest', tx: rival.tx })
    expect(persists(again)).toEqual([])
    expect(batchesIn(again)).toEqual(batchesIn(done))
  })

  it('a node outside the committee keeps the lock unsynced, decides nothing and signs nothing', async () => {
    const m = await Member.open(keyPair(950))
    const fx = m.message(WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    const [write, ...more] = persists(fx)
    expect(more).toEqual([])
    expect(write).toMatchObject({ sync: false })
    expect(opsOf(write!).some((op) => op.startsWith('20'))).toBe(false)
    expect(m.engine.decisionOf(pay.txid)).toBeUndefined()
    // It hands the transaction to every member.
    expect(sends(fx).map((s) => s.message.type)).toEqual(Array(4).fill('TransactionBroadcast'))
    expect(new Set(sends(fx).map((s) => s.to))).toEqual(new Set(ids))
    expect(sends(await m.persisted(write!.id))).toEqual([])
    expect(m.engine.ledger.mempool.get(pay.txid)).toBeDefined()
    // Restarted, it has no decision to announce again for it.
    const again = await reopen(m.store, keyPair(950))
    expect(again.ledger.mempool.get(pay.txid)).toBeDefined()
    expect(again.decisionOf(pay.txid)).toBeUndefined()
    // A double spend or an invalid one: no Reject either, so nothing to write or sign.
    const greedy = spend([coin(2)], [{ to: carol, value: 10n * COIN }])
    for (const tx of [rival.tx, greedy.tx]) {
      const fx2 = m.message(WALLET, { type: 'TransactionBroadcast', tx })
      expect(persists(fx2)).toEqual([])
      expect(votes(fx2)).toEqual([])
    }
    expect(m.engine.decisionOf(rival.txid)).toBeUndefined()
    expect(m.engine.decisionOf(greedy.txid)).toBeUndefined()
    expect(m.engine.stateSizes()['voting.queued']).toBe(0)
  })

  it('a full mempool refuses before any lock or vote, and costs the sender nothing', async () => {
    const m = await Member.open(masternodes[1]!, { mempool: { maxCount: 1, maxBytes: 1 << 20 } })
    await m.persisted(
      persists(m.message(WALLET, { type: 'TransactionBroadcast', tx: pay.tx }))[0]!.id,
    )
    const fx = m.message(WALLET, { type: 'TransactionBroadcast', tx: other.tx })
    expect(fx.filter((e) => e.type !== 'setTimer')).toEqual([])
    expect(m.engine.decisionOf(other.txid)).toBeUndefined()
    expect(m.engine.ledger.utxos.get(coin(1).outpoint)?.state.kind).toBe('Unspent')
  })

  it('an engine built without stored voting state starts with none', () => {
    const ledger = new Ledger({ genesisHash: GENESIS_HASH })
    ledger.createOutputs(genesis.txid, genesis.outputs, 0)
    const engine = new FinalityEngine({
      genesisHash: GENESIS_HASH,
      committee,
      ledger,
      key: masternodes[1]!,
    })
    engine.start(0)
    const fx = engine.handle(
      { type: 'message', from: WALLET, message: { type: 'TransactionBroadcast', tx: pay.tx } },
      0,
    )
    expect(opsOf(persists(fx)[0]!).at(-1)).toBe(hex(lastSeqOp(1)))
  })
})

describe('a decision waiting for the pipeline', () => {
  it('does not write back the lock of an output a later write moved on (crash consistency)', async () => {
    const m = await Member.open(masternodes[1]!)
    const [first] = persists(m.message(WALLET, { type: 'TransactionBroadcast', tx: pay.tx }))
    // Decided while the first write is in flight: its lock and decision wait in the queue.
    expect(persists(m.message(WALLET, { type: 'TransactionBroadcast', tx: other.tx }))).toEqual([])
    // Its certificate arrives meanwhile: the finality write leaves first.
    const [final] = persists(
      m.message(ids[0]!, {
        type: 'FinalityCertificate',
        tx: other.tx,
        certificate: certificateOf(other.txid, [0, 2, 3]),
      }),
    )
    const [queued] = persists(await m.persisted(first!.id))
    await m.persisted(final!.id)
    await m.persisted(queued!.id)
    // The queued write holds the decision and the sequence, not the Locked record it was built with.
    expect(opsOf(queued!)).toEqual([
      decisionHex({ kind: 'accept', txid: other.txid, epoch: 0 }),
      hex(lastSeqOp(2)),
    ])
    const again = await reopen(m.store)
    expect(again.ledger.utxos.get(coin(1).outpoint)?.state).toEqual({
      kind: 'SpentFinalized',
      txid: other.txid,
    })
    expect(again.ledger.utxos.rescanMatches()).toBe(true)
  })
})

describe('its own batch from an older backup, effect by effect', () => {
  it('adopts the decisions in one synced write with the batch seq, before signing anything new', async () => {
    const m = await Member.open(masternodes[1]!)
    const prevote: VoteLeaf = {
      kind: 'prevote',
      height: 1,
      attempt: 0,
      blockHash: new Uint8Array(32).fill(7),
    }
    const old = ownBatch(
      1,
      [
        prevote,
        { kind: 'txAccept', txid: unknown },
        { kind: 'txReject', txid: other.txid, conflictingTxid: NO_CONFLICT },
      ],
      40,
    )
    const fx = m.message(ids[0]!, { type: 'InstantFinalityVote', batch: old })
    const [write, ...more] = persists(fx)
    expect(more).toEqual([])
    expect(write).toMatchObject({ sync: true })
    expect(opsOf(write!)).toEqual([
      decisionHex({ kind: 'accept', txid: unknown, epoch: 0 }),
      decisionHex({ kind: 'reject', txid: other.txid, epoch: 0, conflictingTxid: NO_CONFLICT }),
      hex(lastSeqOp(40)),
    ])
    expect(sends(fx)).toEqual([])
    // Its Accept counts like anyone's.
    expect(m.engine.acceptWeight(unknown)).toBe(10)
    await m.persisted(write!.id)
    // Restarted from that store, it holds the adopted decisions and goes on after seq 40.
    const again = await reopen(m.store)
    expect(again.decisionOf(unknown)).toEqual({ kind: 'accept', txid: unknown, epoch: 0 })
    expect(again.decisionOf(other.txid)?.kind).toBe('reject')
    const fx2 = again.handle(
      { type: 'message', from: WALLET, message: { type: 'TransactionBroadcast', tx: pay.tx } },
      0,
    )
    expect(opsOf(persists(fx2)[0]!).at(-1)).toBe(hex(lastSeqOp(41)))
  })

  it('keeps a decision it holds, and ignores (and does not count) a batch with a used seq', async () => {
    const m = await Member.open(masternodes[1]!)
    await m.persisted(
      persists(m.message(WALLET, { type: 'TransactionBroadcast', tx: pay.tx }))[0]!.id,
    )
    // Seq 3 was never counted here, but seq 5 was adopted: 3 is a seq it has used.
    const adopted = ownBatch(1, [{ kind: 'txAccept', txid: other.txid }], 5)
    await m.persisted(
      persists(m.message(ids[0]!, { type: 'InstantFinalityVote', batch: adopted }))[0]!.id,
    )
    const stale = ownBatch(1, [{ kind: 'txAccept', txid: unknown }], 3)
    expect(m.message(ids[0]!, { type: 'InstantFinalityVote', batch: stale })).toEqual([])
    expect(m.engine.acceptWeight(unknown)).toBe(0)
    expect(m.engine.decisionOf(unknown)).toBeUndefined()
    const contrary = ownBatch(
      1,
      [{ kind: 'txReject', txid: pay.txid, conflictingTxid: rival.txid }],
      7,
    )
    const [write] = persists(m.message(ids[0]!, { type: 'InstantFinalityVote', batch: contrary }))
    expect(opsOf(write!)).toEqual([hex(lastSeqOp(7))])
    expect(m.engine.decisionOf(pay.txid)).toEqual({ kind: 'accept', txid: pay.txid, epoch: 0 })
  })

  it('asked for an adopted decision twice while its new batch is in flight, signs it once', async () => {
    const m = await Member.open(masternodes[1]!)
    const old = ownBatch(
      1,
      [{ kind: 'txReject', txid: other.txid, conflictingTxid: NO_CONFLICT }],
      5,
    )
    await m.persisted(
      persists(m.message(ids[0]!, { type: 'InstantFinalityVote', batch: old }))[0]!.id,
    )
    const first = m.message(WALLET, { type: 'InstantFinalityRequest', tx: other.tx })
    const [write, ...more] = persists(first)
    expect(more).toEqual([])
    expect(opsOf(write!)).toEqual([hex(lastSeqOp(6))])
    expect(
      persists(m.message('another-wallet', { type: 'InstantFinalityRequest', tx: other.tx })),
    ).toEqual([])
    const done = await m.persisted(write!.id)
    const [batch, ...others] = batchesIn(done)
    expect(others).toEqual([])
    expect(batch!.leaves).toEqual([
      { kind: 'txReject', txid: other.txid, conflictingTxid: NO_CONFLICT },
    ])
    // Nothing queued behind it.
    expect(persists(done)).toEqual([])
  })
})

/** The engine a restart opens from `store` (started). */
async function reopen(store: MemoryStore, key = masternodes[1]!): Promise<FinalityEngine> {
  const engine = await openEngine(store, { genesisHash: GENESIS_HASH, genesis, committee, key })
  engine.start(0)
  return engine
}

describe('writes in flight while a block commits', () => {
  it('a decision of the epoch before is not signed in the new one; decided anew, it is', async () => {
    const [first, second] = await commits()
    const m = await Member.open(masternodes[1]!, { chain: TEST_CHAIN })
    m.message(ids[0]!, first!)
    await m.flush()
    expect(m.engine.registry.changing).toBe(true)
    const [write] = persists(m.message(WALLET, { type: 'TransactionBroadcast', tx: pay.tx }))
    expect(opsOf(write!)).toContain(decisionHex({ kind: 'accept', txid: pay.txid, epoch: 0 }))
    // Block 2 commits while that write is in flight: epoch 1, where the payment is accepted anew.
    m.message(ids[0]!, second!)
    await m.flush([write!.id])
    expect(m.engine.committee.epoch).toBe(1)
    expect(m.engine.decisionOf(pay.txid)).toEqual({ kind: 'accept', txid: pay.txid, epoch: 1 })
    const done = await m.persisted(write!.id)
    expect(votes(done)).toEqual([])
    const [next, ...more] = persists(done)
    expect(more).toEqual([])
    expect(next).toMatchObject({ sync: true })
    expect(opsOf(next!)).toContain(decisionHex({ kind: 'accept', txid: pay.txid, epoch: 1 }))
    const [batch, ...others] = batchesIn(await m.persisted(next!.id))
    expect(others).toEqual([])
    expect(batch!.header).toMatchObject({ epoch: 1, seq: 2 })
    expect(batch!.leaves).toEqual([{ kind: 'txAccept', txid: pay.txid }])
  })

  it('a decision the block settles meanwhile is signed once durable, but its batch is not kept', async () => {
    const [first] = await commits()
    const m = await Member.open(masternodes[1]!, { chain: TEST_CHAIN })
    m.message(WALLET, { type: 'TransactionBroadcast', tx: registration.tx })
    await m.flush()
    const against = spend([big], [{ to: carol, value: 1_999n * COIN }])
    const [write] = persists(m.message(WALLET, { type: 'TransactionBroadcast', tx: against.tx }))
    expect(m.engine.decisionOf(against.txid)?.kind).toBe('reject')
    // Block 1 confirms the registration: both decisions are settled.
    m.message(ids[0]!, first!)
    await m.flush([write!.id])
    expect(m.engine.decisionOf(registration.txid)).toBeUndefined()
    expect(m.engine.decisionOf(against.txid)).toBeUndefined()
    const [batch] = batchesIn(await m.persisted(write!.id))
    expect(batch!.leaves).toEqual([
      { kind: 'txReject', txid: against.txid, conflictingTxid: registration.txid },
    ])
    expect(m.engine.stateSizes()).toMatchObject({
      'voting.decisions': 0,
      'voting.ownBatches': 0,
    })
  })
})

const finalized = (fx: readonly Effect[]) => fx.filter((e) => e.type === 'finalized')
const penalties = (fx: readonly Effect[]) =>
  fx.flatMap((e) => (e.type === 'penalize' ? [e.code] : []))

function certificateOf(txid: Txid, signers: readonly number[], epoch = 0, seq = 30) {
  const accept: VoteLeaf = { kind: 'txAccept', txid }
  return {
    txid,
    epoch,
    entries: signers.map((i) => certificateEntry(ownBatch(i, [accept], seq, epoch), 0)),
  }
}

/**
 * Block 3's proposal (epoch 1), holding `pay` (final at every member) — and instead of its epoch-1
 * certificate, one of epoch 0, still valid in epoch 1 — with blocks 1 and 2 as commits.
 */
async function epochOneProposal() {
  const c = await Cluster.create({
    genesisHash: GENESIS_HASH,
    committee,
    keys: masternodes,
    genesis,
    chain: TEST_CHAIN,
  })
  await c.submit(masternodes[0]!, registration.tx)
  await c.run()
  for (let h = 1; h <= 2; h++) {
    await c.fireTimers((t) => t === 'chain:start')
    await c.run()
  }
  await c.submit(masternodes[0]!, pay.tx)
  await c.run()
  const start = c.queue.length
  await c.fireTimers((t) => t === 'chain:start')
  const blockCommits = [1, 2].map(
    (height) => c.sent.find((m) => m.type === 'BlockCommit' && m.block.header.height === height)!,
  )
  const proposal = c.queue.slice(start).find((q) => q.message.type === 'BlockProposal')?.message
  if (proposal?.type !== 'BlockProposal') throw new Error('no proposal')
  expect(proposal.proposal.block.header.height).toBe(3)
  expect(proposal.proposal.certificates.map((x) => x.epoch)).toEqual([1])
  const older = { ...proposal.proposal, certificates: [certificateOf(pay.txid, [0, 2, 3], 0)] }
  return { blockCommits, proposal: { ...proposal, proposal: older } }
}

/** Block 1's proposal, holding `pay` (final at every member) and the certificate of it. */
async function proposalWithPay(): Promise<Extract<Message, { type: 'BlockProposal' }>> {
  const c = await Cluster.create({
    genesisHash: GENESIS_HASH,
    committee,
    keys: masternodes,
    genesis,
    chain: TEST_CHAIN,
  })
  await c.submit(masternodes[0]!, pay.tx)
  await c.run()
  await c.fireTimers((t) => t === 'chain:start')
  const proposal = c.queue.find((q) => q.message.type === 'BlockProposal')!.message
  if (proposal.type !== 'BlockProposal') throw new Error('no proposal')
  expect(proposal.proposal.block.transactions).toEqual([pay.tx])
  expect(proposal.proposal.certificates.map((x) => x.txid)).toEqual([pay.txid])
  return proposal
}

describe('votes and certificates of others, effect by effect', () => {
  it('another member`s Accept moves the locked outputs to SpentPending in one unsynced write', async () => {
    const m = await Member.open(masternodes[1]!)
    m.message(WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    await m.flush()
    const fx = m.message(ids[2]!, {
      type: 'InstantFinalityVote',
      batch: ownBatch(2, [{ kind: 'txAccept', txid: pay.txid }], 1),
    })
    const [write, ...more] = persists(fx)
    expect(more).toEqual([])
    expect(write).toMatchObject({ sync: false })
    expect(fx.filter((e) => e.type === 'utxoState')).toMatchObject([
      { outpoint: coin(0).outpoint, state: { kind: 'SpentPending', txid: pay.txid, votes: 20 } },
    ])
    // A vote on a transaction not locked here writes nothing.
    const other3 = m.message(ids[3]!, {
      type: 'InstantFinalityVote',
      batch: ownBatch(3, [{ kind: 'txAccept', txid: unknown }], 1),
    })
    expect(persists(other3)).toEqual([])
  })

  it('once final, neither another certificate nor a new quorum of votes finalizes it again', async () => {
    const m = await Member.open(masternodes[1]!)
    const first = m.message(ids[0]!, {
      type: 'FinalityCertificate',
      tx: pay.tx,
      certificate: certificateOf(pay.txid, [0, 2, 3]),
    })
    expect(finalized(first)).toHaveLength(1)
    // Final: written without sync (the certificate can be fetched again), and no one to tell.
    expect(persists(first).map((p) => p.sync)).toEqual([false])
    expect(sends(first)).toEqual([])
    expect(m.engine.stateSizes()['finality.certificates']).toBe(1)
    await m.flush()
    expect(
      m.message(ids[2]!, {
        type: 'FinalityCertificate',
        tx: pay.tx,
        certificate: certificateOf(pay.txid, [1, 2, 3], 0, 31),
      }),
    ).toEqual([])
    const late: Effect[] = []
    for (const i of [0, 2, 3])
      late.push(
        ...m.message(ids[i]!, {
          type: 'InstantFinalityVote',
          batch: ownBatch(i, [{ kind: 'txAccept', txid: pay.txid }], 40),
        }),
      )
    expect(finalized(late)).toEqual([])
    expect(persists(late)).toEqual([])
    expect(late.filter((e) => e.type === 'alarm')).toEqual([])
  })

  it('a node without a key counts the votes of members and finalizes on their quorum', async () => {
    const m = await Member.open(undefined)
    m.message(WALLET, { type: 'TransactionBroadcast', tx: pay.tx })
    await m.flush()
    const fx: Effect[] = []
    for (const i of [0, 2, 3])
      fx.push(
        ...m.message(ids[i]!, {
          type: 'InstantFinalityVote',
          batch: ownBatch(i, [{ kind: 'txAccept', txid: pay.txid }], 1),
        }),
      )
    expect(finalized(fx)).toHaveLength(1)
    expect(m.engine.decisionOf(pay.txid)).toBeUndefined()
  })

  it('a proposal`s certificates make its transactions final before the block is voted on', async () => {
    const proposal = await proposalWithPay()
    const leader = bytesToHex(proposal.proposal.block.header.proposer)
    const m = await Member.open(masternodes[1]!, { chain: TEST_CHAIN })
    const fx = m.message(leader, proposal)
    expect(finalized(fx).map((e) => e.type === 'finalized' && e.txid)).toEqual([pay.txid])
    expect(penalties(fx)).toEqual([])
    expect(m.engine.isFinal(pay.txid)).toBe(true)
  })

  it('in epoch 1, a certificate of epoch 0 it carries still counts', async () => {
    const { blockCommits, proposal } = await epochOneProposal()
    const m = await Member.open(masternodes[1]!, { chain: TEST_CHAIN })
    for (const commit of blockCommits) {
      m.message(ids[0]!, commit)
      await m.flush()
    }
    expect(m.engine.committee.epoch).toBe(1)
    const fx = m.message(bytesToHex(proposal.proposal.block.header.proposer), proposal)
    expect(penalties(fx)).toEqual([])
    expect(finalized(fx)).toHaveLength(1)
    expect(m.engine.isFinal(pay.txid)).toBe(true)
  })

  it('one whose certificate falls short costs the leader and finalizes nothing', async () => {
    const proposal = await proposalWithPay()
    const leader = bytesToHex(proposal.proposal.block.header.proposer)
    const m = await Member.open(masternodes[1]!, { chain: TEST_CHAIN })
    const short = {
      ...proposal,
      proposal: { ...proposal.proposal, certificates: [certificateOf(pay.txid, [0, 2])] },
    }
    const fx = m.message(leader, short)
    expect(finalized(fx)).toEqual([])
    expect(penalties(fx)).toEqual(['CERT_INSUFFICIENT_WEIGHT'])
    expect(m.engine.isFinal(pay.txid)).toBe(false)
  })

  it('one with a certificate of an epoch not reached yet: behind, so nothing applied, no one blamed', async () => {
    const proposal = await proposalWithPay()
    const leader = bytesToHex(proposal.proposal.block.header.proposer)
    const m = await Member.open(masternodes[1]!, { chain: TEST_CHAIN })
    const ahead = {
      ...proposal,
      proposal: { ...proposal.proposal, certificates: [certificateOf(pay.txid, [0, 2, 3], 1)] },
    }
    const fx = m.message(leader, ahead)
    expect(finalized(fx)).toEqual([])
    expect(penalties(fx)).toEqual([])
    expect(m.engine.isFinal(pay.txid)).toBe(false)
  })
})
