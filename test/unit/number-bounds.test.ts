// Numbers stay exact: committee weights are bounded so every weight sum is far below 2^53, and
// no set of outputs — a genesis allocation, a block reward — totals more than MAX_AMOUNT.
import { describe, expect, it } from 'vitest'
import { buildBlock, type FinalEntry } from '../../src/core/consensus/block-builder.ts'
import {
  type Amount,
  BLOCK_REWARD,
  blockReward,
  COIN,
  Committee,
  CommitteeProofStepCodec,
  checkGenesisAllocation,
  genesisBatch,
  MAX_AMOUNT,
  MAX_COMMITTEE_SIZE,
  MAX_MEMBER_WEIGHT,
  MAX_TOTAL_WEIGHT,
  MemoryStore,
  maxBlockFees,
  openEngine,
  ProposerSchedule,
  quorumThreshold,
  Registry,
  RegistryStateCodec,
  TIERS,
  type Transaction,
  type Txid,
  type TxOutput,
} from '../../src/core/index.ts'
import { committeeOf, txidOf, voterKey } from '../support/consensus-fixture.ts'
import { proofStep, registryState } from '../support/encoded-samples.ts'
import { encodingCodeOf } from '../support/error-code.ts'

const codeOf = (f: () => unknown) => {
  try {
    f()
    return 'no error'
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

/** `n` distinct 32-byte keys (not curve points: the committee only compares them). */
const keys = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const k = new Uint8Array(32)
    new DataView(k.buffer).setUint32(0, i + 1)
    return k
  })

describe('committee weight bound', () => {
  it('keeps the largest committee and its quorum arithmetic exact', () => {
    expect(MAX_TOTAL_WEIGHT).toBe(MAX_COMMITTEE_SIZE * MAX_MEMBER_WEIGHT)
    // Every weight computation in `number` (2W, sums of weights, proposer priorities within
    // ±members × W) stays far below 2^53.
    expect(MAX_COMMITTEE_SIZE * 2 * MAX_TOTAL_WEIGHT).toBeLessThan(2 ** 53 / 4)
    for (const tier of Object.values(TIERS))
      expect(tier.weight).toBeLessThanOrEqual(MAX_MEMBER_WEIGHT)
    const biggest = new Committee(
      0,
      keys(MAX_COMMITTEE_SIZE).map((key) => ({ key, weight: MAX_MEMBER_WEIGHT })),
    )
    expect(biggest.totalWeight).toBe(MAX_TOTAL_WEIGHT)
    expect(BigInt(biggest.threshold)).toBe((2n * BigInt(MAX_TOTAL_WEIGHT)) / 3n + 1n)
    const schedule = new ProposerSchedule(biggest, 1)
    expect(schedule.proposer(1 + 3 * MAX_COMMITTEE_SIZE, 0)).toHaveLength(32)
    expect(quorumThreshold(MAX_TOTAL_WEIGHT)).toBe(biggest.threshold)
  })

  it('refuses a member weight above MAX_MEMBER_WEIGHT wherever a committee is built', () => {
    const heavy = [
      { key: voterKey(0).publicKey, weight: MAX_MEMBER_WEIGHT + 1 },
      { key: voterKey(1).publicKey, weight: 10 },
    ]
    expect(codeOf(() => new Committee(0, heavy))).toBe('COMMITTEE_WEIGHT_LIMIT')
    expect(codeOf(() => new Committee(0, [{ key: voterKey(0).publicKey, weight: 2 ** 53 }]))).toBe(
      'COMMITTEE_WEIGHT_LIMIT',
    )
    expect(codeOf(() => new Committee(0, [{ key: voterKey(0).publicKey, weight: 1.5 }]))).toBe(
      'COMMITTEE_WEIGHT_LIMIT',
    )
    // A negative weight would lower the total and with it the threshold.
    const negative = [...heavy.slice(1), { key: voterKey(2).publicKey, weight: -1 }]
    expect(codeOf(() => new Committee(0, negative))).toBe('COMMITTEE_WEIGHT_LIMIT')
    // Genesis.
    const members = heavy.map((m) => ({ ...m, collateral: null }))
    expect(codeOf(() => Registry.genesis(members, 1))).toBe('COMMITTEE_WEIGHT_LIMIT')
    // A registry whose pending change would add an over-weight member.
    const member = { key: voterKey(9).publicKey, weight: MAX_MEMBER_WEIGHT + 1, collateral: null }
    const pending = [{ kind: 'add' as const, member }]
    expect(codeOf(() => new Registry({ ...registryState, pending }, 1))).toBe(
      'COMMITTEE_WEIGHT_LIMIT',
    )
  })

  it('refuses an over-weight member in a stored registry or a committee proof when decoding', () => {
    const state = RegistryStateCodec.encode(registryState)
    const step = CommitteeProofStepCodec.encode(proofStep)
    // The first member's weight: u64 after epoch (4), count (4) and key (32) / at the step's end.
    const overweight = (bytes: Uint8Array, at: number) => {
      const b = bytes.slice()
      new DataView(b.buffer).setBigUint64(at, BigInt(MAX_MEMBER_WEIGHT) + 1n, true)
      return b
    }
    expect(encodingCodeOf(() => RegistryStateCodec.decode(overweight(state, 40)))).toBe(
      'OUT_OF_RANGE',
    )
    const lastWeight = step.length - 8
    expect(encodingCodeOf(() => CommitteeProofStepCodec.decode(overweight(step, lastWeight)))).toBe(
      'OUT_OF_RANGE',
    )
  })
})

describe('genesis allocation', () => {
  const txid = txidOf('genesis') as Txid
  const out = (value: bigint): TxOutput => ({
    value: value as Amount,
    address: new Uint8Array(20) as TxOutput['address'],
  })
  const genesisHash = new Uint8Array(32)

  it('may hold up to MAX_AMOUNT in total', () => {
    expect(checkGenesisAllocation({ txid, outputs: [out(MAX_AMOUNT - 5n), out(5n)] })).toBe(
      MAX_AMOUNT,
    )
    expect(checkGenesisAllocation({ txid, outputs: [] })).toBe(0n)
  })

  it('refuses outputs totalling more than MAX_AMOUNT, or a bad output, with a typed error', async () => {
    const bad = [
      [out(MAX_AMOUNT), out(1n)],
      [out(MAX_AMOUNT / 2n + 1n), out(MAX_AMOUNT / 2n + 1n)],
      [out(MAX_AMOUNT + 1n)],
      [out(0n)],
      [out(-1n)],
      [{ ...out(1n), address: new Uint8Array(19) as TxOutput['address'] }],
    ]
    for (const outputs of bad) {
      expect(codeOf(() => checkGenesisAllocation({ txid, outputs }))).toBe('LEDGER_GENESIS_INVALID')
      expect(codeOf(() => genesisBatch({ genesisHash, genesis: { txid, outputs } }))).toBe(
        'LEDGER_GENESIS_INVALID',
      )
    }
    // A node never creates its store from such an allocation.
    const store = new MemoryStore()
    await expect(
      openEngine(store, {
        genesisHash,
        committee: committeeOf(0, [10, 10, 10]),
        genesis: { txid, outputs: bad[0]! },
      }),
    ).rejects.toMatchObject({ code: 'LEDGER_GENESIS_INVALID' })
    for await (const _ of store.iterate({ limit: 1 })) expect.unreachable('the store was written')
  })
})

describe('block reward total', () => {
  const committee = committeeOf(3, [10, 100, 1_000])
  const proposer = voterKey(1).publicKey
  const bounty: TxOutput = { value: (50n * COIN) as Amount, address: new Uint8Array(20) as never }
  const sum = (outputs: readonly TxOutput[]) => outputs.reduce((a, o) => a + o.value, 0n)

  it('pays at most MAX_AMOUNT: the fee limit leaves room for the reward and the bounties', () => {
    expect(maxBlockFees()).toBe(MAX_AMOUNT - BLOCK_REWARD)
    expect(maxBlockFees([bounty])).toBe(MAX_AMOUNT - BLOCK_REWARD - bounty.value)
    expect(sum(blockReward(committee, proposer, maxBlockFees([bounty]), [bounty]))).toBe(MAX_AMOUNT)
    expect(
      codeOf(() => blockReward(committee, proposer, maxBlockFees([bounty]) + 1n, [bounty])),
    ).toBe('BLOCK_INVALID')
    expect(codeOf(() => blockReward(committee, proposer, -1n))).toBe('BLOCK_INVALID')
  })

  it('a leader includes only as many final transactions as keep its reward within MAX_AMOUNT', () => {
    const entry = (i: number, fee: bigint): FinalEntry => {
      const tx: Transaction = {
        version: 1,
        inputs: [
          {
            outpoint: { txid: txidOf(`input ${i}`), vout: 0 },
            publicKey: new Uint8Array(32),
            signature: new Uint8Array(64),
          },
        ],
        outputs: [{ value: 1n as Amount, address: new Uint8Array(20) as never }],
        lockTime: 0,
        payload: { type: 'none' },
      }
      return { tx, txid: txidOf(`tx ${i}`), fee: fee as Amount }
    }
    const half = maxBlockFees() / 2n
    const finalized = [entry(0, half), entry(1, half), entry(2, 1n), entry(3, 7n)]
    const registry = Registry.genesis(
      committee.members.map((m) => ({ ...m, collateral: null })),
      1,
      3,
    )
    const block = buildBlock({
      height: 9,
      attempt: 0,
      prevHash: new Uint8Array(32),
      timestamp: 0,
      proposer,
      committee,
      registry,
      finalized,
      reported: [],
      utxoCommitmentAfter: () => new Uint8Array(32),
    })
    // maxBlockFees() is odd: two halves and the 1-unit fee fit exactly, the 7-unit one does not.
    expect(maxBlockFees() % 2n).toBe(1n)
    expect(block.transactions).toHaveLength(3)
    expect(sum(block.reward)).toBeLessThanOrEqual(MAX_AMOUNT)
  })
})
