/**
 * The voting rules an engine follows, as one explicit object. Production code uses SAFE_RULES,
 * the protocol's rules (docs/PROTOCOL.md §10–§11, docs/ARCHITECTURE.md §3.1, §3.5, §3.8). Only the simulator
 * constructs another: deliberately broken rules whose violations its safety oracle must catch —
 * the proof that the oracle can fail. Nothing else may pass anything but SAFE_RULES.
 */
import { type QuorumRule, quorumThreshold } from './committee.ts'

export interface ConsensusRules {
  /** Accept weight a committee of total weight W needs (safe: ⌊2W/3⌋ + 1). */
  readonly quorum: QuorumRule
  /** Whether a member accepts a transaction whose input is locked by another (safe: never). */
  readonly acceptConflicts: boolean
  /** Whether a member seals its epoch before prevoting a committee-changing block (safe: yes). */
  readonly sealBeforeHandoff: boolean
}

export const SAFE_RULES: ConsensusRules = Object.freeze({
  quorum: quorumThreshold,
  acceptConflicts: false,
  sealBeforeHandoff: true,
})
