/**
 * Lock reports (committee handoff, docs/PROTOCOL.md §18.1). Before its first prevote for a
 * committee-changing block a member seals its epoch and signs the list of transactions it
 * accepted that no block holds yet — its carry set. The proposal of that block carries reports
 * from more than 2/3 of the outgoing committee's weight, and the block carries the union of their
 * transactions, which the next committee locks and accepts again.
 *
 * Why that is safe: a certificate of epoch e needs > 2/3 of C_e's weight, the reports too, so
 * their signers overlap by > 1/3 — at least one honest member who accepted the transaction and
 * reported it (after sealing it accepts nothing outside its report). See docs/ARCHITECTURE.md §4.
 */
import * as P from 'micro-packed'
import { DomainTags } from '../crypto/domain.ts'
import type { Signer } from '../crypto/ed25519.ts'
import { domainMessage } from '../crypto/sha256.ts'
import type { SignatureBundle } from '../crypto/signature-bundle.ts'
import { bytesToHex } from '../encoding/bytes.ts'
import { codec } from '../encoding/codec.ts'
import { boundedArray, bytes32, bytes64, u32 } from '../encoding/fields.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import type { Txid } from '../primitives/txid.ts'
import { MAX_CARRIED_TRANSACTIONS } from './block.ts'
import type { Committee } from './committee.ts'

export interface LockReportBody {
  /** The outgoing epoch. */
  readonly epoch: number
  /** Height of the committee-changing block. */
  readonly height: number
  readonly voterKey: Uint8Array
  /** The reporter's carry set: txids it signed Accept for that no block holds. */
  readonly txids: readonly Txid[]
}

export interface LockReport extends LockReportBody {
  readonly signature: Uint8Array
}

const bodyFields = {
  epoch: u32,
  height: u32,
  voterKey: bytes32,
  txids: boundedArray(MAX_CARRIED_TRANSACTIONS, bytes32, 'reported txids'),
}
const bodyCoder = P.struct(bodyFields) as unknown as P.CoderType<LockReportBody>
const reportCoder = P.struct({
  ...bodyFields,
  signature: bytes64,
}) as unknown as P.CoderType<LockReport>

const MAX_REPORT_SIZE = 4 + 4 + 32 + 4 + 32 * MAX_CARRIED_TRANSACTIONS + 64
export const LockReportBodyCodec = codec('LockReportBody', bodyCoder, MAX_REPORT_SIZE - 64)
export const LockReportCodec = codec('LockReport', reportCoder, MAX_REPORT_SIZE)

/** What a lock report's signature covers: tag ‖ genesisHash ‖ encoded body. */
export function lockReportSigningMessage(
  body: LockReportBody,
  genesisHash: Uint8Array,
): Uint8Array {
  const { epoch, height, voterKey, txids } = body
  return domainMessage(
    DomainTags.lockReport,
    genesisHash,
    LockReportBodyCodec.encode({ epoch, height, voterKey, txids }),
  )
}

export function signLockReport(
  body: Omit<LockReportBody, 'voterKey'>,
  signer: Signer,
  genesisHash: Uint8Array,
): LockReport {
  const full = { ...body, voterKey: signer.publicKey }
  return { ...full, signature: signer.sign(lockReportSigningMessage(full, genesisHash)) }
}

function invalid(message: string): never {
  throw new ConsensusError('LOCK_REPORT_INVALID', message, PeerAction.LowToleranceError)
}

export function lockReportsBundle(
  reports: readonly LockReport[],
  genesisHash: Uint8Array,
): SignatureBundle {
  return {
    checks: reports.map((r) => ({
      signature: r.signature,
      message: lockReportSigningMessage(r, genesisHash),
      publicKey: r.voterKey,
    })),
    failure: (i) => {
      const who = reports[i] === undefined ? '?' : bytesToHex(reports[i].voterKey)
      return new ConsensusError(
        'LOCK_REPORT_INVALID',
        `lock report of ${who} has a bad signature`,
        PeerAction.LowToleranceError,
      )
    },
  }
}

/**
 * Checks the reports of a proposal for the committee-changing block at `height` (signatures are
 * verified separately, with the proposal's bundle): one per voting member of `committee`, all of
 * its epoch and this height, together more than 2/3 of its weight. Returns the union of txids.
 */
export function checkLockReports(
  reports: readonly LockReport[],
  committee: Committee,
  height: number,
): Map<string, Txid> {
  const seen = new Set<string>()
  const union = new Map<string, Txid>()
  let weight = 0
  for (const r of reports) {
    const id = bytesToHex(r.voterKey)
    if (seen.has(id)) invalid(`two reports by ${id}`)
    seen.add(id)
    if (r.epoch !== committee.epoch || r.height !== height) {
      invalid(
        `report of ${id} is for (${r.epoch}, ${r.height}), not (${committee.epoch}, ${height})`,
      )
    }
    const w = committee.weightOf(r.voterKey) ?? 0
    if (w === 0) invalid(`${id} is not a voting member of epoch ${committee.epoch}`)
    weight += w
    for (const t of r.txids) union.set(bytesToHex(t), t)
  }
  if (!committee.isQuorum(weight)) {
    invalid(
      `reports carry weight ${weight} of ${committee.totalWeight}; need ${committee.threshold}`,
    )
  }
  return union
}
