/**
 * Block proposals at the chain's open height: checking a peer's (its leader, its handoff reports,
 * its block against the tip and the chain's UTXO-set state), gathering what a proposal of ours is
 * built from (the finalized mempool, the lock reports of a committee change), signing it, and
 * checking the lock reports members send for a committee-changing block.
 *
 * Pure functions of what the chain passes in: nothing here holds state or emits outputs.
 * Invariants: a proposal is accepted only from the scheduled proposer of its (height, attempt);
 * a block is valid only if its `utxoCommitment` is the chain state's digest after applying it;
 * a committee-changing block is proposed only with lock reports from > 2/3 of the weight.
 */
import type { Block } from '../consensus/block.ts'
import { buildBlock } from '../consensus/block-builder.ts'
import { validateBlock } from '../consensus/block-validation.ts'
import type { FinalityCertificate } from '../consensus/certificate.ts'
import { sortedReports, validateHandoff } from '../consensus/handoff.ts'
import type { LockReport } from '../consensus/lock-report.ts'
import { type Proposal, signProposal } from '../consensus/proposal.ts'
import type { ProposerSchedule } from '../consensus/proposer.ts'
import type { Signer } from '../crypto/ed25519.ts'
import { bytesToHex, equalBytes } from '../encoding/bytes.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import { chainStateAfter } from '../ledger/chain-utxos.ts'
import type { LtHash } from '../ledger/lthash.ts'
import type { OutPoint } from '../primitives/outpoint.ts'
import { computeTxid, type Transaction, type TxOutput } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'
import type { ChainView } from './chain-io.ts'
import type { ChainTip } from './chain-store.ts'

/** A lock report a member sent for the committee-changing block, with the transactions it names. */
export interface HeldReport {
  readonly report: LockReport
  readonly txs: readonly Transaction[]
}

/** What checking or building a block at the open height reads of the chain. */
export interface BlockContext {
  readonly view: ChainView
  readonly schedule: ProposerSchedule
  readonly tip: ChainTip
  /** The chain's UTXO-set state after the tip. */
  readonly utxos: LtHash
  /** An output of the chain's UTXO set after the tip. */
  chainOutput(outpoint: OutPoint): TxOutput | undefined
  /** The chain's UTXO-set state after `block`, which extends the tip. */
  stateAfter(block: Block, txids: readonly Txid[]): LtHash
}

/** Throws PROPOSAL_WRONG_LEADER unless `p` comes from the proposer of its (height, attempt). */
export function checkLeader(p: Proposal, schedule: ProposerSchedule): void {
  const header = p.block.header
  if (!equalBytes(p.proposer, schedule.proposer(header.height, p.attempt)))
    throw new ConsensusError(
      'PROPOSAL_WRONG_LEADER',
      `(${header.height}, ${p.attempt}) is not ${bytesToHex(p.proposer)}'s to propose`,
      PeerAction.MidToleranceError,
    )
}

/**
 * Validates proposal `p` at open height `height`: its handoff reports, then its block. Throws a
 * TimeCoinError when it is invalid (or cannot be judged yet); returns the chain's state after it
 * when the validation computed it.
 */
export function checkProposal(p: Proposal, height: number, ctx: BlockContext): LtHash | undefined {
  let after: LtHash | undefined
  const { view } = ctx
  const registry = view.registry
  validateHandoff(p.block, p.reports, {
    committee: view.committee,
    next: registry.nextCommittee(),
    changing: registry.changing,
    ownReport: view.reportedAt(height),
  })
  validateBlock(p.block, {
    height,
    prevHash: ctx.tip.hash,
    epoch: view.committee.epoch,
    committee: view.committee,
    schedule: ctx.schedule,
    attempt: p.attempt,
    outputValue: (o) => ctx.chainOutput(o)?.value,
    isFinal: (t) => view.isFinal(t),
    bounties: registry.pendingBounties(),
    utxoCommitmentAfter: (block, txids) => {
      after = ctx.stateAfter(block, txids)
      return after.digest()
    },
  })
  return after
}

/**
 * The reports a fresh committee-changing proposal carries, in protocol order; null while the
 * reports held come from no more than 2/3 of the weight (propose when more arrive).
 */
export function quorumReports(
  view: ChainView,
  held: Iterable<HeldReport>,
): readonly LockReport[] | null {
  const reports = [...held]
  const weight = reports.reduce((w, r) => w + (view.committee.weightOf(r.report.voterKey) ?? 0), 0)
  if (!view.committee.isQuorum(weight)) return null
  return sortedReports(reports.map((r) => r.report))
}

/** A fresh block at (`height`, `attempt`): the finalized mempool and the reported carry sets. */
export function buildFresh(
  height: number,
  attempt: number,
  proposer: Uint8Array,
  ctx: BlockContext,
  reported: Iterable<HeldReport>,
): Block {
  const { view } = ctx
  const finalized = [...view.ledger.mempool.entries()].filter((e) => e.status === 'finalized')
  return buildBlock({
    height,
    attempt,
    prevHash: ctx.tip.hash,
    timestamp: view.now(),
    proposer,
    committee: view.committee,
    registry: view.registry,
    finalized,
    reported: [...reported].map((r) => r.txs),
    utxoCommitmentAfter: (changes) =>
      chainStateAfter(ctx.utxos, changes, (o) => ctx.chainOutput(o)).digest(),
  })
}

/** Our signed proposal of `block`, with the finality certificates of its transactions. */
export function signedProposal(
  view: ChainView,
  signer: Signer,
  block: Block,
  attempt: number,
  validAttempt: number,
  reports: readonly LockReport[],
): Proposal {
  const certificates = block.transactions
    .map((tx) => view.certificateOf(computeTxid(tx)))
    .filter((c): c is FinalityCertificate => c !== undefined)
  return signProposal(block, attempt, validAttempt, certificates, signer, view.genesisHash, reports)
}

/**
 * Whether a lock report is for the committee-changing block at `nextHeight` (false: a handoff we
 * passed or have not reached — timing, not fault). Throws LOCK_REPORT_INVALID when it is for it
 * but cannot be carried.
 */
export function checkLockReport(
  view: ChainView,
  nextHeight: number,
  report: LockReport,
  txs: readonly Transaction[],
): boolean {
  const committee = view.committee
  if (!view.registry.changing) return false
  if (report.epoch !== committee.epoch || report.height !== nextHeight) return false
  const invalid = (why: string) =>
    new ConsensusError('LOCK_REPORT_INVALID', why, PeerAction.LowToleranceError)
  if ((committee.weightOf(report.voterKey) ?? 0) === 0)
    throw invalid(`the reporter is not a voting member of epoch ${committee.epoch}`)
  const named = new Set(report.txids.map(txidToHex))
  const given = new Set(txs.map((tx) => txidToHex(computeTxid(tx))))
  // A report whose transactions are not exactly the ones it names cannot be carried.
  if (named.size !== given.size || [...named].some((id) => !given.has(id)))
    throw invalid('the transactions sent are not the ones the report names')
  return true
}
