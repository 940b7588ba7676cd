// The hand-written UTXO record encoder must give exactly the canonical codec's bytes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { UtxoEntry } from '../../src/core/index.ts'
import {
  decodeUtxoRecord,
  encodeUtxoRecord,
  UtxoRecordCodec,
  utxoKey,
} from '../../src/core/ledger/utxo-codec.ts'
import { arbAmount, arbBytes, arbOutPoint } from '../support/arbitraries.ts'

const arbState = fc.oneof(
  fc.constant({ kind: 'Unspent' as const }),
  fc.record({
    kind: fc.constant('Locked' as const),
    txid: arbBytes(32),
    lockedAt: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    voted: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('SpentPending' as const),
    txid: arbBytes(32),
    votes: fc.nat({ max: 0xffff_ffff }),
    voted: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('SpentFinalized' as const), txid: arbBytes(32) }),
  fc.record({
    kind: fc.constant('Confirmed' as const),
    txid: arbBytes(32),
    height: fc.nat({ max: 0xffff_fffe }),
  }),
)

const arbEntry = fc.record({
  outpoint: arbOutPoint,
  output: fc.record({ value: arbAmount, address: arbBytes(20) }),
  height: fc.option(fc.nat({ max: 0xffff_fffe }), { nil: null }),
  state: arbState,
}) as fc.Arbitrary<UtxoEntry>

describe('UTXO record encoding', () => {
  it('equals the codec byte for byte and round-trips', () => {
    fc.assert(
      fc.property(arbEntry, (e) => {
        const fast = encodeUtxoRecord(e)
        expect(fast).toEqual(
          UtxoRecordCodec.encode({ output: e.output, height: e.height, state: e.state }),
        )
        expect(decodeUtxoRecord(utxoKey(e.outpoint), fast)).toEqual(e)
      }),
      { numRuns: 500 },
    )
  })
})
