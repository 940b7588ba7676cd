/**
 * What a proposal must show at a committee-changing height, as a pure check: lock
 * reports from more than 2/3 of the outgoing weight, the voter's own report among them — or at
 * least every transaction of it confirmed or carried (reports name the same transactions, and a
 * leader may not have heard every member) — and a carry set that is exactly the union of the
 * reported transactions not confirmed by the block itself: nothing left out (a leader omitting
 * carried locks) and nothing invented. Any other block carries nothing and no reports. Both
 * commit to the committee that votes next. Rules: docs/PROTOCOL.md §18.2; why they are safe:
 * docs/ARCHITECTURE.md §4.
 */
import { compareBytes, equalBytes } from '../encoding/bytes.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import { computeTxid } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'
import type { Block } from './block.ts'
import { type Committee, committeeHash } from './committee.ts'
import { checkLockReports, type LockReport } from './lock-report.ts'

export interface HandoffContext {
  /** The committee voting on this block (C_e). */
  readonly committee: Committee
  /** The committee voting after it (C_{e+1} at a changing height, else C_e). */
  readonly next: Committee
  /** Whether this height changes the committee (the registry has pending changes). */
  readonly changing: boolean
  /** This voter's report when it sealed at this height: it must be included, or covered. */
  readonly ownReport?:
    | { readonly voterKey: Uint8Array; readonly txids: readonly Txid[] }
    | undefined
}

function invalid(message: string): never {
  throw new ConsensusError('BLOCK_INVALID', message, PeerAction.LowToleranceError)
}

export function validateHandoff(
  block: Block,
  reports: readonly LockReport[],
  ctx: HandoffContext,
): void {
  const h = block.header
  if (!equalBytes(h.committeeHash, committeeHash(ctx.next)))
    invalid('the header names another next committee')
  if (!ctx.changing) {
    if (reports.length > 0 || block.carried.length > 0)
      invalid('only a committee-changing block carries locks')
    return
  }
  const union = checkLockReports(reports, ctx.committee, h.height)
  const confirmed = new Set(block.transactions.map((tx) => txidToHex(computeTxid(tx))))
  const carried = new Set<string>()
  for (const tx of block.carried) {
    const id = txidToHex(computeTxid(tx))
    if (!union.has(id)) invalid(`carried ${id} is in no lock report`)
    if (carried.has(id) || confirmed.has(id)) invalid(`${id} is carried twice or also confirmed`)
    carried.add(id)
  }
  for (const id of union.keys()) {
    if (!carried.has(id) && !confirmed.has(id)) invalid(`reported ${id} is not carried`)
  }
  const own = ctx.ownReport
  if (own !== undefined && !reports.some((r) => equalBytes(r.voterKey, own.voterKey))) {
    const uncovered = own.txids
      .map(txidToHex)
      .filter((id) => !carried.has(id) && !confirmed.has(id))
    // Not prevoted, but the leader may simply not have had our report in time: no penalty.
    if (uncovered.length > 0)
      throw new ConsensusError(
        'BLOCK_OWN_REPORT_MISSING',
        `our lock report is not included and ${uncovered.length} of its locks are not carried`,
      )
  }
}

/** The reports to include: every one held, in voter order (deterministic proposals). */
export function sortedReports(reports: Iterable<LockReport>): LockReport[] {
  return [...reports].sort((a, b) => compareBytes(a.voterKey, b.voterKey))
}
