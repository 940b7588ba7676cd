// The Node shell's native Ed25519 signer must make exactly the core's bytes (RFC 8032 signing is
// deterministic), or a masternode's votes would differ between backends.
import { describe, expect, it } from 'vitest'
import { generateKeyPair, nobleVerify, sign } from '../../src/core/index.ts'
import { nativeSigner } from '../../src/node/crypto/native-signer.ts'

describe('nativeSigner', () => {
  it('signs exactly as the core, and the signatures verify', () => {
    for (let i = 0; i < 20; i++) {
      const key = generateKeyPair()
      const message = new TextEncoder().encode(`message ${i}`)
      const signature = nativeSigner(key).sign(message)
      expect(signature).toEqual(sign(message, key.secretKey))
      expect(nobleVerify(signature, message, key.publicKey)).toBe(true)
    }
  })
})
