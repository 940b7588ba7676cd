import { describe, expect, it } from 'vitest'
import {
  createEd25519Verifier,
  GROUP_ORDER,
  generateKeyPair,
  getPublicKey,
  sign,
} from '../../src/core/index.ts'
import { typedErrorOf, typedRejectionOf } from '../support/error-code.ts'

function addOrderToS(signature: Uint8Array): Uint8Array {
  const out = signature.slice()
  let carry = 0n
  let l = GROUP_ORDER
  for (let i = 32; i < 64; i++) {
    const sum = BigInt(out[i]!) + (l & 0xffn) + carry
    out[i] = Number(sum & 0xffn)
    carry = sum >> 8n
    l >>= 8n
  }
  return out
}

describe.each([true, false])('ed25519 (native=%s)', (native) => {
  const verifier = createEd25519Verifier({ native })
  const { secretKey, publicKey } = generateKeyPair()
  const message = new TextEncoder().encode('pay 1.5 TIME')
  const signature = sign(message, secretKey)

  it('verifies its own signatures and rejects another message', async () => {
    expect(await verifier.verify(signature, message, publicKey)).toBe(true)
    expect(await verifier.verify(signature, new Uint8Array([1, 2, 3]), publicKey)).toBe(false)
  })

  it('rejects S + L with a typed error, not a crash', async () => {
    const malleated = addOrderToS(signature)
    // S + L still fits in 256 bits for a random S, so the bytes differ only in S.
    expect(malleated.subarray(0, 32)).toEqual(signature.subarray(0, 32))
    const verdict = await verifier.check(malleated, message, publicKey)
    expect(verdict.valid).toBe(false)
    if (!verdict.valid) expect(verdict.error.code).toBe('SIGNATURE_S_NOT_CANONICAL')
    expect(await typedRejectionOf(verifier.assertValid(malleated, message, publicKey))).toBe(
      'CryptoError:SIGNATURE_S_NOT_CANONICAL',
    )
  })

  it('rejects a truncated signature with SIGNATURE_LENGTH', async () => {
    const verdict = await verifier.check(signature.subarray(0, 63), message, publicKey)
    expect(verdict).toMatchObject({ valid: false, error: { code: 'SIGNATURE_LENGTH' } })
  })

  it('rejects a wrong-length key with PUBLIC_KEY_LENGTH', async () => {
    const verdict = await verifier.check(signature, message, publicKey.subarray(0, 31))
    expect(verdict).toMatchObject({ valid: false, error: { code: 'PUBLIC_KEY_LENGTH' } })
    await expect(
      verifier.assertValid(signature, message, new Uint8Array(33)),
    ).rejects.toMatchObject({ code: 'PUBLIC_KEY_LENGTH', peerAction: 'low-tolerance' })
  })

  it('reports a bad signature as SIGNATURE_INVALID', async () => {
    const flipped = signature.slice()
    flipped[5]! ^= 1
    await expect(verifier.assertValid(flipped, message, publicKey)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    })
  })

  it('verifyMany keeps order over mixed verdicts', async () => {
    const other = generateKeyPair()
    const checks = [
      { signature, message, publicKey },
      { signature, message, publicKey: other.publicKey },
      { signature: sign(message, other.secretKey), message, publicKey: other.publicKey },
      { signature: signature.subarray(1), message, publicKey },
    ]
    expect(await verifier.verifyMany(checks)).toEqual([true, false, true, false])
  })
})

describe('key handling', () => {
  it('refuses a wrong-length secret key with a typed error', () => {
    expect(typedErrorOf(() => getPublicKey(new Uint8Array(31)))).toBe(
      'CryptoError:SECRET_KEY_LENGTH',
    )
    expect(() => sign(new Uint8Array(1), new Uint8Array(64))).toThrow(
      expect.objectContaining({ code: 'SECRET_KEY_LENGTH' }),
    )
  })

  it('generates distinct keys', () => {
    const a = generateKeyPair()
    const b = generateKeyPair()
    expect(a.secretKey).not.toEqual(b.secretKey)
    expect(a.publicKey).toHaveLength(32)
  })
})
