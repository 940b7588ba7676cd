// The wire-message vectors (test/vectors/protocol-messages.json, quoted in docs/PROTOCOL.md §19):
// concrete messages of every protocol, built from the signed objects of the protocol vectors
// (test/vectors/protocol.json: the §9.2 payment, the §17.4 registration, the §13.2 batch, the
// §13.3 certificate, the §18.6 lock report). scripts/protocol-message-vectors.ts prints them; the
// vector test checks that the encoders still produce exactly these bytes.
import {
  addressPayloadFromPublicKey,
  addressStatus,
  decodeTransaction,
  FinalityCertificateCodec,
  fromHex,
  LockReportCodec,
  type Message,
  type PeerExchangeMessage,
  type SyncMessage,
  sha256,
  utf8ToBytes,
  VoteBatchCodec,
  type WalletMessage,
} from '../../src/core/index.ts'
import vectors from '../vectors/protocol.json' with { type: 'json' }

export type Union = 'engine' | 'wallet' | 'sync' | 'peers'

export interface MessageVector {
  readonly name: string
  readonly union: Union
  readonly message: Message | WalletMessage | SyncMessage | PeerExchangeMessage
}

export function messageVectors(): MessageVector[] {
  const { tx: payment, txid } = decodeTransaction(fromHex(vectors.transaction.signed))
  const { tx: registration } = decodeTransaction(fromHex(vectors.registration.signed))
  const batch = VoteBatchCodec.decode(fromHex(vectors.votes.batch))
  const certificate = FinalityCertificateCodec.decode(fromHex(vectors.certificate.encoded))
  const report = LockReportCodec.decode(fromHex(vectors.lockReport.encoded))
  const key = (i: number) => fromHex(vectors.keys[i]!.publicKey)
  const payee = addressPayloadFromPublicKey(key(2))
  const received = {
    outpoint: { txid, vout: 0 },
    output: payment.outputs[0]!,
    state: { kind: 'Unspent' as const },
  }
  const status = addressStatus([received])
  // An Ed25519 libp2p peer id (identity multihash of the protobuf key) and /ip4/127.0.0.1/tcp/24100.
  const peerId = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...key(0))
  const multiaddr = fromHex('047f000001065e24')
  const engine = (name: string, message: Message) => ({ name, union: 'engine' as const, message })
  const wallet = (name: string, message: WalletMessage) => ({
    name,
    union: 'wallet' as const,
    message,
  })
  return [
    engine('TransactionBroadcast of the payment', { type: 'TransactionBroadcast', tx: payment }),
    engine('InstantFinalityVote of the batch', { type: 'InstantFinalityVote', batch }),
    engine('FinalityCertificate of the payment', {
      type: 'FinalityCertificate',
      tx: payment,
      certificate,
    }),
    engine('TransactionRequest for the payment', { type: 'TransactionRequest', txid }),
    engine('BlockRequest for height 42', { type: 'BlockRequest', height: 42 }),
    engine('LockReport with its two transactions', {
      type: 'LockReport',
      report,
      txs: [payment, registration],
    }),
    wallet('UTXOSubscribe to keys 2 and 0', {
      type: 'UTXOSubscribe',
      requestId: 1,
      addresses: [payee, addressPayloadFromPublicKey(key(0))],
    }),
    wallet('UTXOSubscribeAnswer: key 2 holds the payment output', {
      type: 'UTXOSubscribeAnswer',
      requestId: 1,
      statuses: [{ address: payee, status }],
    }),
    wallet('UTXOStateNotification: the payment output, final', {
      type: 'UTXOStateNotification',
      utxo: { ...received, proof: { kind: 'finality', tx: payment, certificate } },
      status,
    }),
    wallet('UTXOStateQuery for key 2', {
      type: 'UTXOStateQuery',
      requestId: 2,
      address: payee,
      from: 0,
    }),
    wallet('SubmitTransaction of the payment', {
      type: 'SubmitTransaction',
      requestId: 3,
      tx: payment,
    }),
    wallet('SubmitResult: accepted', { type: 'SubmitResult', requestId: 3, txid, error: null }),
    wallet('SubmitResult: refused', {
      type: 'SubmitResult',
      requestId: 4,
      txid,
      error: { code: 'LEDGER_CONFLICT', message: 'input 0 is locked by another transaction' },
    }),
    wallet('CommitteeProofRequest from epoch 0', {
      type: 'CommitteeProofRequest',
      requestId: 5,
      fromEpoch: 0,
    }),
    wallet('Error: a message sent the wrong way', {
      type: 'Error',
      requestId: 6,
      error: { code: 'PROTOCOL_UNEXPECTED_MESSAGE', message: 'a wallet sends no notifications' },
    }),
    {
      name: 'Status: tip at height 42',
      union: 'sync',
      message: { type: 'Status', height: 42, hash: sha256(utf8ToBytes('block 42')) },
    },
    {
      name: 'BlocksByRangeRequest from height 1',
      union: 'sync',
      message: { type: 'BlocksByRangeRequest', from: 1, count: 64 },
    },
    {
      name: 'SnapshotChunkRequest at height 42',
      union: 'sync',
      message: { type: 'SnapshotChunkRequest', height: 42, index: 0 },
    },
    {
      name: 'PeersRequest for 16 peers',
      union: 'peers',
      message: { type: 'PeersRequest', max: 16 },
    },
    {
      name: 'PeersAnswer: key 0 on 127.0.0.1:24100',
      union: 'peers',
      message: {
        type: 'PeersAnswer',
        peers: [{ peerId, addrs: [multiaddr], lastSeen: 1_767_225_600_000 }],
      },
    },
  ]
}
