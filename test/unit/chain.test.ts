// The TimeLock block chain of one node (src/core/engine/chain.ts), driven directly: four members,
// each a Chain over a query-only view with a real ledger and registry, their outputs routed by
// hand — sends delivered, vote leaves signed into batches, timers fired when a test says so.
import { describe, expect, it } from 'vitest'
import { Chain } from '../../src/core/engine/chain.ts'
import type { ChainOutput, ChainView } from '../../src/core/engine/chain-io.ts'
import {
  type Block,
  type BlockCertificate,
  blockHash,
  blockReward,
  bytesToHex,
  certificateEntry,
  committeeHash,
  engineLimits,
  keySigner,
  Ledger,
  LtHash,
  type Message,
  type Proposal,
  ProposerSchedule,
  Registry,
  rewardHash,
  signProposal,
  signVoteBatch,
  transactionRoot,
  type VoteBatch,
  type VoteLeaf,
} from '../../src/core/index.ts'
import {
  CONSENSUS_GENESIS,
  committeeOf,
  emptyBlockCommitment,
  voterKey,
} from '../support/consensus-fixture.ts'

const TIMEOUTS = { proposeMs: 1_000, prevoteMs: 500, precommitMs: 500, growthMs: 500 }
const CONFIG = { intervalMs: 2_000, timeouts: TIMEOUTS }
const committee = committeeOf(0, [10, 10, 10, 10])
const keys = [0, 1, 2, 3].map(voterKey)
const ids = keys.map((k) => bytesToHex(k.publicKey))
const schedule = new ProposerSchedule(committee, 1)
/** Member index of the proposer of (height, attempt). */
const leader = (height: number, attempt: number) =>
  ids.indexOf(bytesToHex(schedule.proposer(height, attempt)))

interface Member {
  readonly i: number
  readonly chain: Chain
  readonly view: { registry: Registry; now: number }
  /** Every output, in order. */
  readonly out: ChainOutput[]
  readonly timers: Map<string, number>
  seq: number
}

/** A leaf this member signed, alone in a fresh batch. */
function batchOf(member: number, leaves: readonly VoteLeaf[], seq: number): VoteBatch {
  return signVoteBatch(leaves, { epoch: 0, seq, timestamp: 0 }, keys[member]!, CONSENSUS_GENESIS)
}

class Net {
  readonly members: Member[]
  readonly queue: {
    from: number
    to: number
    message: Message | { type: 'batch'; batch: VoteBatch }
  }[] = []
  /** Return true to drop a message in flight. */
  drop: (from: number, to: number, m: Message | { type: 'batch'; batch: VoteBatch }) => boolean =
    () => false

  constructor() {
    this.members = keys.map((key, i) => {
      const state = {
        registry: Registry.genesis(
          committee.members.map((m) => ({ ...m, collateral: null })),
          3,
          0,
        ),
        now: 0,
      }
      const view: ChainView = {
        get committee() {
          return state.registry.committee
        },
        get registry() {
          return state.registry
        },
        isVoter: true,
        followers: [],
        self: ids[i]!,
        voters: ids,
        reportedAt: () => undefined,
        ledger: new Ledger({ genesisHash: CONSENSUS_GENESIS }),
        key,
        signer: keySigner(key.secretKey),
        genesisHash: CONSENSUS_GENESIS,
        now: () => state.now,
        certificateOf: () => undefined,
        isFinal: () => false,
        limits: engineLimits(),
      }
      const chain = new Chain(view, CONFIG, { height: 0, hash: CONSENSUS_GENESIS }, new LtHash())
      return { i, chain, view: state, out: [], timers: new Map(), seq: 0 }
    })
  }

  /** Carries out one call's outputs for `m`: sends queued, votes signed and broadcast. */
  take(m: Member, outputs: readonly ChainOutput[]): ChainOutput[] {
    for (const o of outputs) {
      m.out.push(o)
      if (o.type === 'send')
        this.queue.push({ from: m.i, to: ids.indexOf(o.to), message: o.message })
      else if (o.type === 'setTimer') m.timers.set(o.id, o.at)
      else if (o.type === 'committed') m.view.registry = o.registry
      else if (o.type === 'vote') {
        const batch = batchOf(m.i, [o.leaf], ++m.seq)
        for (let to = 0; to < keys.length; to++)
          this.queue.push({ from: m.i, to, message: { type: 'batch', batch } })
      } else if (o.type === 'replay') this.take(m, m.chain.onBatch(o.batch))
    }
    return [...outputs]
  }

  start(): void {
    for (const m of this.members) this.take(m, m.chain.start([]))
  }

  /** Fires member `m`'s timers whose id matches (all of them by default). */
  fire(m: Member, match: (id: string) => boolean = () => true): void {
    for (const [id, at] of [...m.timers]) {
      if (!match(id)) continue
      m.timers.delete(id)
      m.view.now = Math.max(m.view.now, at)
      this.take(m, m.chain.onTimer(id))
    }
  }

  /** Delivers queued messages until none remain. */
  run(): void {
    for (let n = 0; n < 10_000; n++) {
      const next = this.queue.shift()
      if (next === undefined) return
      if (this.drop(next.from, next.to, next.message)) continue
      const m = this.members[next.to]!
      const msg = next.message
      if (msg.type === 'batch') this.take(m, m.chain.onBatch(msg.batch))
      else if (msg.type === 'BlockProposal')
        this.take(m, m.chain.onProposal(msg.proposal, ids[next.from]!))
      else if (msg.type === 'BlockCommit')
        this.take(m, m.chain.onCommit(msg.block, msg.certificate, ids[next.from]))
    }
    throw new Error('the members did not go quiet')
  }
}

/** Whether a chain call committed anything (a penalty for the sender may come with a refusal). */
function applied(out: readonly ChainOutput[]): boolean {
  return out.some((o) => o.type === 'committed' || o.type === 'persist')
}

function votesOf(m: Member, kind: 'prevote' | 'precommit') {
  return m.out.flatMap((o) =>
    o.type === 'vote' && o.leaf.kind === kind
      ? [
          {
            height: o.leaf.height,
            attempt: o.leaf.attempt,
            value: bytesToHex(o.leaf.blockHash),
            ops: o.ops.length,
          },
        ]
      : [],
  )
}

const NIL_HEX = bytesToHex(new Uint8Array(32))

/** An empty block at (height, attempt) on `prevHash`, proposed by member `by`. */
function emptyBlock(
  by: number,
  height: number,
  attempt: number,
  prevHash: Uint8Array,
  timestamp = 5,
): Block {
  const proposer = keys[by]!.publicKey
  const reward = blockReward(committee, proposer, 0n)
  return {
    header: {
      version: 1,
      height,
      attempt,
      prevHash,
      epoch: 0,
      timestamp,
      proposer,
      txRoot: transactionRoot([]),
      rewardHash: rewardHash(reward),
      carryRoot: new Uint8Array(32),
      committeeHash: committeeHash(committee),
      utxoCommitment: emptyBlockCommitment(height, prevHash, reward),
    },
    transactions: [],
    reward,
    carried: [],
  }
}

function proposalOf(by: number, block: Block, attempt: number, validAttempt = -1): Proposal {
  return signProposal(block, attempt, validAttempt, [], keys[by]!, CONSENSUS_GENESIS)
}

/** A certificate of precommits for `block` at (height, attempt) by `voters`. */
function certificateOf(block: Block, attempt: number, voters: readonly number[]): BlockCertificate {
  const hash = blockHash(block.header)
  const { height } = block.header
  return {
    height,
    attempt,
    blockHash: hash,
    epoch: 0,
    entries: voters.map((v) =>
      certificateEntry(batchOf(v, [{ kind: 'precommit', height, attempt, blockHash: hash }], 1), 0),
    ),
  }
}

describe('Chain: one height of TimeLock', () => {
  it('waits the interval, then the scheduled leader proposes and every member commits its block', () => {
    const net = new Net()
    net.start()
    for (const m of net.members) expect([...m.timers.entries()]).toEqual([['chain:start', 2_000]])
    for (const m of net.members) net.fire(m, (id) => id === 'chain:start')
    const p = leader(1, 0)
    const proposal = net.members[p]!.out.find(
      (o) => o.type === 'send' && o.message.type === 'BlockProposal',
    )
    expect(proposal).toMatchObject({ type: 'send', message: { type: 'BlockProposal' } })
    net.run()
    const tips = net.members.map((m) => m.chain.tip)
    expect(tips.map((t) => t.height)).toEqual([1, 1, 1, 1])
    expect(new Set(tips.map((t) => bytesToHex(t.hash))).size).toBe(1)
    for (const m of net.members) {
      // Prevote then precommit the block, each with its durable record; then one commit batch.
      const hash = bytesToHex(tips[0]!.hash)
      expect(votesOf(m, 'prevote')).toEqual([{ height: 1, attempt: 0, value: hash, ops: 1 }])
      expect(votesOf(m, 'precommit')).toEqual([{ height: 1, attempt: 0, value: hash, ops: 1 }])
      const committed = m.out.filter((o) => o.type === 'committed')
      expect(committed).toHaveLength(1)
      expect(committed[0]).toMatchObject({ height: 1, transactions: 0, changed: false })
      const persist = m.out.findIndex((o) => o.type === 'persist' && o.sync)
      expect(persist).toBeGreaterThan(-1)
      expect(persist).toBeLessThan(m.out.findIndex((o) => o.type === 'committed'))
      // The next height starts an interval after the commit.
      expect(m.timers.has('chain:start')).toBe(true)
    }
    // The members that decided tell everyone, with a certificate of > 2/3 of the weight.
    const commits = net.members.flatMap((m) =>
      m.out.flatMap((o) =>
        o.type === 'send' && o.message.type === 'BlockCommit' ? [o.message] : [],
      ),
    )
    expect(commits.length).toBeGreaterThan(0)
    for (const c of commits) expect(c.certificate.entries.length).toBeGreaterThanOrEqual(3)
  })

  it('ignores a proposal from a member not scheduled to lead, and prevotes nil for an invalid block', () => {
    const net = new Net()
    net.start()
    const p = leader(1, 0)
    const other = (p + 1) % 4
    const m = net.members[(p + 2) % 4]!
    net.fire(m, (id) => id === 'chain:start')
    // Not the leader of (1, 0): no vote at all.
    const wrong = proposalOf(other, emptyBlock(other, 1, 0, CONSENSUS_GENESIS), 0)
    const out = net.take(m, m.chain.onProposal(wrong, ids[other]!))
    expect(out.filter((o) => o.type === 'vote')).toEqual([])
    // The leader's block on another parent: invalid, so a nil prevote.
    const bad = proposalOf(p, emptyBlock(p, 1, 0, new Uint8Array(32).fill(7)), 0)
    net.take(m, m.chain.onProposal(bad, ids[p]!))
    expect(votesOf(m, 'prevote')).toEqual([{ height: 1, attempt: 0, value: NIL_HEX, ops: 1 }])
  })

  it('times out an attempt with no proposal: nil prevote, nil precommit, then the next leader proposes', () => {
    const net = new Net()
    net.start()
    const p0 = leader(1, 0)
    // The first leader is down: nothing it sends arrives.
    net.drop = (from) => from === p0
    for (const m of net.members) net.fire(m, (id) => id === 'chain:start')
    net.run()
    const others = net.members.filter((m) => m.i !== p0)
    for (const m of others) net.fire(m, (id) => id.endsWith(':propose:0'))
    net.run()
    for (const m of others)
      expect(votesOf(m, 'prevote')[0]).toMatchObject({ attempt: 0, value: NIL_HEX })
    // Three nil prevotes (30 of 40): the prevote timeout, then nil precommits.
    for (const m of others) net.fire(m, (id) => id.endsWith(':prevote:0'))
    net.run()
    for (const m of others)
      expect(votesOf(m, 'precommit')[0]).toMatchObject({ attempt: 0, value: NIL_HEX })
    for (const m of others) net.fire(m, (id) => id.endsWith(':precommit:0'))
    net.run()
    // Attempt 1 has its own leader, who proposes; the three commit its block.
    const p1 = leader(1, 1)
    expect(p1).not.toBe(p0)
    for (const m of others) expect(m.chain.tip.height).toBe(1)
    expect(
      net.members[p1]!.out.some(
        (o) =>
          o.type === 'send' &&
          o.message.type === 'BlockProposal' &&
          o.message.proposal.attempt === 1,
      ),
    ).toBe(true)
  })

  it('locked on a block it precommitted, prevotes nil for another block at a later attempt', () => {
    const net = new Net()
    net.start()
    const p0 = leader(1, 0)
    const p1 = leader(1, 1)
    const me = net.members.find((m) => m.i !== p0 && m.i !== p1)!
    net.fire(me, (id) => id === 'chain:start')
    const a = emptyBlock(p0, 1, 0, CONSENSUS_GENESIS)
    const aHash = blockHash(a.header)
    net.take(me, me.chain.onProposal(proposalOf(p0, a, 0), ids[p0]!))
    // Three members prevote A: a polka, so it precommits A and locks on it.
    for (const v of [0, 1, 2, 3].filter((v) => v !== me.i).slice(0, 2))
      net.take(
        me,
        me.chain.onBatch(
          batchOf(v, [{ kind: 'prevote', height: 1, attempt: 0, blockHash: aHash }], 1),
        ),
      )
    expect(votesOf(me, 'prevote')).toEqual([
      { height: 1, attempt: 0, value: bytesToHex(aHash), ops: 1 },
    ])
    expect(votesOf(me, 'precommit')).toEqual([])
    net.take(
      me,
      me.chain.onBatch(
        batchOf(me.i, [{ kind: 'prevote', height: 1, attempt: 0, blockHash: aHash }], 99),
      ),
    )
    expect(votesOf(me, 'precommit')).toEqual([
      { height: 1, attempt: 0, value: bytesToHex(aHash), ops: 1 },
    ])
    // The others precommit nil: no decision; the precommit timeout moves everyone to attempt 1.
    for (const v of [0, 1, 2, 3].filter((v) => v !== me.i))
      net.take(
        me,
        me.chain.onBatch(
          batchOf(
            v,
            [{ kind: 'precommit', height: 1, attempt: 0, blockHash: new Uint8Array(32) }],
            2,
          ),
        ),
      )
    net.fire(me, (id) => id.endsWith(':precommit:0'))
    // Attempt 1's leader offers a fresh block B (no earlier prevote quorum for it): nil.
    const b = emptyBlock(p1, 1, 1, CONSENSUS_GENESIS, 9)
    net.take(me, me.chain.onProposal(proposalOf(p1, b, 1), ids[p1]!))
    expect(votesOf(me, 'prevote')).toEqual([
      { height: 1, attempt: 0, value: bytesToHex(aHash), ops: 1 },
      { height: 1, attempt: 1, value: NIL_HEX, ops: 1 },
    ])
    expect(me.chain.tip.height).toBe(0)
  })

  it('keeps votes for a height not open yet and hands them back when it opens', () => {
    const net = new Net()
    net.start()
    const p1 = leader(1, 0)
    const m = net.members[p1]!
    // A member already voting at height 2 (we have not committed height 1): kept, not counted.
    const early = batchOf(
      (p1 + 1) % 4,
      [{ kind: 'prevote', height: 2, attempt: 0, blockHash: new Uint8Array(32) }],
      5,
    )
    const out = net.take(m, m.chain.onBatch(early))
    expect(out.filter((o) => o.type === 'vote' || o.type === 'replay')).toEqual([])
    for (const x of net.members) net.fire(x, (id) => id === 'chain:start')
    net.run()
    expect(m.chain.tip.height).toBe(1)
    const before = m.out.length
    net.fire(m, (id) => id === 'chain:start')
    const replays = m.out.slice(before).filter((o) => o.type === 'replay')
    expect(replays).toEqual([{ type: 'replay', batch: early }])
  })

  it('applies a committed block from a peer only with a certificate of more than 2/3 for that block', () => {
    const net = new Net()
    const m = net.members[0]!
    const p = leader(1, 0)
    const block = emptyBlock(p, 1, 0, CONSENSUS_GENESIS)
    // Two precommits (20 of 40): not a certificate.
    expect(
      applied(net.take(m, m.chain.onCommit(block, certificateOf(block, 0, [1, 2]), ids[1]))),
    ).toBe(false)
    // Three, but for another block.
    const other = emptyBlock(p, 1, 0, CONSENSUS_GENESIS, 77)
    const forOther = certificateOf(other, 0, [1, 2, 3])
    expect(applied(net.take(m, m.chain.onCommit(block, forOther, ids[1])))).toBe(false)
    expect(m.chain.tip.height).toBe(0)
    const out = net.take(m, m.chain.onCommit(block, certificateOf(block, 0, [1, 2, 3]), ids[1]))
    expect(m.chain.tip).toEqual({ height: 1, hash: blockHash(block.header) })
    expect(out.map((o) => o.type)).toContain('committed')
    // A block that does not extend the tip is not applied.
    const stray = emptyBlock(leader(2, 0), 2, 0, new Uint8Array(32).fill(3))
    expect(
      applied(net.take(m, m.chain.onCommit(stray, certificateOf(stray, 0, [1, 2, 3]), ids[1]))),
    ).toBe(false)
    expect(m.chain.tip.height).toBe(1)
  })

  it('after a restart, re-announces its own votes and never votes against its lock', () => {
    const net = new Net()
    const p0 = leader(1, 0)
    const p1 = leader(1, 1)
    const me = net.members.find((m) => m.i !== p0 && m.i !== p1)!
    const a = bytesToHex(blockHash(emptyBlock(p0, 1, 0, CONSENSUS_GENESIS).header))
    const out = net.take(
      me,
      me.chain.start([
        { height: 1, attempt: 0, kind: 'prevote', value: a },
        { height: 1, attempt: 0, kind: 'precommit', value: a },
      ]),
    )
    // The stored votes go out again, as they were, with nothing new to write.
    expect(votesOf(me, 'prevote')).toEqual([{ height: 1, attempt: 0, value: a, ops: 0 }])
    expect(votesOf(me, 'precommit')).toEqual([{ height: 1, attempt: 0, value: a, ops: 0 }])
    expect(out.some((o) => o.type === 'setTimer' && o.id.endsWith(':precommit:0'))).toBe(true)
    net.fire(me, (id) => id.endsWith(':precommit:0'))
    const b = emptyBlock(p1, 1, 1, CONSENSUS_GENESIS, 9)
    net.take(me, me.chain.onProposal(proposalOf(p1, b, 1), ids[p1]!))
    expect(votesOf(me, 'prevote').at(-1)).toEqual({ height: 1, attempt: 1, value: NIL_HEX, ops: 1 })
  })
})
