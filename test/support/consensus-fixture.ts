// Committees, vote batches and certificates over fixed keys, for consensus tests and vectors.
import {
  type Block,
  blockReward,
  Committee,
  certificateEntry,
  chainStateAfter,
  committeeHash,
  type FinalityCertificate,
  getPublicKey,
  type KeyPair,
  LtHash,
  rewardHash,
  rewardTxid,
  sha256,
  signVoteBatch,
  type Txid,
  transactionRoot,
  utf8ToBytes,
  type VoteBatch,
  type VoteLeaf,
} from '../../src/core/index.ts'

export const CONSENSUS_GENESIS = sha256(utf8ToBytes('consensus test genesis'))

export function voterKey(i: number): KeyPair {
  const secretKey = sha256(utf8ToBytes(`consensus test voter ${i}`))
  return { secretKey, publicKey: getPublicKey(secretKey) }
}

export function txidOf(label: string): Txid {
  return sha256(utf8ToBytes(label)) as Txid
}

export function committeeOf(epoch: number, weights: readonly number[]): Committee {
  return new Committee(
    epoch,
    weights.map((weight, i) => ({ key: voterKey(i).publicKey, weight })),
  )
}

/** Voter `i` signs a batch of `leaves` in `epoch`. */
export function batchBy(i: number, epoch: number, leaves: readonly VoteLeaf[], seq = 1): VoteBatch {
  return signVoteBatch(
    leaves,
    { epoch, seq, timestamp: 1_700_000_000_000 },
    voterKey(i).secretKey,
    CONSENSUS_GENESIS,
  )
}

/**
 * A certificate for `txid` from voters `voters`, each signing a batch where the txAccept leaf sits
 * among `padding` other leaves (so paths are non-trivial).
 */
export function certificateFrom(
  txid: Txid,
  epoch: number,
  voters: readonly number[],
  padding = 4,
): FinalityCertificate {
  const entries = voters.map((v) => {
    const others: VoteLeaf[] = Array.from({ length: padding }, (_, k) => ({
      kind: 'txAccept',
      txid: txidOf(`padding ${v} ${k}`),
    }))
    const at = v % (padding + 1)
    const leaves = [
      ...others.slice(0, at),
      { kind: 'txAccept', txid } as const,
      ...others.slice(at),
    ]
    return certificateEntry(batchBy(v, epoch, leaves), at)
  })
  return { txid, epoch, entries }
}

/**
 * The `utxoCommitment` of an empty block at `height` on `prevHash` paying `reward`, given the
 * state of the chain's UTXO set before it (default: an empty set).
 */
export function emptyBlockCommitment(
  height: number,
  prevHash: Uint8Array,
  reward: Block['reward'],
  before: LtHash = new LtHash(),
): Uint8Array {
  const changes = { transactions: [], rewardTxid: rewardTxid(height, prevHash), reward }
  return chainStateAfter(before, changes, () => undefined).digest()
}

/**
 * An empty, well-formed block of `committee`'s epoch proposed by `proposer` at (height, attempt);
 * `options.utxos` is the chain's UTXO-set state before it (default: an empty set).
 */
export function emptyBlock(
  committee: Committee,
  proposer: Uint8Array,
  height: number,
  attempt: number,
  prevHash: Uint8Array,
  options: { readonly timestamp: number; readonly utxos?: LtHash | undefined },
): Block {
  const reward = blockReward(committee, proposer, 0n)
  return {
    header: {
      version: 1,
      height,
      attempt,
      prevHash,
      epoch: committee.epoch,
      timestamp: options.timestamp,
      proposer,
      txRoot: transactionRoot([]),
      rewardHash: rewardHash(reward),
      carryRoot: new Uint8Array(32),
      committeeHash: committeeHash(committee),
      utxoCommitment: emptyBlockCommitment(height, prevHash, reward, options.utxos),
    },
    transactions: [],
    reward,
    carried: [],
  }
}
