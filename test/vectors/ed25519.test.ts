// The Ed25519 conformance vectors in ./ed25519/ (sources and licences in its SOURCES.md): every
// backend, in Node and in Chromium, must give the verdicts their README states (the ZIP215 rule).

import { describe, expect, it } from 'vitest'
import {
  createEd25519Verifier,
  getPublicKey,
  nobleVerify,
  sign,
} from '../../src/core/crypto/index.ts'
import { bytesToHex, fromHex } from '../../src/core/encoding/bytes.ts'
import { rfc8032, suites } from '../support/ed25519-vectors.ts'

describe('Ed25519 vector files', () => {
  it('hold the counts their README states', () => {
    expect(suites.wycheproof).toHaveLength(150)
    expect(suites.zip215).toHaveLength(196)
    expect(suites.speccheck).toHaveLength(12)
    expect(suites.rfc8032!.length).toBeGreaterThan(0)
  })

  it('rfc8032: sign(priv, msg) reproduces sig exactly', () => {
    for (const v of rfc8032) {
      const secret = fromHex(v.priv)
      expect(bytesToHex(getPublicKey(secret))).toBe(v.pub)
      expect(bytesToHex(sign(fromHex(v.msg), secret))).toBe(v.sig)
    }
  })
})

describe.each([
  { backend: 'native fast path', native: true },
  { backend: 'native forced off', native: false },
])('ed25519 verdicts, $backend', ({ native }) => {
  const verifier = createEd25519Verifier({ native })

  it('uses the configured backend', async () => {
    // Node 24 and Chromium both ship WebCrypto Ed25519; the fast path must really be exercised.
    expect(await verifier.backend()).toBe(native ? 'native+noble' : 'noble')
  })

  for (const [suite, cases] of Object.entries(suites)) {
    it(`${suite}: every verdict matches`, async () => {
      const wrong: string[] = []
      for (const c of cases) {
        const got = await verifier.verify(c.signature, c.message, c.publicKey)
        if (got !== c.expected) wrong.push(`${c.name}: expected ${c.expected}, got ${got}`)
      }
      expect(wrong).toEqual([])
    })

    it(`${suite}: verifyMany agrees with one-by-one`, async () => {
      const verdicts = await verifier.verifyMany(cases)
      expect(verdicts).toEqual(cases.map((c) => c.expected))
    })
  }
})

describe('noble arbiter alone', () => {
  for (const [suite, cases] of Object.entries(suites)) {
    it(`${suite}: every verdict matches`, () => {
      expect(cases.map((c) => nobleVerify(c.signature, c.message, c.publicKey))).toEqual(
        cases.map((c) => c.expected),
      )
    })
  }
})
