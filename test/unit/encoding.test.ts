// Canonical encoding: round trips, one encoding per object, and decoders that never crash.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type Codec,
  EncodingError,
  encodeTransaction,
  OutPointCodec,
  TransactionCodec,
  UnsignedTransactionCodec,
} from '../../src/core/index.ts'
import { arbMutation, arbOutPoint, arbTransaction } from '../support/arbitraries.ts'

/** Decoding either yields a value or throws an EncodingError — never anything else. */
function decodeOrCode<T>(c: Codec<T>, bytes: Uint8Array): { value: T } | { code: string } {
  try {
    return { value: c.decode(bytes) }
  } catch (e) {
    if (!(e instanceof EncodingError)) throw e
    return { code: e.code }
  }
}

const cases = [
  { name: 'Transaction', c: TransactionCodec as Codec<unknown>, arb: arbTransaction() },
  {
    name: 'UnsignedTransaction',
    c: UnsignedTransactionCodec as Codec<unknown>,
    arb: arbTransaction(),
  },
  { name: 'OutPoint', c: OutPointCodec as Codec<unknown>, arb: arbOutPoint },
] as const

describe.each(cases)('$name codec', ({ c, arb }) => {
  it('decode(encode(x)) equals x', () => {
    fc.assert(
      fc.property(arb, (x) => {
        const decoded = c.decode(c.encode(x))
        if (c === (UnsignedTransactionCodec as Codec<unknown>)) {
          // The unsigned form drops signatures by design.
          expect(c.encode(decoded)).toEqual(c.encode(x))
        } else {
          expect(decoded).toEqual(x)
        }
      }),
    )
  })

  it('every byte string that decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(arbMutation(arb.map((x) => c.encode(x))), (bytes) => {
        const r = decodeOrCode(c, bytes)
        if ('value' in r) expect(c.encode(r.value)).toEqual(bytes)
      }),
      { numRuns: 500 },
    )
  })

  it('random bytes never crash the decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = decodeOrCode(c, bytes)
        if ('value' in r) expect(c.encode(r.value)).toEqual(bytes)
      }),
      { numRuns: 1000 },
    )
  })

  it('refuses trailing bytes and truncation with distinct codes', () => {
    fc.assert(
      fc.property(arb, fc.nat({ max: 255 }), (x, extra) => {
        const bytes = c.encode(x)
        // A fixed-size type one byte too long is already over its size limit.
        const tooLong = bytes.length + 1 > c.maxSize ? 'LIMIT_EXCEEDED' : 'TRAILING_BYTES'
        expect(decodeOrCode(c, Uint8Array.from([...bytes, extra]))).toEqual({ code: tooLong })
        expect(decodeOrCode(c, bytes.subarray(0, bytes.length - 1))).toEqual({ code: 'TRUNCATED' })
      }),
      { numRuns: 50 },
    )
  })
})

describe('field rules', () => {
  const tx = {
    version: 1,
    inputs: [],
    outputs: [],
    lockTime: 0,
    payload: { type: 'none' as const },
  }
  const base = encodeTransaction(tx)

  it('refuses over-limit counts before reading elements', () => {
    const bytes = base.slice()
    bytes[2] = 0xff // inputs count = 0xffff, far above the limit, with no element bytes present
    bytes[3] = 0xff
    expect(decodeOrCode(TransactionCodec, bytes)).toEqual({ code: 'LIMIT_EXCEEDED' })
  })

  it('refuses unknown versions and payload kinds', () => {
    const v2 = base.slice()
    v2[0] = 2
    expect(decodeOrCode(TransactionCodec, v2)).toEqual({ code: 'INVALID_VALUE' })
    // Kinds 1–3 are special transactions (payload.test.ts); 4 is unknown.
    const kind4 = base.slice()
    kind4[kind4.length - 1] = 4
    expect(decodeOrCode(TransactionCodec, kind4)).toEqual({ code: 'INVALID_VALUE' })
  })

  it('refuses an output value above MAX_AMOUNT', () => {
    const one = encodeTransaction({
      ...tx,
      outputs: [{ value: 5n, address: new Uint8Array(20) }],
    } as never)
    const bytes = one.slice()
    // value is the u64 right after version(2) + inputs count(2) + outputs count(2)
    bytes.fill(0xff, 6, 14)
    expect(decodeOrCode(TransactionCodec, bytes)).toEqual({ code: 'OUT_OF_RANGE' })
  })

  it('refuses input larger than the codec limit before parsing', () => {
    expect(decodeOrCode(OutPointCodec, new Uint8Array(37))).toEqual({ code: 'LIMIT_EXCEEDED' })
  })

  it('carries a peer action on decode errors', () => {
    try {
      TransactionCodec.decode(new Uint8Array(3))
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(EncodingError)
      expect((e as EncodingError).peerAction).toBe('low-tolerance')
    }
  })
})
