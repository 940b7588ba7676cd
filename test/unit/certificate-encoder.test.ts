// The direct certificate encoder must write exactly the codec's bytes, and leave anything out of
// range to the codec's typed error.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeFinalityCertificate } from '../../src/core/consensus/certificate-encoder.ts'
import {
  type CertificateEntry,
  type FinalityCertificate,
  FinalityCertificateCodec,
  type Txid,
} from '../../src/core/index.ts'
import { arbBytes } from '../support/arbitraries.ts'
import { encodingCodeOf } from '../support/error-code.ts'

const arbEntry: fc.Arbitrary<CertificateEntry> = fc.record({
  header: fc.record({
    epoch: fc.nat({ max: 0xffff_ffff }),
    voterKey: arbBytes(32),
    seq: fc.maxSafeNat(),
    leafCount: fc.integer({ min: 1, max: 4096 }),
    root: arbBytes(32),
    timestamp: fc.maxSafeNat(),
  }),
  signature: arbBytes(64),
  leafIndex: fc.nat({ max: 0xffff_ffff }),
  path: fc.array(arbBytes(32), { maxLength: 12 }),
})

const arbCertificate: fc.Arbitrary<FinalityCertificate> = fc.record({
  txid: arbBytes(32).map((b) => b as Txid),
  epoch: fc.nat({ max: 0xffff_ffff }),
  entries: fc.array(arbEntry, { maxLength: 6 }),
})

describe('encodeFinalityCertificate', () => {
  it('writes exactly the bytes of FinalityCertificateCodec', () => {
    fc.assert(
      fc.property(arbCertificate, (c) => {
        expect(encodeFinalityCertificate(c)).toEqual(FinalityCertificateCodec.encode(c))
      }),
      { numRuns: 300 },
    )
  })

  it('round-trips through the strict decoder', () => {
    fc.assert(
      fc.property(arbCertificate, (c) => {
        expect(FinalityCertificateCodec.decode(encodeFinalityCertificate(c))).toEqual(c)
      }),
      { numRuns: 100 },
    )
  })

  it('leaves out-of-range values to the codec: the same typed error', () => {
    const base: FinalityCertificate = {
      txid: new Uint8Array(32) as Txid,
      epoch: 1,
      entries: [],
    }
    const entry: CertificateEntry = {
      header: {
        epoch: 1,
        voterKey: new Uint8Array(32),
        seq: 1,
        leafCount: 1,
        root: new Uint8Array(32),
        timestamp: 0,
      },
      signature: new Uint8Array(64),
      leafIndex: 0,
      path: [],
    }
    const bad: [FinalityCertificate, string][] = [
      [{ ...base, epoch: -1 }, 'OUT_OF_RANGE'],
      [{ ...base, txid: new Uint8Array(31) as Txid }, 'INVALID_VALUE'],
      [
        { ...base, entries: [{ ...entry, header: { ...entry.header, leafCount: 0 } }] },
        'INVALID_VALUE',
      ],
      [
        { ...base, entries: [{ ...entry, header: { ...entry.header, seq: 2 ** 53 } }] },
        'OUT_OF_RANGE',
      ],
      [{ ...base, entries: [{ ...entry, signature: new Uint8Array(63) }] }, 'INVALID_VALUE'],
      [
        { ...base, entries: [{ ...entry, path: Array(13).fill(new Uint8Array(32)) }] },
        'LIMIT_EXCEEDED',
      ],
    ]
    for (const [c, code] of bad) {
      expect(encodingCodeOf(() => FinalityCertificateCodec.encode(c))).toBe(code)
      expect(encodingCodeOf(() => encodeFinalityCertificate(c))).toBe(code)
    }
  })
})
