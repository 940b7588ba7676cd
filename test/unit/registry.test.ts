import { describe, expect, it } from 'vitest'
import {
  type Amount,
  bytesToHex,
  COIN,
  type ConfirmedTx,
  certificateEntry,
  computeTxid,
  type Evidence,
  EvidenceCodec,
  Registry,
  RegistryStateCodec,
  type Transaction,
} from '../../src/core/index.ts'
import { batchBy, committeeOf, txidOf, voterKey } from '../support/consensus-fixture.ts'

const NO_SIG = new Uint8Array(64)
const collateral = (tier: 'bronze' | 'silver' | 'gold') =>
  ({ bronze: 1_000n, silver: 10_000n, gold: 100_000n })[tier] * COIN

function tx(label: string, payload: Transaction['payload'], value = 5n * COIN): ConfirmedTx {
  const t: Transaction = {
    version: 1,
    inputs: [
      {
        outpoint: { txid: txidOf(label), vout: 0 },
        publicKey: voterKey(9).publicKey,
        signature: NO_SIG,
      },
    ],
    outputs: [{ value: value as Amount, address: new Uint8Array(20) as never }],
    lockTime: 0,
    payload,
  }
  return { tx: t, txid: computeTxid(t) }
}

const register = (i: number, tier: 'bronze' | 'silver' | 'gold') =>
  tx(
    `register ${i} ${tier}`,
    {
      type: 'register',
      tier,
      masternodeKey: voterKey(i).publicKey,
      collateralVout: 0,
      proof: NO_SIG,
    },
    collateral(tier),
  )

const deregister = (i: number) =>
  tx(`deregister ${i}`, { type: 'deregister', masternodeKey: voterKey(i).publicKey, proof: NO_SIG })

function genesis(weights = [10, 10, 10, 10], minVoters = 3): Registry {
  const c = committeeOf(0, weights)
  return Registry.genesis(
    c.members.map((m) => ({ ...m, collateral: null })),
    minVoters,
  )
}

/** Applies blocks of special transactions in order, one block per array. */
function chain(start: Registry, ...blocks: ConfirmedTx[][]): Registry {
  let r = start
  blocks.forEach((txs, i) => {
    r = r.afterBlock(i + 1, txs, []).registry
  })
  return r
}

describe('masternode registry', () => {
  it('a registration is pending after its block and changes the committee with the next', () => {
    const reg = register(5, 'silver')
    const after1 = genesis().afterBlock(1, [reg], [])
    expect(after1.changed).toBe(false)
    expect(after1.registry.changing).toBe(true)
    expect(after1.registry.epoch).toBe(0)
    // Collateral is locked from the confirmation on.
    expect(after1.registry.isCollateralLocked({ txid: reg.txid, vout: 0 })).toBe(true)
    expect(after1.registry.nextCommittee().weightOf(voterKey(5).publicKey)).toBe(100)

    const after2 = after1.registry.afterBlock(2, [], [])
    expect(after2.changed).toBe(true)
    const r = after2.registry
    expect(r.epoch).toBe(1)
    expect(r.changing).toBe(false)
    expect(r.committee.weightOf(voterKey(5).publicKey)).toBe(100)
    expect(r.committee.totalWeight).toBe(140)
    expect(r.previous?.epoch).toBe(0)
    expect(r.committeeOf(0)?.totalWeight).toBe(40)
    expect(r.committeeOf(2)).toBeUndefined()
    expect(r.state.firstHeight).toBe(3)
  })

  it('ignores a second registration of a key and registrations of members', () => {
    const r = chain(
      genesis(),
      [register(5, 'bronze'), register(5, 'gold'), register(1, 'gold')],
      [],
    )
    expect(r.committee.weightOf(voterKey(5).publicKey)).toBe(10)
    expect(r.committee.weightOf(voterKey(1).publicKey)).toBe(10)
    expect(r.committee.members).toHaveLength(5)
  })

  it('keeps collateral locked while registered and for two epochs after the removal', () => {
    const reg = register(5, 'bronze')
    const outpoint = { txid: reg.txid, vout: 0 }
    let r = chain(genesis(), [reg], [], [deregister(5)], [])
    expect(r.epoch).toBe(2)
    expect(r.committee.weightOf(voterKey(5).publicKey)).toBeUndefined()
    expect(r.isCollateralLocked(outpoint)).toBe(true)
    // Two more committee changes (another member joining each time) release it.
    r = r.afterBlock(5, [register(6, 'bronze')], []).registry.afterBlock(6, [], []).registry
    expect(r.epoch).toBe(3)
    expect(r.isCollateralLocked(outpoint)).toBe(true)
    r = r.afterBlock(7, [register(7, 'bronze')], []).registry.afterBlock(8, [], []).registry
    expect(r.epoch).toBe(4)
    expect(r.isCollateralLocked(outpoint)).toBe(false)
    expect(r.state.unlocking).toHaveLength(0)
  })

  it('does not let deregistrations take the voters below the minimum', () => {
    const r = chain(genesis([10, 10, 10]), [deregister(0)], [])
    expect(r.epoch).toBe(0)
    expect(r.committee.voters).toHaveLength(3)
  })

  it('slashes an equivocator: removed, collateral burned, 5% bounty in the next reward', () => {
    const reg = register(5, 'gold')
    const r1 = chain(genesis(), [reg], [])
    const committee = r1.committee
    expect(committee.weightOf(voterKey(5).publicKey)).toBe(1_000)
    const shared = { txid: txidOf('shared coin'), vout: 0 }
    const spendOf = (label: string, value: bigint) => ({
      ...tx(label, { type: 'none' }, value).tx,
      inputs: [{ outpoint: shared, publicKey: voterKey(9).publicKey, signature: NO_SIG }],
    })
    const a = spendOf('a', 1n * COIN)
    const b = spendOf('b', 2n * COIN)
    const evidence: Evidence = {
      kind: 'conflictingAccepts',
      txA: a,
      txB: b,
      entryA: certificateEntry(
        batchBy(5, committee.epoch, [{ kind: 'txAccept', txid: computeTxid(a) }], 1),
        0,
      ),
      entryB: certificateEntry(
        batchBy(5, committee.epoch, [{ kind: 'txAccept', txid: computeTxid(b) }], 2),
        0,
      ),
    }
    const reporter = new Uint8Array(20).fill(7)
    const slash = tx('slash', {
      type: 'slash',
      evidence: EvidenceCodec.encode(evidence),
      reporter: reporter as never,
    })
    const r2 = r1.afterBlock(3, [slash], []).registry
    expect(r2.changing).toBe(true)
    expect(r2.pendingBounties()).toEqual([{ value: 5_000n * COIN, address: reporter }])
    const r3 = r2.afterBlock(4, [], []).registry
    expect(r3.committee.weightOf(voterKey(5).publicKey)).toBeUndefined()
    expect(r3.state.bountiesPaid).toBe(5_000n * COIN)
    expect(r3.isCollateralLocked({ txid: reg.txid, vout: 0 })).toBe(true)
    // Burned: still locked many epochs later.
    let r = r3
    for (let k = 0; k < 4; k++)
      r = r
        .afterBlock(10 + 2 * k, [register(20 + k, 'bronze')], [])
        .registry.afterBlock(11 + 2 * k, [], []).registry
    expect(r.isCollateralLocked({ txid: reg.txid, vout: 0 })).toBe(true)
    // Evidence against a non-member, or that does not decode, has no effect.
    const junk = tx('junk', {
      type: 'slash',
      evidence: Uint8Array.of(9, 9),
      reporter: reporter as never,
    })
    expect(r.afterBlock(30, [junk], []).registry.changing).toBe(false)
  })

  it('hands carried locks to the next epochs and freezes inputs carried twice', () => {
    const spendA = tx('carried a', { type: 'none' })
    const spendB = tx('carried b', { type: 'none' })
    const rival = {
      ...spendB.tx,
      outputs: [{ ...spendB.tx.outputs[0]!, value: (4n * COIN) as Amount }],
    }
    const conflicting = { tx: rival, txid: computeTxid(rival) }
    const r1 = genesis().afterBlock(1, [register(5, 'bronze')], []).registry
    const r2 = r1.afterBlock(2, [], [spendA, spendB, conflicting]).registry
    expect(r2.epoch).toBe(1)
    const inputA = spendA.tx.inputs[0]!.outpoint
    const inputB = spendB.tx.inputs[0]!.outpoint
    expect(r2.spendRule(inputA)).toEqual(spendA.txid)
    expect(r2.spendRule(inputB)).toBe('frozen')
    expect(r2.spendRule({ txid: txidOf('elsewhere'), vout: 0 })).toBeUndefined()
    // A later committee change keeps the lock; a block confirming the transaction drops it.
    const r4 = r2.afterBlock(3, [register(6, 'bronze')], []).registry.afterBlock(4, [], []).registry
    expect(r4.spendRule(inputA)).toEqual(spendA.txid)
    const r5 = r4.afterBlock(5, [spendA], []).registry
    expect(r5.spendRule(inputA)).toBeUndefined()
    expect(r5.spendRule(inputB)).toBe('frozen')
  })

  it('round-trips its state through the store codec, strictly', () => {
    const reg = register(5, 'gold')
    const r = chain(genesis(), [reg, register(6, 'bronze')], [deregister(6)], []).afterBlock(
      9,
      [],
      [tx('c', { type: 'none' })],
    )
    const bytes = RegistryStateCodec.encode(r.registry.state)
    const back = RegistryStateCodec.decode(bytes)
    expect(RegistryStateCodec.encode(back)).toEqual(bytes)
    const again = new Registry(back, 3)
    expect(bytesToHex(again.committee.members[0]!.key)).toBe(
      bytesToHex(r.registry.committee.members[0]!.key),
    )
    expect(again.epoch).toBe(r.registry.epoch)
    const codeOf = (b: Uint8Array) => {
      try {
        RegistryStateCodec.decode(b)
        return 'decoded'
      } catch (e) {
        return (e as { code?: string }).code
      }
    }
    // Lists longer than a u16 count allows (a long-lived chain freezes and carries many inputs).
    const many = {
      ...r.registry.state,
      frozen: Array.from({ length: 70_000 }, (_, i) => ({ txid: txidOf('f'), vout: i })),
    }
    expect(RegistryStateCodec.decode(RegistryStateCodec.encode(many)).frozen).toHaveLength(70_000)
    expect(codeOf(Uint8Array.of(...bytes, 0))).toBe('TRAILING_BYTES')
    expect(codeOf(bytes.subarray(0, bytes.length - 1))).toBe('TRUNCATED')
  })
})
