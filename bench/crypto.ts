// `npm run bench:crypto`: Ed25519 (native, noble, the combined ZIP215 rule), SHA-256 and
// transaction codec throughput on this machine, as one JSON object.

import { NativeEd25519 } from '../src/core/crypto/ed25519-native.ts'
import {
  addressPayloadFromPublicKey,
  computeTxid,
  createEd25519Verifier,
  decodeTransaction,
  encodeTransaction,
  generateKeyPair,
  nobleVerify,
  type SignatureCheck,
  sha256,
  sign,
  signTransaction,
  type Txid,
  utf8ToBytes,
} from '../src/core/index.ts'
import { opsPerSecond, report } from './measure.ts'

const keys = Array.from({ length: 16 }, () => generateKeyPair())
const checks: SignatureCheck[] = keys.map((k, i) => {
  const message = sha256(new Uint8Array([i]))
  return { message, publicKey: k.publicKey, signature: sign(message, k.secretKey) }
})
let next = 0
const pick = () => checks[next++ % checks.length]!

const native = await NativeEd25519.detect()
const combined = createEd25519Verifier()
const BATCH = 256
const batch = Array.from({ length: BATCH }, (_, i) => checks[i % checks.length]!)

const genesis = sha256(utf8ToBytes('bench genesis'))
const [a, b, c] = keys
const tx = signTransaction(
  {
    version: 1,
    inputs: [
      { outpoint: { txid: sha256(new Uint8Array([9])) as Txid, vout: 0 }, publicKey: a!.publicKey },
    ],
    outputs: [
      { value: 150_000_000n as never, address: addressPayloadFromPublicKey(b!.publicKey) },
      { value: 48_000_000n as never, address: addressPayloadFromPublicKey(c!.publicKey) },
    ],
    lockTime: 0,
    payload: { type: 'none' },
  },
  [a!.secretKey],
  genesis,
)
const txBytes = encodeTransaction(tx)
const data32 = new Uint8Array(32)
const data1k = new Uint8Array(1024)
const message = utf8ToBytes('bench message')

report('crypto', {
  ed25519: {
    nativeAvailable: native !== null,
    verifyNativePerSec: native
      ? await opsPerSecond(() => {
          const x = pick()
          return native.verify(x.signature, x.message, x.publicKey)
        })
      : null,
    verifyNoblePerSec: await opsPerSecond(() => {
      const x = pick()
      return nobleVerify(x.signature, x.message, x.publicKey)
    }),
    verifyCombinedPerSec: await opsPerSecond(() => {
      const x = pick()
      return combined.verify(x.signature, x.message, x.publicKey)
    }),
    verifyManyCombinedPerSec: await opsPerSecond(() => combined.verifyMany(batch), BATCH),
    signPerSec: await opsPerSecond(() => sign(message, a!.secretKey)),
  },
  sha256: {
    bytes32PerSec: await opsPerSecond(() => sha256(data32)),
    bytes1024PerSec: await opsPerSecond(() => sha256(data1k)),
  },
  transaction: {
    shape: '1 input, 2 outputs',
    sizeBytes: txBytes.length,
    encodePerSec: await opsPerSecond(() => encodeTransaction(tx)),
    decodePerSec: await opsPerSecond(() => decodeTransaction(txBytes)),
    // A fresh object each time: computeTxid remembers the txid of an object it has seen.
    txidPerSec: await opsPerSecond(() => computeTxid({ ...tx })),
  },
})
