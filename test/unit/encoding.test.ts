// Canonical encoding: round trips, one encoding per object, decoders that fail only with typed
// errors (every exported one, fuzzed), and decoded byte fields that never alias their input.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  Bucket,
  type Codec,
  decodeAddress,
  EncodingError,
  encodeTransaction,
  fromHex,
  loadChainState,
  loadCommitteeProof,
  loadVotingState,
  MemoryStore,
  MetaKey,
  OutPointCodec,
  parseAmount,
  TimeCoinError,
  TransactionCodec,
  type Txid,
  txidFromHex,
  UnsignedTransactionCodec,
  VoteBatchCodec,
} from '../../src/core/index.ts'
import {
  encodeUtxoRecord,
  outpointFromUtxoKey,
  utxoKey,
  utxoRecordSize,
} from '../../src/core/ledger/utxo-codec.ts'
import { arbDamaged, arbMutation, arbOutPoint, arbTransaction } from '../support/arbitraries.ts'
import { batchBy, committeeOf, txidOf } from '../support/consensus-fixture.ts'
import { batch, decoderCases, utxoEntries } from '../support/encoded-samples.ts'
import { encodingCodeOf, typedRejectionOf } from '../support/error-code.ts'

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

/** What `decode` makes of `bytes`; any throw that is not a coded TimeCoinError fails the test. */
function outcome(decode: (b: Uint8Array) => unknown, bytes: Uint8Array) {
  try {
    return { value: decode(bytes) }
  } catch (e) {
    if (!(e instanceof TimeCoinError) || typeof e.code !== 'string' || e.code === '') throw e
    return { code: e.code }
  }
}

/** Every Uint8Array reachable from `value`. */
function byteFields(value: unknown, out: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array) out.push(value)
  else if (Array.isArray(value)) for (const v of value) byteFields(v, out)
  else if (typeof value === 'object' && value !== null)
    for (const v of Object.values(value)) byteFields(v, out)
  return out
}

describe.each(decoderCases)('exported decoder $name', ({ decode, encode, seeds }) => {
  it('decodes its seeds', () => {
    for (const s of seeds) expect('value' in outcome(decode, s)).toBe(true)
  })

  it('fails only with a coded TimeCoinError, on damaged encodings and on random bytes', () => {
    fc.assert(
      fc.property(fc.oneof(arbDamaged(seeds), fc.uint8Array({ maxLength: 300 })), (bytes) => {
        const r = outcome(decode, bytes)
        // What decodes has exactly one encoding: the bytes it came from.
        if ('value' in r && encode) expect(encode(r.value as never)).toEqual(bytes)
      }),
      { numRuns: 300 },
    )
  })

  it('returns byte fields that own their bytes: overwriting the input changes nothing', () => {
    for (const seed of seeds) {
      // The receive buffer of a shell: the message sits inside a larger, reused buffer.
      const buffer = new Uint8Array(seed.length + 16)
      buffer.set(seed, 8)
      const input = buffer.subarray(8, 8 + seed.length)
      const value = outcome(decode, input)
      for (const field of byteFields(value)) expect(field.buffer).not.toBe(buffer.buffer)
      buffer.fill(0xa5)
      expect(value).toEqual(outcome(decode, seed.slice()))
    }
  })
})

describe('store loaders', () => {
  const seedsOf = (name: string) => decoderCases.find((c) => c.name === name)!.seeds
  const withRecords = async (records: readonly (readonly [Uint8Array, Uint8Array])[]) => {
    const store = new MemoryStore()
    await store.write(records.map(([key, value]) => ({ type: 'put' as const, key, value })))
    return store
  }
  /** Runs `load`; only a coded TimeCoinError may escape. */
  const typedOutcome = async (load: () => Promise<unknown>) => {
    try {
      await load()
    } catch (e) {
      if (!(e instanceof TimeCoinError) || e.code === '') throw e
    }
  }
  /** Keys under `prefix` (block votes are read at the height after the tip: 1 on a new store). */
  const arbKey = (...prefix: number[]) =>
    fc.uint8Array({ maxLength: 40 }).map((rest) => Uint8Array.of(...prefix, ...rest))

  it('fail only with coded TimeCoinErrors on damaged records and keys', async () => {
    const genesisHash = new Uint8Array(32)
    const arbValue = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      arbDamaged(seedsOf('RegistryState')),
      arbDamaged(seedsOf('CommitteeProofStep')),
    )
    await fc.assert(
      fc.asyncProperty(
        arbValue,
        arbKey(Bucket.decision),
        arbKey(Bucket.blockVote, 0, 0, 0, 1),
        arbKey(Bucket.committeeStep),
        fc.constantFrom(MetaKey.tip, MetaKey.lastSeq, MetaKey.seal, MetaKey.registry),
        async (value, decisionKey, voteKey, stepKey, metaKey) => {
          for (const key of [decisionKey, voteKey, stepKey, metaKey]) {
            const store = await withRecords([[key, value]])
            await typedOutcome(() => loadVotingState(store))
            await typedOutcome(() => loadChainState(store, genesisHash))
            await typedOutcome(() => loadCommitteeProof(store))
          }
        },
      ),
      { numRuns: 100 },
    )
  })

  it('a block vote key or value of the wrong size is an EncodingError', async () => {
    const key = Uint8Array.of(Bucket.blockVote, 0, 0, 0, 1)
    const store = await withRecords([[key, new Uint8Array(32)]])
    expect(await typedRejectionOf(loadChainState(store, new Uint8Array(32)))).toBe(
      'EncodingError:INVALID_VALUE',
    )
  })
})

describe('hand-written encoders', () => {
  it('refuse what the codec refuses, with EncodingErrors, never a wrapped value', () => {
    const entry = utxoEntries[4]!
    const code = (f: () => unknown) => encodingCodeOf(f)
    expect(code(() => utxoKey({ txid: new Uint8Array(31) as Txid, vout: 0 }))).toBe('OUT_OF_RANGE')
    expect(code(() => utxoKey({ ...entry.outpoint, vout: 2 ** 32 }))).toBe('OUT_OF_RANGE')
    expect(code(() => utxoKey({ ...entry.outpoint, vout: -1 }))).toBe('OUT_OF_RANGE')
    expect(code(() => outpointFromUtxoKey(new Uint8Array(36)))).toBe('INVALID_VALUE')
    const bad = [
      { ...entry, height: 2 ** 32 },
      { ...entry, height: 0xffff_ffff },
      { ...entry, state: { kind: 'Confirmed' as const, txid: entry.outpoint.txid, height: -1 } },
      {
        ...entry,
        state: { kind: 'Locked' as const, txid: entry.outpoint.txid, lockedAt: 0.5, voted: false },
      },
      {
        ...entry,
        state: {
          kind: 'SpentPending' as const,
          txid: entry.outpoint.txid,
          votes: 2 ** 32,
          voted: false,
        },
      },
    ]
    for (const e of bad) {
      expect(utxoRecordSize(e)).toBe(-1)
      expect(code(() => encodeUtxoRecord(e))).toBe('OUT_OF_RANGE')
    }
    expect(code(() => encodeUtxoRecord(entry, new Uint8Array(3)))).toBe('INVALID_VALUE')
  })
})

describe('a shell that reuses its receive buffer', () => {
  it('never changes the keys and txids of a vote batch the engine keeps', () => {
    const committee = committeeOf(2, [10, 100, 1_000])
    const receive = new Uint8Array(VoteBatchCodec.maxSize)
    const first = VoteBatchCodec.encode(batch)
    receive.set(first)
    const kept = VoteBatchCodec.decode(receive.subarray(0, first.length))
    expect(committee.weightOf(kept.header.voterKey)).toBe(100)
    // The next message lands in the same buffer.
    const next = VoteBatchCodec.encode(batchBy(2, 2, [{ kind: 'txAccept', txid: txidOf('next') }]))
    receive.fill(0)
    receive.set(next)
    VoteBatchCodec.decode(receive.subarray(0, next.length))
    expect(kept).toEqual(VoteBatchCodec.decode(first))
    expect(committee.weightOf(kept.header.voterKey)).toBe(100)
  })
})

describe('text decoders', () => {
  it('fail only with coded TimeCoinErrors', () => {
    const decoders = [
      (t: string) => decodeAddress(t),
      (t: string) => decodeAddress(t, 'mainnet'),
      (t: string) => parseAmount(t),
      (t: string) => fromHex(t),
      (t: string) => txidFromHex(t),
    ]
    const arbText = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.stringMatching(/^TIME[01][1-9A-HJ-NP-Za-km-z]{0,40}$/),
      fc.stringMatching(/^[0-9a-fA-F]{0,70}$/),
      fc.stringMatching(/^-?[0-9]{0,25}(\.[0-9]{0,10})?$/),
    )
    fc.assert(
      fc.property(arbText, (text) => {
        for (const decode of decoders) outcome(() => decode(text), new Uint8Array(0))
      }),
      { numRuns: 300 },
    )
  })
})
