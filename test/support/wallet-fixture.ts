// What a masternode tells a light client, built from fixed keys: payments, their finality
// certificates (committee of epoch 0: voters 0–3; epoch 1: voters 4–7), certified blocks with the
// payments' Merkle paths, committee proof steps, and the wallet outputs and address statuses a
// server would send. Pure (no node: imports): the light-client unit tests run in Chromium too.

import { TX_LEAF_PREFIX } from '../../src/core/consensus/block.ts'
import {
  type Block,
  type BlockCertificate,
  type BlockHeader,
  blockHash,
  blockReward,
  COIN,
  Committee,
  type CommitteeProofStep,
  certificateEntry,
  committeeHash,
  computeTxid,
  type FinalityCertificate,
  merklePath,
  type OutPoint,
  rewardHash,
  rewardTxid,
  sha256,
  type Transaction,
  type Txid,
  transactionRoot,
  type UtxoProof,
  utf8ToBytes,
  type WalletUtxo,
  type WalletUtxoState,
} from '../../src/core/index.ts'
import { batchBy, certificateFrom, voterKey } from './consensus-fixture.ts'
import { block as sampleBlock } from './encoded-samples.ts'
import { type Built, type Coin, keyPair, payloadOf, spend } from './ledger-fixture.ts'

export { CONSENSUS_GENESIS as WALLET_GENESIS } from './consensus-fixture.ts'

/** Committee of `epoch` with voters `first` … `first + 3`, weight 10 each. */
export function committeeAt(epoch: number, first: number): Committee {
  return new Committee(
    epoch,
    [0, 1, 2, 3].map((i) => ({ key: voterKey(first + i).publicKey, weight: 10 })),
  )
}

export const C0 = committeeAt(0, 0)
export const C1 = committeeAt(1, 4)

export const alice = keyPair(901)
export const bob = keyPair(902)
export const ALICE = payloadOf(alice)
export const BOB = payloadOf(bob)

/** A coin of alice's from an earlier (genesis) transaction. */
export function aliceCoin(label: string, vout = 0): Coin {
  return {
    outpoint: { txid: sha256(utf8ToBytes(`wallet fixture ${label}`)) as Txid, vout },
    value: 10n * COIN,
    owner: alice,
  }
}

/** Alice pays bob `amount` TIME from `coin`, the change back to her. */
export function payBob(coin: Coin, amount = 3n): Built {
  return spend(
    [coin],
    [
      { to: bob, value: amount * COIN },
      { to: alice, value: coin.value - amount * COIN - COIN / 100n },
    ],
  )
}

/** The output `coin` as the ledger holds it. */
export function coinOutput(coin: Coin): { outpoint: OutPoint; output: WalletUtxo['output'] } {
  return {
    outpoint: coin.outpoint,
    output: { value: coin.value as WalletUtxo['output']['value'], address: payloadOf(coin.owner) },
  }
}

/** A certificate for `txid` from voters `voters` of `committee` (indices into its fixture keys). */
export function certify(txid: Txid, epoch = 0, voters: readonly number[] = [0, 1, 2]) {
  return certificateFrom(txid, epoch, voters)
}

/** A certificate whose first signature is broken. */
export function forged(cert: FinalityCertificate): FinalityCertificate {
  const [first, ...rest] = cert.entries
  const signature = first!.signature.slice()
  signature[0]! ^= 1
  return { ...cert, entries: [{ ...first!, signature }, ...rest] }
}

/** A committed block of `committee`'s epoch holding `txs` at `height`, certified by voters. */
export function certifiedBlock(
  txs: readonly Transaction[],
  height: number,
  epoch = 0,
  voters: readonly number[] = [0, 1, 2],
  nextCommittee?: Committee,
): { block: Block; certificate: BlockCertificate } {
  const committee = epoch === 0 ? C0 : C1
  const prevHash = sha256(utf8ToBytes(`prev ${height}`))
  const reward = blockReward(committee, committee.members[0]!.key, 0n)
  const header: BlockHeader = {
    ...sampleBlock.header,
    height,
    attempt: 0,
    prevHash,
    epoch,
    proposer: committee.members[0]!.key,
    txRoot: transactionRoot(txs.map(computeTxid)),
    rewardHash: rewardHash(reward),
    carryRoot: new Uint8Array(32),
    committeeHash: committeeHash(nextCommittee ?? committee),
  }
  const precommit = { kind: 'precommit', height, attempt: 0, blockHash: blockHash(header) } as const
  const certificate: BlockCertificate = {
    height,
    attempt: 0,
    blockHash: precommit.blockHash,
    epoch,
    entries: voters.map((v) => certificateEntry(batchBy(v, epoch, [precommit]), 0)),
  }
  return { block: { header, transactions: txs, reward, carried: [] }, certificate }
}

/** The inclusion proof of transaction `index` of a certified block. */
export function inclusion(
  c: { block: Block; certificate: BlockCertificate },
  index: number,
): UtxoProof {
  const leaves = c.block.transactions.map((tx) =>
    sha256(Uint8Array.of(TX_LEAF_PREFIX, ...computeTxid(tx))),
  )
  return {
    kind: 'inclusion',
    tx: c.block.transactions[index]!,
    header: c.block.header,
    blockCertificate: c.certificate,
    index,
    count: leaves.length,
    path: merklePath(leaves, index),
  }
}

/** The reward proof of a certified block. */
export function rewardProof(c: { block: Block; certificate: BlockCertificate }): UtxoProof {
  return {
    kind: 'reward',
    header: c.block.header,
    blockCertificate: c.certificate,
    reward: c.block.reward,
  }
}

/** The reward outpoint `vout` of a certified block. */
export function rewardOutpoint(c: { block: Block }, vout: number): OutPoint {
  return { txid: rewardTxid(c.block.header.height, c.block.header.prevHash), vout }
}

/** The step that moves a light client from C0 to C1 (block at `height` of epoch 0). */
export function stepToC1(height = 7, voters: readonly number[] = [0, 1, 2]): CommitteeProofStep {
  const c = certifiedBlock([], height, 0, voters, C1)
  return { header: c.block.header, certificate: c.certificate, members: C1.members }
}

export function utxo(
  at: { outpoint: OutPoint; output: WalletUtxo['output'] },
  state: WalletUtxoState,
  proof: UtxoProof = { kind: 'none' },
): WalletUtxo {
  return { outpoint: at.outpoint, output: at.output, state, proof }
}
