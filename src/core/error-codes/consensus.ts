/**
 * Error codes of the consensus and evidence domains: committee, votes, quorum certificates,
 * proposals, blocks and the evidence against members who equivocate.
 *
 * One part of the project's one table of error codes; ../error-codes.ts composes the parts and
 * says what holds across them (codes unique, each entry's fields, docs/ERRORS.md in step).
 */
import { type ErrorCodeInfo, RpcErrorCode } from './types.ts'

const { INVALID_PARAMETER, VERIFY_ERROR, VERIFY_REJECTED } = RpcErrorCode

export const CONSENSUS_CODES = {
  // ── consensus ──
  COMMITTEE_INVALID: {
    domain: 'consensus',
    rpc: INVALID_PARAMETER,
    meaning:
      'A committee that breaks a rule (duplicate or weak member keys, below the minimum size).',
  },
  COMMITTEE_WEIGHT_LIMIT: {
    domain: 'consensus',
    rpc: INVALID_PARAMETER,
    meaning: "A member's weight or a committee's total weight above its bound.",
  },
  COMMITTEE_PROOF_INVALID: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A committee proof whose steps do not chain from genesis.',
  },
  MERKLE_EMPTY: {
    domain: 'consensus',
    rpc: INVALID_PARAMETER,
    meaning: 'A Merkle tree over no leaves.',
  },
  MERKLE_INDEX: {
    domain: 'consensus',
    rpc: INVALID_PARAMETER,
    meaning: 'A leaf index outside the tree.',
  },
  BATCH_INVALID: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A vote batch whose structure breaks a rule (leaf count, root, a weak voter key).',
  },
  BATCH_SIGNATURE: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A vote batch whose signature does not verify.',
  },
  BATCH_NOT_MEMBER: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning:
      'A vote batch of the current or previous epoch signed by a key outside that committee.',
  },
  CERT_EPOCH_MISMATCH: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A certificate checked against the committee of another epoch.',
  },
  CERT_MIXED_EPOCHS: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'Certificate entries from batches of different epochs.',
  },
  CERT_STALE_EPOCH: {
    domain: 'consensus',
    rpc: VERIFY_ERROR,
    meaning: 'A certificate of neither the current nor the previous epoch.',
  },
  CERT_UNKNOWN_VOTER: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: "An entry by a key outside the certificate epoch's committee.",
  },
  CERT_DUPLICATE_VOTER: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'Two entries by one voter.',
  },
  CERT_VOTER_KEY: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'An entry whose voter key is not strong (docs/PROTOCOL.md §3.1).',
  },
  CERT_LEAF_INDEX: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'An entry whose leaf index is outside its batch.',
  },
  CERT_PATH_LENGTH: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A Merkle path of the wrong length for its batch.',
  },
  CERT_ROOT_MISMATCH: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning:
      'The certified leaf is not in the signed batch (or the certificate is for another transaction).',
  },
  CERT_SIGNATURE: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: "An entry's batch signature does not verify on this network.",
  },
  CERT_INSUFFICIENT_WEIGHT: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'Entries short of the quorum weight.',
  },
  BLOCK_INVALID: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A block that breaks a rule (header, transactions, reward, carry set).',
  },
  BLOCK_NOT_EXTENDING: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A certified block at our next height that does not extend our tip.',
  },
  BLOCK_NOT_FINAL_HERE: {
    domain: 'consensus',
    rpc: VERIFY_ERROR,
    meaning:
      "A proposed block spends a transaction not final here (we may lack a parent): not the sender's fault.",
  },
  BLOCK_INPUT_UNKNOWN: {
    domain: 'consensus',
    rpc: VERIFY_ERROR,
    meaning:
      "A proposed block spends an output unknown here (we may lack a parent): not the sender's fault.",
  },
  BLOCK_COMMITMENT_MISMATCH: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning:
      "A block whose header's UTXO-set commitment is not the one applying the block to the chain's UTXO set yields.",
  },
  BLOCK_OWN_REPORT_MISSING: {
    domain: 'consensus',
    rpc: VERIFY_ERROR,
    meaning:
      "A committee-changing proposal leaves out this node's lock report (it may have been late): not the sender's fault.",
  },
  PROPOSAL_INVALID: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A proposal whose signature or certificates do not verify.',
  },
  PROPOSAL_WRONG_LEADER: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A proposal for (height, attempt) signed by a member who is not its leader.',
  },
  LOCK_REPORT_INVALID: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A lock report by a non-member, or whose transactions are not the ones it names.',
  },
  // ── evidence ──
  EVIDENCE_INVALID: {
    domain: 'evidence',
    rpc: VERIFY_REJECTED,
    meaning: 'Equivocation evidence that does not prove two conflicting signed votes.',
  },
} as const satisfies Record<string, ErrorCodeInfo>
