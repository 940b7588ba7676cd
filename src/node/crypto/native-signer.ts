/**
 * Ed25519 signing with node:crypto (OpenSSL) for masternodes: RFC 8032 signing is deterministic,
 * so it makes exactly the bytes the core's noble signer makes (a test checks), at a fraction of
 * the cost. Synchronous, as the engine's `Signer` port requires.
 */
import { createPrivateKey, sign } from 'node:crypto'
import type { KeyPair, Signer } from '../../core/index.ts'

/** PKCS#8 DER prefix of an Ed25519 private key: the 32-byte seed follows (RFC 8410). */
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])

export function nativeSigner(key: KeyPair): Signer {
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + key.secretKey.length)
  der.set(PKCS8_ED25519_PREFIX)
  der.set(key.secretKey, PKCS8_ED25519_PREFIX.length)
  const privateKey = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
  return {
    publicKey: key.publicKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  }
}
