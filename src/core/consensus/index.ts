export {
  BLOCK_HEADER_SIZE,
  BLOCK_REWARD,
  BLOCK_VERSION,
  type Block,
  BlockCodec,
  type BlockHeader,
  BlockHeaderCodec,
  blockHash,
  blockReward,
  blockTxids,
  MAX_BLOCK_TRANSACTIONS,
  maxBlockFees,
  rewardHash,
  rewardTxid,
  transactionRoot,
} from './block.ts'
export {
  type BlockCertificate,
  BlockCertificateCodec,
  checkBlockCertificate,
  verifyBlockCertificate,
} from './block-certificate.ts'
export { type BlockContext, validateBlock } from './block-validation.ts'
export {
  type CertificateCheck,
  certificateSignatureBundle,
  checkCertificate,
  type FinalityCertificate,
  FinalityCertificateCodec,
  verifyCertificate,
  verifyCertificateSignatures,
} from './certificate.ts'
export {
  Committee,
  type CommitteeMember,
  checkMemberWeight,
  committeeHash,
  MAX_COMMITTEE_SIZE,
  MAX_MEMBER_WEIGHT,
  MAX_TOTAL_WEIGHT,
  MIN_VOTING_MEMBERS,
  type QuorumRule,
  quorumThreshold,
  TIERS,
  type Tier,
  type TierRule,
} from './committee.ts'
export {
  CommitteeProofCodec,
  type CommitteeProofStep,
  CommitteeProofStepCodec,
  checkCommitteeProof,
  committeeProofBundle,
  MAX_PROOF_STEPS,
  verifyCommitteeProof,
} from './committee-proof.ts'
export {
  type Evidence,
  evidenceOffender,
  evidenceSignatureBundle,
  verifyEvidence,
} from './evidence.ts'
export { EVIDENCE_KINDS, EvidenceCodec, MAX_EVIDENCE_ENCODING_SIZE } from './evidence-codec.ts'
export { type HandoffContext, validateHandoff } from './handoff.ts'
export {
  checkLockReports,
  type LockReport,
  type LockReportBody,
  LockReportCodec,
  lockReportSigningMessage,
  lockReportsBundle,
  signLockReport,
} from './lock-report.ts'
export { merklePath, merkleRoot, pathLength, rootFromPath } from './merkle.ts'
export {
  type Proposal,
  ProposalCodec,
  proposalSignatureBundle,
  proposalSigningMessage,
  signProposal,
} from './proposal.ts'
export { ProposerSchedule } from './proposer.ts'
export {
  type CertificateEntry,
  certificateEntry,
  checkQuorumEntries,
  entriesSignatureBundle,
  MAX_ENTRY_SIZE,
  MAX_PATH_LENGTH,
} from './quorum-proof.ts'
export {
  COLLATERAL_UNLOCK_EPOCHS,
  type ConfirmedTx,
  type MemberRecord,
  type MembershipChange,
  Registry,
  type RegistryState,
} from './registry.ts'
export { REGISTRY_KEY, RegistryStateCodec, registryOp } from './registry-codec.ts'
export { type ConsensusRules, SAFE_RULES } from './rules.ts'
export {
  SLASH_BOUNTY_PERCENT,
  slashBounty,
  slashEvidence,
  slashOffender,
  slashSignatureBundle,
} from './slashing.ts'
export {
  NIL,
  type Step,
  TimeLockHeight,
  type TimeLockOutput,
  type TimeLockTimeouts,
} from './timelock.ts'
export {
  type BatchParams,
  batchSigningMessage,
  HEADER_SIZE,
  MAX_BATCH_LEAVES,
  type SignedBatchHeader,
  signVoteBatch,
  type VoteBatch,
  VoteBatchCodec,
  type VoteBatchHeader,
  VoteBatchHeaderCodec,
  verifyVoteBatch,
  voteBatchBundle,
} from './vote-batch.ts'
export {
  LEAF_KINDS,
  leafHash,
  MAX_LEAF_SIZE,
  NO_CONFLICT,
  type VoteLeaf,
  VoteLeafCodec,
} from './vote-leaf.ts'
export { type TallyUpdate, VoteTally } from './vote-tally.ts'
