// Prints the project's own protocol vectors (test/vectors/protocol.json) from fixed inputs.
// Regenerate only on a deliberate protocol change: `node scripts/protocol-vectors.ts > test/vectors/protocol.json`.
import {
  addressFromPublicKey,
  addressPayloadFromPublicKey,
  bytesToHex,
  computeTxid,
  encodeTransaction,
  getPublicKey,
  inputSigningMessage,
  sha256,
  signTransaction,
  type Txid,
  type UnsignedTransaction,
  UnsignedTransactionCodec,
  utf8ToBytes,
} from '../src/core/index.ts'

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
}
process.stdout.write(`${JSON.stringify(vectors, null, 2)}\n`)
