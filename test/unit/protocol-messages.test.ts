// The wire codecs of every protocol (src/core/protocol): each message round-trips to an equal
// object, and any byte string — random, or a valid encoding damaged — either decodes to a message
// that re-encodes to exactly those bytes or fails with a typed error carrying a peer action.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  computeTxid,
  decodeMessage,
  ENGINE_MESSAGE_TAGS,
  EncodingError,
  EngineMessageCodec,
  encodeMessage,
  fromHex,
  type Message,
  messageBundle,
  PeerExchangeCodec,
  preverify,
  SyncMessageCodec,
  TimeCoinError,
  type UnionCodec,
  verifyBundle,
  WalletMessageCodec,
} from '../../src/core/index.ts'
import { arbDamaged, arbEngineMessage, arbWalletMessage } from '../support/arbitraries.ts'
import {
  engineMessages,
  peerMessages,
  syncMessages,
  walletMessages,
} from '../support/encoded-samples.ts'
import vectors from '../vectors/protocol.json' with { type: 'json' }

/** A value, or the typed error's code and peer action; anything else thrown fails the test. */
function outcome(decode: (b: Uint8Array) => unknown, bytes: Uint8Array) {
  try {
    return { value: decode(bytes) }
  } catch (e) {
    if (!(e instanceof TimeCoinError)) throw e
    return { code: e.code, peerAction: e.peerAction }
  }
}

type AnyUnion = UnionCodec<{ readonly type: string }>
const unions = [
  { codec: EngineMessageCodec as unknown as AnyUnion, samples: engineMessages },
  { codec: WalletMessageCodec as unknown as AnyUnion, samples: walletMessages },
  { codec: SyncMessageCodec as unknown as AnyUnion, samples: syncMessages },
  { codec: PeerExchangeCodec as unknown as AnyUnion, samples: peerMessages },
]

describe.each(unions)('$codec.name', ({ codec, samples }) => {
  it('has a sample of every message type, and each round-trips to an equal object', () => {
    expect(new Set(samples.map((m) => m.type))).toEqual(new Set(Object.keys(codec.tags)))
    for (const m of samples) {
      const bytes = codec.encode(m)
      expect(bytes[0]).toBe(codec.tags[m.type])
      expect(bytes.length).toBeLessThanOrEqual(codec.sizes[m.type]!)
      expect(codec.decode(bytes)).toEqual(m)
      expect(codec.encode(codec.decode(bytes))).toEqual(bytes)
    }
  })

  it('fails only with a typed error with a peer action, on damaged and random bytes', () => {
    const seeds = samples.map((m) => codec.encode(m))
    fc.assert(
      fc.property(fc.oneof(arbDamaged(seeds), fc.uint8Array({ maxLength: 400 })), (bytes) => {
        const r = outcome((b) => codec.decode(b), bytes)
        if ('value' in r) expect(codec.encode(r.value as never)).toEqual(bytes)
        else expect(r.peerAction).toBe('low-tolerance')
      }),
      { numRuns: 400 },
    )
  })

  it('refuses an unknown tag, an empty frame, trailing bytes and a truncated body', () => {
    const known = new Set(Object.values<number>(codec.tags))
    for (let tag = 0; tag < 256; tag++) {
      if (known.has(tag)) continue
      expect(outcome((b) => codec.decode(b), Uint8Array.of(tag, 0, 0, 0, 0))).toEqual({
        code: 'INVALID_VALUE',
        peerAction: 'low-tolerance',
      })
    }
    expect(outcome((b) => codec.decode(b), new Uint8Array(0))).toMatchObject({ code: 'TRUNCATED' })
    for (const m of samples) {
      const bytes = codec.encode(m)
      expect(outcome((b) => codec.decode(b), Uint8Array.of(...bytes, 0))).toMatchObject({
        code: 'TRAILING_BYTES',
      })
      // A cut inside a fixed-size list is caught by micro-packed's length pre-check, which the
      // encoding layer reports as INVALID_VALUE (payload.test.ts); either way a typed refusal.
      if (bytes.length > 1)
        expect(['TRUNCATED', 'INVALID_VALUE']).toContain(
          outcome((b) => codec.decode(b), bytes.subarray(0, -1)).code,
        )
    }
  })
})

describe('the unions together', () => {
  it('use distinct tags, so a frame on the wrong protocol is refused by its tag', () => {
    const all = unions.flatMap(({ codec }) => Object.values<number>(codec.tags))
    expect(new Set(all).size).toBe(all.length)
    for (const { codec } of unions)
      for (const { codec: other, samples } of unions)
        if (other !== codec)
          for (const m of samples)
            expect(outcome((b) => codec.decode(b), other.encode(m))).toMatchObject({
              code: 'INVALID_VALUE',
            })
  })
})

describe('engine messages', () => {
  it('keep the tags of docs/PROTOCOL.md §19.4', () => {
    expect(ENGINE_MESSAGE_TAGS).toEqual({
      TransactionBroadcast: 1,
      InstantFinalityRequest: 2,
      InstantFinalityVote: 3,
      FinalityCertificate: 4,
      TransactionRequest: 5,
      BlockProposal: 6,
      BlockRequest: 7,
      BlockCommit: 8,
      LockReport: 9,
    })
  })

  it('random messages round-trip, transactions with the txid of the original', () => {
    fc.assert(
      fc.property(arbEngineMessage(engineMessages), (m) => {
        const decoded = decodeMessage(encodeMessage(m))
        expect(decoded).toEqual(m)
        if ('tx' in decoded && 'tx' in m) expect(computeTxid(decoded.tx)).toEqual(computeTxid(m.tx))
      }),
      { numRuns: 200 },
    )
  })

  it('decoded objects are new: no byte field is shared with the sender or the frame', () => {
    const m = engineMessages.find((x) => x.type === 'FinalityCertificate')!
    const bytes = encodeMessage(m)
    const decoded = decodeMessage(bytes) as Extract<Message, { type: 'FinalityCertificate' }>
    expect(decoded.tx).not.toBe((m as typeof decoded).tx)
    bytes.fill(0)
    expect(decoded).toEqual(m)
  })

  it('a decoded signed payment and vote batch pre-verify as the originals do', async () => {
    const genesis = fromHex(vectors.transaction.genesisHash)
    const tx = decodeMessage(fromHex(`01${hexSize(vectors.transaction.signed)}`))
    expect(tx.type).toBe('TransactionBroadcast')
    await preverify(tx, genesis)
    const vote = decodeMessage(fromHex(`03${vectors.votes.batch}`))
    expect(vote.type).toBe('InstantFinalityVote')
    await verifyBundle(messageBundle(vote, genesis))
    // The same bytes under another genesis do not verify: the decoded objects are the real ones.
    await expect(preverify(tx, new Uint8Array(32))).rejects.toBeInstanceOf(TimeCoinError)
  })

  it('refuses a transaction whose size prefix passes MAX_TX_SIZE before reading it', () => {
    const bytes = Uint8Array.of(0x01, 0xa1, 0x86, 0x01, 0x00) // size 100,001
    expect(outcome(decodeMessage, bytes)).toEqual({
      code: 'LIMIT_EXCEEDED',
      peerAction: 'low-tolerance',
    })
  })

  it('refuses to encode a message it cannot represent, with a typed error', () => {
    const bad = [
      { type: 'BlockRequest', height: -1 },
      { type: 'BlockRequest', height: 2 ** 32 },
      { type: 'TransactionRequest', txid: new Uint8Array(31) },
      { type: 'NoSuchMessage' },
      null,
    ]
    for (const m of bad) {
      try {
        encodeMessage(m as never)
        expect.unreachable()
      } catch (e) {
        expect(e).toBeInstanceOf(EncodingError)
      }
    }
  })
})

describe('wallet messages', () => {
  it('random messages round-trip', () => {
    fc.assert(
      fc.property(arbWalletMessage(walletMessages), (m) => {
        expect(WalletMessageCodec.decode(WalletMessageCodec.encode(m))).toEqual(m)
      }),
      { numRuns: 200 },
    )
  })
})

/** `u32le(size) ‖ bytes` of a hex string. */
function hexSize(hex: string): string {
  const n = hex.length / 2
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .concat(hex)
}
