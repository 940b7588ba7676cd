// The Ed25519 conformance vectors (test/vectors/ed25519/, sources in its SOURCES.md) as cases
// with the verdict the ZIP215 rule gives, for every backend's test.
import type { SignatureCheck } from '../../src/core/crypto/index.ts'
import { fromHex, utf8ToBytes } from '../../src/core/encoding/bytes.ts'
import rfc8032 from '../vectors/ed25519/rfc8032.json' with { type: 'json' }
import speccheck from '../vectors/ed25519/speccheck-cases.json' with { type: 'json' }
import wycheproof from '../vectors/ed25519/wycheproof-ed25519.json' with { type: 'json' }
import zip215 from '../vectors/ed25519/zip215.json' with { type: 'json' }

export { rfc8032 }

export interface Case extends SignatureCheck {
  readonly name: string
  readonly expected: boolean
}

const SPECCHECK_VERDICTS = 'V V V V V V X X X V V V'.split(' ').map((v) => v === 'V')

export const suites: Record<string, Case[]> = {
  rfc8032: rfc8032.map((v, i) => ({
    name: `rfc8032 #${i}`,
    publicKey: fromHex(v.pub),
    message: fromHex(v.msg),
    signature: fromHex(v.sig),
    expected: true,
  })),
  wycheproof: wycheproof.testGroups.flatMap((g) =>
    g.tests.map((t) => ({
      name: `wycheproof tc${t.tcId}`,
      publicKey: fromHex(g.publicKey.pk),
      message: fromHex(t.msg),
      signature: fromHex(t.sig),
      expected: t.result === 'valid',
    })),
  ),
  zip215: zip215.map((v, i) => ({
    name: `zip215 #${i}`,
    publicKey: fromHex(v.vk_bytes),
    message: utf8ToBytes('Zcash'),
    signature: fromHex(v.sig_bytes),
    expected: v.valid_zip215,
  })),
  speccheck: speccheck.map((v, i) => ({
    name: `speccheck #${i}`,
    publicKey: fromHex(v.pub_key),
    message: fromHex(v.message),
    signature: fromHex(v.signature),
    expected: SPECCHECK_VERDICTS[i]!,
  })),
}
