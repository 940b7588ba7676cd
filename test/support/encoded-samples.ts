// One valid sample of every protocol object and store record, with the exported decoder that
// reads it back: the seeds of the decoder fuzz and of the aliasing checks (encoding.test.ts).

import { LockReportBodyCodec } from '../../src/core/consensus/lock-report.ts'
import {
  type AddressPayload,
  type Amount,
  type Block,
  type BlockCertificate,
  BlockCertificateCodec,
  BlockCodec,
  BlockHeaderCodec,
  blockHash,
  COIN,
  type Codec,
  CommitteeProofCodec,
  type CommitteeProofStep,
  CommitteeProofStepCodec,
  certificateEntry,
  decodeTransaction,
  EngineMessageCodec,
  type Evidence,
  EvidenceCodec,
  FinalityCertificateCodec,
  type LockReport,
  LockReportCodec,
  type Message,
  OutPointCodec,
  PeerExchangeCodec,
  type PeerExchangeMessage,
  type Proposal,
  ProposalCodec,
  type RegistryState,
  RegistryStateCodec,
  StoreVersionCodec,
  type SyncMessage,
  SyncMessageCodec,
  type Transaction,
  TransactionCodec,
  TxPayloadCodec,
  type UnsignedTransaction,
  UnsignedTransactionCodec,
  type UtxoEntry,
  VoteBatchCodec,
  VoteBatchHeaderCodec,
  VoteLeafCodec,
  type WalletMessage,
  WalletMessageCodec,
  type WalletUtxo,
} from '../../src/core/index.ts'
import {
  decodeMempoolRecord,
  encodeMempoolRecord,
  MempoolRecordCodec,
} from '../../src/core/ledger/mempool-codec.ts'
import {
  decodeUtxoRecord,
  encodeUtxoRecord,
  outpointFromUtxoKey,
  UtxoRecordCodec,
  utxoKey,
} from '../../src/core/ledger/utxo-codec.ts'
import { batchBy, certificateFrom, committeeOf, txidOf, voterKey } from './consensus-fixture.ts'

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill)
const address = (fill: number) => bytes(20, fill) as AddressPayload

function transaction(label: string, payload: Transaction['payload']): Transaction {
  return {
    version: 1,
    inputs: [
      {
        outpoint: { txid: txidOf(`${label} a`), vout: 1 },
        publicKey: bytes(32, 1),
        signature: bytes(64, 2),
      },
      {
        outpoint: { txid: txidOf(`${label} b`), vout: 70_000 },
        publicKey: bytes(32, 3),
        signature: bytes(64, 4),
      },
    ],
    outputs: [
      { value: (7n * COIN) as Amount, address: address(5) },
      { value: (1_000n * COIN) as Amount, address: address(6) },
    ],
    lockTime: 9,
    payload,
  }
}

export const payment = transaction('payment', { type: 'none' })
const accept = (i: number, label: string) =>
  certificateEntry(batchBy(i, 2, [{ kind: 'txAccept', txid: txidOf(label) }]), 0)
const hashA = txidOf('block A')
const hashB = txidOf('block B')
export const evidence: readonly Evidence[] = [
  {
    kind: 'conflictingAccepts',
    txA: payment,
    txB: transaction('other', { type: 'none' }),
    entryA: accept(0, 'a'),
    entryB: accept(0, 'b'),
  },
  {
    kind: 'conflictingPrecommits',
    height: 7,
    attempt: 1,
    blockHashA: hashA,
    blockHashB: hashB,
    entryA: certificateEntry(
      batchBy(3, 2, [{ kind: 'precommit', height: 7, attempt: 1, blockHash: hashA }]),
      0,
    ),
    entryB: certificateEntry(
      batchBy(3, 2, [
        { kind: 'txAccept', txid: txidOf('x') },
        { kind: 'precommit', height: 7, attempt: 1, blockHash: hashB },
      ]),
      1,
    ),
  },
]
export const registration = transaction('register', {
  type: 'register',
  tier: 'bronze',
  masternodeKey: voterKey(8).publicKey,
  collateralVout: 1,
  proof: bytes(64, 8),
})
const deregistration = transaction('deregister', {
  type: 'deregister',
  masternodeKey: voterKey(8).publicKey,
  proof: bytes(64, 9),
})
const slashing = transaction('slash', {
  type: 'slash',
  evidence: EvidenceCodec.encode(evidence[1]!),
  reporter: address(10),
})

export const batch = batchBy(1, 2, [
  { kind: 'txAccept', txid: txidOf('accepted') },
  { kind: 'txReject', txid: txidOf('rejected'), conflictingTxid: txidOf('winner') },
  { kind: 'prevote', height: 4, attempt: 0, blockHash: hashA },
  { kind: 'precommit', height: 4, attempt: 2, blockHash: hashB },
])
export const certificate = certificateFrom(txidOf('final'), 2, [0, 1, 2])

const committee = committeeOf(2, [10, 100, 1_000])
export const block: Block = {
  header: {
    version: 1,
    height: 5,
    attempt: 1,
    prevHash: bytes(32, 11),
    epoch: 2,
    timestamp: 1_700_000_000_000,
    proposer: voterKey(1).publicKey,
    txRoot: bytes(32, 12),
    rewardHash: bytes(32, 13),
    carryRoot: bytes(32, 14),
    committeeHash: bytes(32, 15),
    utxoCommitment: bytes(32, 17),
  },
  transactions: [payment, registration],
  reward: [{ value: (100n * COIN) as Amount, address: address(16) }],
  carried: [deregistration],
}
const precommit = {
  kind: 'precommit',
  height: 5,
  attempt: 1,
  blockHash: blockHash(block.header),
} as const
export const blockCertificate: BlockCertificate = {
  height: 5,
  attempt: 1,
  blockHash: precommit.blockHash,
  epoch: 2,
  entries: [0, 1].map((i) => certificateEntry(batchBy(i, 2, [precommit]), 0)),
}
export const report: LockReport = {
  epoch: 1,
  height: 5,
  voterKey: voterKey(2).publicKey,
  txids: [txidOf('carried 1'), txidOf('carried 2')],
  signature: bytes(64, 17),
}
export const proposal: Proposal = {
  block,
  attempt: 2,
  validAttempt: 1,
  certificates: [certificate],
  reports: [report],
  proposer: voterKey(1).publicKey,
  signature: bytes(64, 18),
}
const members = committee.members.map((m, i) => ({
  ...m,
  collateral: i === 0 ? null : { txid: txidOf(`collateral ${i}`), vout: i },
}))
export const registryState: RegistryState = {
  epoch: 2,
  members,
  previous: members.slice(1),
  pending: [
    {
      kind: 'add',
      member: {
        key: voterKey(8).publicKey,
        weight: 10,
        collateral: { txid: txidOf('c8'), vout: 1 },
      },
    },
    {
      kind: 'remove',
      key: voterKey(0).publicKey,
      burn: true,
      bounty: { value: 5n as Amount, address: address(19) },
    },
    { kind: 'remove', key: voterKey(1).publicKey, burn: false, bounty: null },
  ],
  unlocking: [{ outpoint: { txid: txidOf('unlocking'), vout: 3 }, epoch: 4 }],
  firstHeight: 3,
  carried: [{ outpoint: { txid: txidOf('carried'), vout: 0 }, txid: txidOf('carrier') }],
  frozen: [{ txid: txidOf('frozen'), vout: 2 }],
  bountiesPaid: 5n,
}
export const proofStep: CommitteeProofStep = {
  header: block.header,
  certificate: blockCertificate,
  members: committee.members,
}
export const utxoEntries: readonly UtxoEntry[] = [
  { kind: 'Unspent' as const },
  { kind: 'Locked' as const, txid: txidOf('locker'), lockedAt: 1_700_000_000_000, voted: true },
  { kind: 'SpentPending' as const, txid: txidOf('spender'), votes: 3, voted: false },
  { kind: 'SpentFinalized' as const, txid: txidOf('final spender') },
  { kind: 'Confirmed' as const, txid: txidOf('confirmed'), height: 42 },
].map((state, i) => ({
  outpoint: { txid: txidOf(`utxo ${i}`), vout: i },
  output: { value: (BigInt(i + 1) * COIN) as Amount, address: address(20 + i) },
  height: i === 0 ? null : i,
  state,
}))
const mempoolEntry = {
  txid: txidOf('unused'),
  tx: registration,
  size: TransactionCodec.encode(registration).length,
  fee: 1_000_000n as Amount,
  status: 'pending' as const,
  voted: true,
  arrivedAt: 1_700_000_000_123,
}

// ── wire messages (src/core/protocol): at least one of every type, every proof and state kind ──

export const engineMessages: readonly Message[] = [
  { type: 'TransactionBroadcast', tx: payment },
  { type: 'InstantFinalityRequest', tx: registration },
  { type: 'InstantFinalityVote', batch },
  { type: 'FinalityCertificate', tx: payment, certificate },
  { type: 'TransactionRequest', txid: txidOf('wanted') },
  { type: 'BlockProposal', proposal },
  { type: 'BlockProposal', proposal: { ...proposal, validAttempt: -1, reports: [] } },
  { type: 'BlockRequest', height: 7 },
  { type: 'BlockCommit', block, certificate: blockCertificate },
  { type: 'LockReport', report, txs: [payment, deregistration] },
  { type: 'LockReport', report: { ...report, txids: [] }, txs: [] },
]

const watched = address(5)
/** One output of every state, with every kind of proof. */
export const walletUtxos: readonly WalletUtxo[] = [
  {
    outpoint: { txid: txidOf('payment'), vout: 0 },
    output: payment.outputs[0]!,
    state: { kind: 'Unspent' },
    proof: { kind: 'finality', tx: payment, certificate },
  },
  {
    outpoint: { txid: txidOf('locked'), vout: 1 },
    output: payment.outputs[0]!,
    state: { kind: 'Locked', txid: txidOf('locker') },
    proof: { kind: 'none' },
  },
  {
    outpoint: { txid: txidOf('pending'), vout: 2 },
    output: payment.outputs[0]!,
    state: { kind: 'SpentPending', txid: txidOf('spender'), votes: 110 },
    proof: { kind: 'none' },
  },
  {
    outpoint: { txid: txidOf('final'), vout: 3 },
    output: payment.outputs[0]!,
    state: { kind: 'SpentFinalized', txid: txidOf('final spender') },
    proof: { kind: 'finality', tx: registration, certificate },
  },
  {
    outpoint: { txid: txidOf('confirmed'), vout: 4 },
    output: payment.outputs[0]!,
    state: { kind: 'Confirmed', txid: txidOf('confirmer'), height: 5 },
    proof: {
      kind: 'inclusion',
      tx: registration,
      header: block.header,
      blockCertificate,
      index: 1,
      count: 2,
      path: [txidOf('sibling')],
    },
  },
  {
    outpoint: { txid: txidOf('reward'), vout: 0 },
    output: block.reward[0]!,
    state: { kind: 'Unspent' },
    proof: { kind: 'reward', header: block.header, blockCertificate, reward: block.reward },
  },
]

const wireError = { code: 'LEDGER_CONFLICT', message: 'input 0 is locked by another transaction' }
export const walletMessages: readonly WalletMessage[] = [
  { type: 'UTXOSubscribe', requestId: 1, addresses: [watched, address(6)] },
  { type: 'UTXOUnsubscribe', requestId: 2, addresses: [address(6)] },
  {
    type: 'UTXOSubscribeAnswer',
    requestId: 1,
    statuses: [{ address: watched, status: bytes(32, 21) }],
  },
  { type: 'UTXOSubscribeAnswer', requestId: 2, statuses: [] },
  ...walletUtxos.map(
    (utxo): WalletMessage => ({ type: 'UTXOStateNotification', utxo, status: bytes(32, 22) }),
  ),
  { type: 'NewTransactionNotification', tx: payment },
  { type: 'UTXOStateQuery', requestId: 3, address: watched, from: 0 },
  {
    type: 'UTXOStateAnswer',
    requestId: 3,
    address: watched,
    status: bytes(32, 23),
    total: 9,
    from: 0,
    utxos: walletUtxos,
  },
  { type: 'SubmitTransaction', requestId: 4, tx: registration },
  { type: 'SubmitResult', requestId: 4, txid: txidOf('register'), error: null },
  { type: 'SubmitResult', requestId: 5, txid: txidOf('conflict'), error: wireError },
  { type: 'CommitteeProofRequest', requestId: 6, fromEpoch: 1 },
  {
    type: 'CommitteeProofAnswer',
    requestId: 6,
    fromEpoch: 1,
    currentEpoch: 3,
    steps: [proofStep, proofStep],
  },
  {
    type: 'Error',
    requestId: 0,
    error: { code: 'PROTOCOL_UNEXPECTED_MESSAGE', message: 'déjà vu: ✓ UTF-8' },
  },
]

export const syncMessages: readonly SyncMessage[] = [
  { type: 'Status', height: 5, hash: blockHash(block.header) },
  { type: 'BlocksByRangeRequest', from: 1, count: 64 },
  { type: 'BlocksByRangeAnswer', blocks: [{ block, certificate: blockCertificate }] },
  { type: 'BlocksByRangeAnswer', blocks: [] },
  { type: 'SnapshotChunkRequest', height: 5, index: 2 },
  {
    type: 'SnapshotChunk',
    height: 5,
    index: 2,
    total: 3,
    records: utxoEntries.map((e) => ({
      outpoint: e.outpoint,
      output: e.output,
      height: e.height ?? 0,
    })),
  },
  { type: 'SyncError', error: { code: 'NOT_FOUND', message: '' } },
]

export const peerMessages: readonly PeerExchangeMessage[] = [
  { type: 'PeersRequest', max: 64 },
  {
    type: 'PeersAnswer',
    peers: [
      { peerId: bytes(38, 24), addrs: [bytes(9, 25), bytes(30, 26)], lastSeen: 1_700_000_000_000 },
      { peerId: bytes(34, 27), addrs: [], lastSeen: 0 },
    ],
  },
  { type: 'PeersAnswer', peers: [] },
]

/** An exported decoder of bytes, with valid encodings to mutate. */
export interface DecoderCase {
  readonly name: string
  readonly decode: (bytes: Uint8Array) => unknown
  /** Re-encodes a decoded value (for the canonical-encoding check), when there is an encoder. */
  readonly encode?: (value: never) => Uint8Array
  readonly seeds: readonly Uint8Array[]
}

function ofCodec<T>(c: Codec<T>, values: readonly T[]): DecoderCase {
  return {
    name: c.name,
    decode: (b) => c.decode(b),
    encode: (v: never) => c.encode(v),
    seeds: values.map((v) => c.encode(v)),
  }
}

const unsigned = (tx: Transaction): UnsignedTransaction => ({
  ...tx,
  inputs: tx.inputs.map(({ outpoint, publicKey }) => ({ outpoint, publicKey })),
})
const transactions = [payment, registration, deregistration, slashing]

export const decoderCases: readonly DecoderCase[] = [
  ofCodec(TransactionCodec, transactions),
  ofCodec(UnsignedTransactionCodec, transactions.map(unsigned)),
  ofCodec(OutPointCodec, [payment.inputs[1]!.outpoint]),
  ofCodec(
    TxPayloadCodec,
    transactions.map((t) => t.payload),
  ),
  ofCodec(EvidenceCodec, evidence),
  ofCodec(VoteLeafCodec, batch.leaves),
  ofCodec(VoteBatchHeaderCodec, [batch.header]),
  ofCodec(VoteBatchCodec, [batch]),
  ofCodec(FinalityCertificateCodec, [certificate]),
  ofCodec(BlockCertificateCodec, [blockCertificate]),
  ofCodec(BlockHeaderCodec, [block.header]),
  ofCodec(BlockCodec, [block]),
  ofCodec(LockReportCodec, [report]),
  ofCodec(LockReportBodyCodec, [report]),
  ofCodec(ProposalCodec, [proposal, { ...proposal, validAttempt: -1, reports: [] }]),
  ofCodec(RegistryStateCodec, [registryState, { ...registryState, previous: null }]),
  ofCodec(CommitteeProofStepCodec, [proofStep]),
  ofCodec(CommitteeProofCodec, [[proofStep, proofStep]]),
  ofCodec(StoreVersionCodec, [1]),
  ofCodec(EngineMessageCodec, engineMessages),
  ofCodec(WalletMessageCodec, walletMessages),
  ofCodec(SyncMessageCodec, syncMessages),
  ofCodec(PeerExchangeCodec, peerMessages),
  ofCodec(UtxoRecordCodec, utxoEntries),
  ofCodec(MempoolRecordCodec, [
    {
      status: 'finalized',
      voted: false,
      arrivedAt: 5n,
      fee: 7n as Amount,
      tx: TransactionCodec.encode(payment),
    },
  ]),
  {
    name: 'decodeTransaction',
    decode: (b) => decodeTransaction(b).tx,
    encode: (v: never) => TransactionCodec.encode(v),
    seeds: transactions.map((t) => TransactionCodec.encode(t)),
  },
  {
    name: 'decodeMempoolRecord',
    decode: (b) => decodeMempoolRecord(b),
    encode: (v: never) => encodeMempoolRecord(v),
    seeds: [encodeMempoolRecord(mempoolEntry)],
  },
  {
    name: 'decodeUtxoRecord (value)',
    decode: (b) => decodeUtxoRecord(utxoKey(utxoEntries[0]!.outpoint), b),
    encode: (v: never) => encodeUtxoRecord(v),
    seeds: utxoEntries.map((e) => encodeUtxoRecord(e)),
  },
  {
    name: 'decodeUtxoRecord (key)',
    decode: (b) => decodeUtxoRecord(b, encodeUtxoRecord(utxoEntries[1]!)),
    seeds: utxoEntries.map((e) => utxoKey(e.outpoint)),
  },
  {
    name: 'outpointFromUtxoKey',
    decode: (b) => outpointFromUtxoKey(b),
    encode: (v: never) => utxoKey(v),
    seeds: utxoEntries.map((e) => utxoKey(e.outpoint)),
  },
]
