// The batching, remembering verifier front (src/core/crypto/verify-queue.ts), in Node and in
// Chromium: the wrapped verifier's verdicts, one verifyMany per turn (bounded), a bounded cache.
import { describe, expect, it } from 'vitest'
import {
  createBatchVerifier,
  createEd25519Verifier,
  type Ed25519Verifier,
  getPublicKey,
  type SignatureCheck,
  sha256,
  sign,
  utf8ToBytes,
} from '../../src/core/index.ts'

const secret = (i: number) => sha256(utf8ToBytes(`verify queue key ${i}`))
const keys = [0, 1, 2].map((i) => ({ secretKey: secret(i), publicKey: getPublicKey(secret(i)) }))

function signed(i: number, message: Uint8Array = utf8ToBytes(`message ${i}`)): SignatureCheck {
  const k = keys[i % keys.length]!
  return { signature: sign(message, k.secretKey), message, publicKey: k.publicKey }
}

/** A valid check made invalid in one of several ways. */
function spoiled(c: SignatureCheck, how: number): SignatureCheck {
  switch (how % 4) {
    case 0: {
      const signature = c.signature.slice()
      signature[5]! ^= 1
      return { ...c, signature }
    }
    case 1:
      return { ...c, message: utf8ToBytes('another message') }
    case 2: {
      const other = keys.find((k) => k.publicKey !== c.publicKey)!
      return { ...c, publicKey: other.publicKey }
    }
    default:
      return { ...c, signature: c.signature.subarray(1) } // malformed length
  }
}

/** A verifier that answers from a table and records every verifyMany call. */
function recording(valid: (c: SignatureCheck) => boolean = () => true) {
  const calls: number[] = []
  const inner: Ed25519Verifier = {
    backend: async () => 'noble',
    check: async () => ({ valid: true }),
    verify: async () => true,
    assertValid: async () => {},
    verifyMany: async (checks) => {
      calls.push(checks.length)
      return checks.map(valid)
    },
  }
  return { inner, calls }
}

const turn = () => new Promise<void>((r) => setTimeout(r, 0))

describe('createBatchVerifier', () => {
  it("gives the wrapped verifier's verdicts for a mix of valid and invalid signatures", async () => {
    const inner = createEd25519Verifier()
    const batch = createBatchVerifier(inner)
    const checks = Array.from({ length: 24 }, (_, i) =>
      i % 3 === 0 ? spoiled(signed(i), i / 3) : signed(i),
    )
    const expected = await inner.verifyMany(checks)
    expect(expected.filter((v) => !v).length).toBe(8)
    expect(await batch.verifyMany(checks)).toEqual(expected)
    // Singly, in one turn, and again from the cache: the same verdicts.
    expect(
      await Promise.all(checks.map((c) => batch.verify(c.signature, c.message, c.publicKey))),
    ).toEqual(expected)
    for (const [i, c] of checks.entries()) {
      const verdict = await batch.check(c.signature, c.message, c.publicKey)
      expect(verdict.valid).toBe(expected[i])
      if (!verdict.valid) {
        expect(verdict.error.code).toMatch(/^(SIGNATURE_INVALID|SIGNATURE_LENGTH)$/)
        await expect(batch.assertValid(c.signature, c.message, c.publicKey)).rejects.toThrow(
          expect.objectContaining({ code: verdict.error.code }),
        )
      }
    }
    expect(await batch.backend()).toBe(await inner.backend())
  })

  it('sends the checks of one turn in one verifyMany call, bounded by maxBatch', async () => {
    const { inner, calls } = recording()
    const batch = createBatchVerifier(inner, { maxBatch: 256 })
    const checks = Array.from({ length: 40 }, (_, i) => signed(i))
    const all = Promise.all([
      ...checks.slice(0, 10).map((c) => batch.verify(c.signature, c.message, c.publicKey)),
      batch.verifyMany(checks.slice(10, 30)),
      ...checks.slice(30).map((c) => batch.check(c.signature, c.message, c.publicKey)),
    ])
    expect(calls).toEqual([]) // nothing leaves before the turn ends
    await all
    expect(calls).toEqual([40])

    const small = recording()
    const bounded = createBatchVerifier(small.inner, { maxBatch: 16 })
    await bounded.verifyMany(Array.from({ length: 40 }, (_, i) => signed(100 + i)))
    expect(small.calls).toEqual([16, 16, 8])
    expect(bounded.stats()).toMatchObject({ submitted: 40, verified: 40, batches: 3 })

    // Two turns, two calls.
    await bounded.verify(signed(200).signature, signed(200).message, signed(200).publicKey)
    await bounded.verify(signed(201).signature, signed(201).message, signed(201).publicKey)
    expect(small.calls).toEqual([16, 16, 8, 1, 1])
  })

  it('verifies a signature seen again once: in flight or remembered', async () => {
    const { inner, calls } = recording((c) => c.message[0] !== 0x78) // 'x…' is invalid
    const batch = createBatchVerifier(inner)
    const c = signed(1)
    const bad = signed(2, utf8ToBytes('x bad'))
    const [a, b, d] = await Promise.all([
      batch.verifyMany([c, bad]),
      batch.verify(c.signature, c.message, c.publicKey),
      batch.verify(bad.signature, bad.message, bad.publicKey),
    ])
    expect([a, b, d]).toEqual([[true, false], true, false])
    expect(calls).toEqual([2])
    await turn()
    // A copy of the triple (other arrays, same bytes) is answered from the cache.
    const copy = {
      signature: c.signature.slice(),
      message: c.message.slice(),
      publicKey: c.publicKey.slice(),
    }
    expect(await batch.verifyMany([copy, bad])).toEqual([true, false])
    expect(calls).toEqual([2])
    expect(batch.stats()).toMatchObject({
      submitted: 6,
      inFlightHits: 2,
      cacheHits: 2,
      verified: 2,
    })

    // The key is the whole triple: another message, key or signature is verified anew.
    const other = signed(1, utf8ToBytes('message 1!'))
    await batch.verifyMany([other, { ...c, publicKey: keys[0]!.publicKey }])
    expect(calls).toEqual([2, 2])
  })

  it('keys long messages by their hash without confusing them', async () => {
    const { inner, calls } = recording((c) => c.message[999] === 1)
    const batch = createBatchVerifier(inner)
    const long = (last: number) => {
      const m = new Uint8Array(1000).fill(7)
      m[999] = last
      return signed(0, m)
    }
    expect(await batch.verifyMany([long(1), long(2)])).toEqual([true, false])
    expect(await batch.verifyMany([long(2), long(1)])).toEqual([false, true])
    expect(calls).toEqual([2])
    // Messages that differ only in a trailing zero byte are different triples.
    const m = utf8ToBytes('ab')
    const z = new Uint8Array([...m, 0])
    await batch.verifyMany([signed(0, m), { ...signed(0, m), message: z }])
    expect(calls).toEqual([2, 2])
  })

  it('holds at most cacheEntries verdicts, keeping the recently used', async () => {
    const { inner, calls } = recording()
    const batch = createBatchVerifier(inner, { cacheEntries: 8 })
    const checks = Array.from({ length: 50 }, (_, i) => signed(i))
    const hot = checks[0]!
    for (const [i, c] of checks.entries()) {
      await batch.verifyMany(i % 2 === 0 ? [c] : [c, hot])
      expect(batch.stats().cached).toBeLessThanOrEqual(8)
    }
    // The one used all along is still remembered; one of the first is not.
    const before = calls.length
    await batch.verifyMany([hot])
    expect(calls.length).toBe(before)
    await batch.verifyMany([checks[1]!])
    expect(calls.length).toBe(before + 1)

    const none = recording()
    const uncached = createBatchVerifier(none.inner, { cacheEntries: 0 })
    await uncached.verifyMany([hot])
    await uncached.verifyMany([hot])
    expect(none.calls).toEqual([1, 1])
    expect(uncached.stats().cached).toBe(0)
  })

  it('rejects the checks of a failed verifyMany and remembers none of them', async () => {
    let fail = true
    const calls: number[] = []
    const inner: Ed25519Verifier = {
      ...recording().inner,
      verifyMany: async (checks) => {
        calls.push(checks.length)
        if (fail) throw new Error('backend down')
        return checks.map(() => true)
      },
    }
    const batch = createBatchVerifier(inner)
    const c = signed(3)
    await expect(batch.verifyMany([c, signed(4)])).rejects.toThrow('backend down')
    fail = false
    expect(await batch.verifyMany([c])).toEqual([true])
    expect(calls).toEqual([2, 1])
  })

  it('refuses nonsense options', () => {
    const { inner } = recording()
    expect(() => createBatchVerifier(inner, { maxBatch: 0 })).toThrow(RangeError)
    expect(() => createBatchVerifier(inner, { cacheEntries: -1 })).toThrow(RangeError)
  })
})
