// Prints the project's own protocol vectors (test/vectors/protocol.json) from fixed inputs.
// Regenerate only on a deliberate protocol change: `node scripts/protocol-vectors.ts > test/vectors/protocol.json`.

import { voteLeafCoder } from '../src/core/consensus/vote-leaf.ts'
import {
  addressFromPublicKey,
  addressPayloadFromPublicKey,
  BlockCodec,
  BlockHeaderCodec,
  batchSigningMessage,
  blockHash,
  blockReward,
  bytesToHex,
  Committee,
  certificateEntry,
  chainStateAfter,
  chainUtxoState,
  committeeHash,
  computeTxid,
  encodeTransaction,
  FinalityCertificateCodec,
  getPublicKey,
  inputSigningMessage,
  keySigner,
  LockReportCodec,
  LTHASH_BYTES,
  LtHash,
  leafHash,
  lockReportSigningMessage,
  ltHashElement,
  merklePath,
  merkleRoot,
  provePayload,
  registrationMessage,
  rewardHash,
  rewardTxid,
  sha256,
  signLockReport,
  signTransaction,
  signVoteBatch,
  TIERS,
  TransactionCodec,
  type Txid,
  transactionRoot,
  type UnsignedTransaction,
  UnsignedTransactionCodec,
  utf8ToBytes,
  VoteBatchCodec,
  VoteBatchHeaderCodec,
  type VoteLeaf,
} from '../src/core/index.ts'
import { LTHASH_ELEMENT_KEY } from '../src/core/ledger/lthash.ts'
import { commitmentElement } from '../src/core/ledger/utxo-codec.ts'

const secret = (i: number) => sha256(utf8ToBytes(`timecoin vector key ${i}`))
const genesisHash = sha256(utf8ToBytes('timecoin vector genesis'))

const keys = [0, 1, 2].map((i) => {
  const secretKey = secret(i)
  const publicKey = getPublicKey(secretKey)
  return {
    secretKey: bytesToHex(secretKey),
    publicKey: bytesToHex(publicKey),
    payload: bytesToHex(addressPayloadFromPublicKey(publicKey)),
    mainnet: addressFromPublicKey(publicKey, 'mainnet'),
    testnet: addressFromPublicKey(publicKey, 'testnet'),
  }
})

const pk = (i: number) => getPublicKey(secret(i))
const unsigned: UnsignedTransaction = {
  version: 1,
  inputs: [
    { outpoint: { txid: sha256(utf8ToBytes('parent 0')) as Txid, vout: 0 }, publicKey: pk(0) },
    { outpoint: { txid: sha256(utf8ToBytes('parent 1')) as Txid, vout: 7 }, publicKey: pk(1) },
  ],
  outputs: [
    { value: 150_000_000n as never, address: addressPayloadFromPublicKey(pk(2)) },
    { value: 48_999_000n as never, address: addressPayloadFromPublicKey(pk(0)) },
  ],
  lockTime: 0,
  payload: { type: 'none' },
}
const signed = signTransaction(unsigned, [secret(0), secret(1)], genesisHash)
const txid = computeTxid(unsigned)

// A Bronze registration: key 0 spends H("parent 2"):1 (1,001 TIME), keeps 0.98999 TIME change at
// output 0 and the 1,000 TIME collateral at output 1; key 1 is the masternode key and proves it.
const registration = provePayload(
  {
    version: 1,
    inputs: [
      { outpoint: { txid: sha256(utf8ToBytes('parent 2')) as Txid, vout: 1 }, publicKey: pk(0) },
    ],
    outputs: [
      { value: 98_999_000n as never, address: addressPayloadFromPublicKey(pk(0)) },
      { value: TIERS.bronze.collateral, address: addressPayloadFromPublicKey(pk(0)) },
    ],
    lockTime: 0,
    payload: {
      type: 'register',
      tier: 'bronze',
      masternodeKey: pk(1),
      collateralVout: 1,
      proof: new Uint8Array(64),
    },
  },
  secret(1),
  genesisHash,
)
const registrationSigned = signTransaction(registration, [secret(0)], genesisHash)
const registrationTxid = computeTxid(registration)

const h = (label: string) => sha256(utf8ToBytes(label))
const leaves: VoteLeaf[] = [
  { kind: 'txAccept', txid },
  { kind: 'txReject', txid: h('rejected') as Txid, conflictingTxid: h('winner') as Txid },
  { kind: 'prevote', height: 42, attempt: 1, blockHash: h('block 42') },
  { kind: 'precommit', height: 42, attempt: 1, blockHash: h('block 42') },
  { kind: 'txAccept', txid: h('another payment') as Txid },
]
const leafHashes = leaves.map(leafHash)
const batch = signVoteBatch(
  leaves,
  { epoch: 3, seq: 17, timestamp: 1_767_225_600_000 },
  secret(0),
  genesisHash,
)

/** A certificate of `n` voters, each signing a one-leaf batch (the idle group-commit case). */
function certificateSize(n: number, leavesPerBatch: number): number {
  const entries = Array.from({ length: n }, (_, i) => {
    const own: VoteLeaf[] = Array.from({ length: leavesPerBatch }, (_, k) =>
      k === 0
        ? { kind: 'txAccept', txid }
        : { kind: 'txAccept', txid: h(`other ${i} ${k}`) as Txid },
    )
    const b = signVoteBatch(own, { epoch: 0, seq: 1, timestamp: 0 }, h(`voter ${i}`), genesisHash)
    return certificateEntry(b, 0)
  })
  return FinalityCertificateCodec.encode({ txid, epoch: 0, entries }).length
}
const voters = [0, 1, 2].map((i) => getPublicKey(secret(i)))
const committee = new Committee(
  3,
  voters.map((key) => ({ key, weight: 10 })),
)
const certificate = {
  txid,
  epoch: 3,
  entries: [0, 1, 2].map((i) =>
    certificateEntry(
      signVoteBatch(
        leaves,
        { epoch: 3, seq: 17 + i, timestamp: 1_767_225_600_000 },
        secret(i),
        genesisHash,
      ),
      0,
    ),
  ),
}

// A lock report of key 0 for the committee-changing block at height 42 of epoch 3, and the hash
// a header commits to for the vector committee.
const report = signLockReport(
  { epoch: 3, height: 42, txids: [txid, registrationTxid] },
  keySigner(secret(0)),
  genesisHash,
)

// The UTXO-set commitment (LtHash16) over the payment's two outputs and the registration's
// collateral: every element's vector, then the set of all three and the set after spending the
// payment's change output.
const commitmentOutputs = [
  { txid, vout: 0, output: unsigned.outputs[0]! },
  { txid, vout: 1, output: unsigned.outputs[1]! },
  { txid: registrationTxid, vout: 1, output: registration.outputs[1]! },
].map(({ txid, vout, output }) =>
  commitmentElement({ outpoint: { txid, vout }, output, height: null, state: { kind: 'Unspent' } }),
)
const commitmentOf = (live: readonly number[]) => {
  const acc = new LtHash()
  for (const i of live) acc.add(commitmentOutputs[i]!)
  return {
    live,
    stateSha256: bytesToHex(sha256(acc.serialize())),
    digest: bytesToHex(acc.digest()),
  }
}
const utxoCommitment = {
  elementKey: bytesToHex(LTHASH_ELEMENT_KEY),
  elements: commitmentOutputs.map((element) => {
    const vector = ltHashElement(element)
    return {
      element: bytesToHex(element),
      vectorHead: bytesToHex(vector.subarray(0, 32)),
      vectorSha256: bytesToHex(sha256(vector)),
    }
  }),
  emptyDigest: bytesToHex(new LtHash().digest()),
  emptyStateBytes: LTHASH_BYTES,
  sets: [commitmentOf([0, 1, 2]), commitmentOf([0, 2])],
}

// A block at height 42 (attempt 1) of epoch 3 confirming the payment, proposed by key 0 for the
// vector committee. Before it, the chain's UTXO set holds exactly the payment's two inputs
// (H("parent 0"):0 paying 1 TIME to key 0, H("parent 1"):7 paying 0.99999 TIME to key 1, so the
// fee is 0.01 TIME); after it, the payment's outputs and the reward (§15.1 utxoCommitment).
const spentBefore = [
  {
    outpoint: unsigned.inputs[0]!.outpoint,
    output: { value: 100_000_000n as never, address: addressPayloadFromPublicKey(pk(0)) },
  },
  {
    outpoint: unsigned.inputs[1]!.outpoint,
    output: { value: 99_999_000n as never, address: addressPayloadFromPublicKey(pk(1)) },
  },
]
const blockPrevHash = h('block 41')
const blockRewardOutputs = blockReward(committee, pk(0), 1_000_000n)
const blockUtxos = chainStateAfter(
  chainUtxoState(spentBefore),
  {
    transactions: [{ tx: signed, txid }],
    rewardTxid: rewardTxid(42, blockPrevHash),
    reward: blockRewardOutputs,
  },
  (o) => spentBefore.find((u) => u.outpoint.txid === o.txid && u.outpoint.vout === o.vout)?.output,
)
const block = {
  header: {
    version: 1,
    height: 42,
    attempt: 1,
    prevHash: blockPrevHash,
    epoch: 3,
    timestamp: 1_767_225_600_000,
    proposer: pk(0),
    txRoot: transactionRoot([txid]),
    rewardHash: rewardHash(blockRewardOutputs),
    carryRoot: new Uint8Array(32),
    committeeHash: committeeHash(committee),
    utxoCommitment: blockUtxos.digest(),
  },
  transactions: [signed],
  reward: blockRewardOutputs,
  carried: [],
}
const blockVector = {
  spentBefore: spentBefore.map((u) => ({
    txid: bytesToHex(u.outpoint.txid),
    vout: u.outpoint.vout,
    value: u.output.value.toString(),
    address: bytesToHex(u.output.address),
  })),
  header: bytesToHex(BlockHeaderCodec.encode(block.header)),
  utxoCommitment: bytesToHex(block.header.utxoCommitment),
  blockHash: bytesToHex(blockHash(block.header)),
  block: bytesToHex(BlockCodec.encode(block)),
}

const vectors = {
  description: 'TIME Coin protocol v1 vectors; see docs/PROTOCOL.md',
  keys,
  transaction: {
    genesisHash: bytesToHex(genesisHash),
    unsigned: bytesToHex(UnsignedTransactionCodec.encode(unsigned)),
    txid: bytesToHex(txid),
    signingMessages: unsigned.inputs.map((_, i) =>
      bytesToHex(inputSigningMessage(genesisHash, txid, i)),
    ),
    signatures: signed.inputs.map((i) => bytesToHex(i.signature)),
    signed: bytesToHex(encodeTransaction(signed)),
  },
  votes: {
    leaves: leaves.map((l) => bytesToHex(voteLeafCoder.encode(l))),
    leafHashes: leafHashes.map(bytesToHex),
    root: bytesToHex(merkleRoot(leafHashes)),
    paths: leaves.map((_, i) => merklePath(leafHashes, i).map(bytesToHex)),
    header: bytesToHex(VoteBatchHeaderCodec.encode(batch.header)),
    signingMessage: bytesToHex(batchSigningMessage(genesisHash, batch.header)),
    signature: bytesToHex(batch.signature),
    batch: bytesToHex(VoteBatchCodec.encode(batch)),
  },
  registration: {
    unsigned: bytesToHex(UnsignedTransactionCodec.encode(registration)),
    txid: bytesToHex(registrationTxid),
    proofMessage: bytesToHex(
      registrationMessage(genesisHash, registration.inputs[0]!.outpoint, 'bronze', 1),
    ),
    proof: bytesToHex(registration.payload.type === 'register' ? registration.payload.proof : []),
    signingMessage: bytesToHex(inputSigningMessage(genesisHash, registrationTxid, 0)),
    signature: bytesToHex(registrationSigned.inputs[0]!.signature),
    signed: bytesToHex(TransactionCodec.encode(registrationSigned)),
  },
  certificate: {
    committee: { epoch: committee.epoch, weights: [10, 10, 10], threshold: committee.threshold },
    encoded: bytesToHex(FinalityCertificateCodec.encode(certificate)),
    committeeHash: bytesToHex(committeeHash(committee)),
    sizes: Object.fromEntries(
      [4, 10, 100].map((n) => [
        n,
        { oneLeafBatches: certificateSize(n, 1), sixteenLeafBatches: certificateSize(n, 16) },
      ]),
    ),
  },
}
const withHandoff = {
  ...vectors,
  lockReport: {
    signingMessage: bytesToHex(lockReportSigningMessage(report, genesisHash)),
    signature: bytesToHex(report.signature),
    encoded: bytesToHex(LockReportCodec.encode(report)),
  },
  utxoCommitment,
  block: blockVector,
}
process.stdout.write(`${JSON.stringify(withHandoff, null, 2)}\n`)
