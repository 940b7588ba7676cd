import { describe, expect, it } from 'vitest'
import {
  type Block,
  checkLockReports,
  committeeHash,
  keySigner,
  type LockReport,
  LockReportCodec,
  lockReportsBundle,
  signLockReport,
  transactionRoot,
  validateHandoff,
  verifyBundle,
} from '../../src/core/index.ts'
import { CONSENSUS_GENESIS, committeeOf, voterKey } from '../support/consensus-fixture.ts'
import { genesisLedger, keyPair, spend } from '../support/ledger-fixture.ts'

const committee = committeeOf(3, [10, 10, 10, 10])
const next = committeeOf(4, [10, 10, 10, 10, 100])
const { coins } = genesisLedger(3)
const t1 = spend([coins[0]!], [{ to: keyPair(5), value: 9n * 100_000_000n }])
const t2 = spend([coins[1]!], [{ to: keyPair(5), value: 9n * 100_000_000n }])
const t3 = spend([coins[2]!], [{ to: keyPair(5), value: 9n * 100_000_000n }])

const signer = (i: number) => keySigner(voterKey(i).secretKey)

const reportBy = (i: number, txids: LockReport['txids'], height = 12, epoch = 3) =>
  signLockReport({ epoch, height, txids }, signer(i), CONSENSUS_GENESIS)

function blockWith(
  transactions: (typeof t1)[],
  carried: (typeof t1)[],
  nextCommittee = next,
): Block {
  return {
    header: {
      version: 1,
      height: 12,
      attempt: 0,
      prevHash: new Uint8Array(32),
      epoch: 3,
      timestamp: 0,
      proposer: voterKey(0).publicKey,
      txRoot: transactionRoot(transactions.map((t) => t.txid)),
      rewardHash: new Uint8Array(32),
      carryRoot: transactionRoot(carried.map((t) => t.txid)),
      committeeHash: committeeHash(nextCommittee),
      utxoCommitment: new Uint8Array(32),
    },
    transactions: transactions.map((t) => t.tx),
    reward: [],
    carried: carried.map((t) => t.tx),
  }
}

const ctx = {
  committee,
  next,
  changing: true,
  ownReport: { voterKey: voterKey(1).publicKey, txids: [t2.txid] },
}

describe('lock reports', () => {
  it('are signed over the genesis hash and round-trip strictly', async () => {
    const r = reportBy(0, [t1.txid, t2.txid])
    await verifyBundle(lockReportsBundle([r], CONSENSUS_GENESIS))
    const bytes = LockReportCodec.encode(r)
    expect(LockReportCodec.decode(bytes)).toEqual(r)
    const forged = { ...r, txids: [t1.txid] }
    await expect(
      verifyBundle(lockReportsBundle([forged], CONSENSUS_GENESIS)),
    ).rejects.toMatchObject({ code: 'LOCK_REPORT_INVALID' })
    await expect(verifyBundle(lockReportsBundle([r], new Uint8Array(32)))).rejects.toMatchObject({
      code: 'LOCK_REPORT_INVALID',
    })
  })

  it('need more than 2/3 of the weight, one per member, of this epoch and height', () => {
    const union = checkLockReports(
      [reportBy(0, [t1.txid]), reportBy(1, [t2.txid]), reportBy(2, [t1.txid])],
      committee,
      12,
    )
    expect(union.size).toBe(2)
    const code = (reports: LockReport[]) => {
      try {
        checkLockReports(reports, committee, 12)
        return 'ok'
      } catch (e) {
        return (e as { code: string; message: string }).message
      }
    }
    expect(code([reportBy(0, []), reportBy(1, [])])).toMatch(/weight 20 of 40; need 27/)
    expect(code([reportBy(0, []), reportBy(0, []), reportBy(1, [])])).toMatch(/two reports/)
    expect(code([reportBy(0, []), reportBy(1, []), reportBy(2, [], 13)])).toMatch(/not \(3, 12\)/)
    expect(code([reportBy(0, []), reportBy(1, []), reportBy(2, [], 12, 2)])).toMatch(
      /not \(3, 12\)/,
    )
    expect(code([reportBy(0, []), reportBy(1, []), reportBy(7, [])])).toMatch(/not a voting member/)
  })
})

describe('handoff validation of a committee-changing block', () => {
  const reports = [reportBy(0, [t1.txid, t3.txid]), reportBy(1, [t2.txid]), reportBy(2, [])]
  const message = (f: () => void) => {
    try {
      f()
      return 'valid'
    } catch (e) {
      return (e as Error).message
    }
  }

  it('accepts the union of the reports, less what the block confirms', () => {
    expect(message(() => validateHandoff(blockWith([t3], [t1, t2]), reports, ctx))).toBe('valid')
  })

  it('refuses a leader that omits, invents or doubles carried transactions', () => {
    expect(message(() => validateHandoff(blockWith([t3], [t1]), reports, ctx))).toMatch(
      /is not carried/,
    )
    const invented = spend([coins[0]!], [{ to: keyPair(6), value: 1n * 100_000_000n }])
    expect(
      message(() => validateHandoff(blockWith([t3], [t1, t2, invented]), reports, ctx)),
    ).toMatch(/in no lock report/)
    expect(message(() => validateHandoff(blockWith([t3], [t1, t2, t3]), reports, ctx))).toMatch(
      /carried twice or also confirmed/,
    )
  })

  it('refuses a block without our report that leaves our locks behind, or names another committee', () => {
    const withoutOurs = [reports[0]!, reports[2]!, reportBy(3, [])]
    expect(message(() => validateHandoff(blockWith([t3], [t1]), withoutOurs, ctx))).toMatch(
      /report is not included and 1 of its locks are not carried/,
    )
    // Without our report but with our locks carried (another report names them): fine.
    const covering = [reports[0]!, reports[2]!, reportBy(3, [t2.txid])]
    expect(message(() => validateHandoff(blockWith([t3], [t1, t2]), covering, ctx))).toBe('valid')
    expect(
      message(() => validateHandoff(blockWith([t3], [t1, t2], committee), reports, ctx)),
    ).toMatch(/another next committee/)
  })

  it('a block that changes nothing carries nothing and no reports', () => {
    const plain = { committee, next: committee, changing: false }
    expect(message(() => validateHandoff(blockWith([t1], [], committee), [], plain))).toBe('valid')
    expect(message(() => validateHandoff(blockWith([t1], [t2], committee), [], plain))).toMatch(
      /only a committee-changing block/,
    )
    expect(message(() => validateHandoff(blockWith([t1], [], committee), reports, plain))).toMatch(
      /only a committee-changing block/,
    )
  })
})
