// The ledger's hand-written encodings and in-memory keys: the mempool record writer gives exactly
// the canonical codec's bytes, and map keys are distinct exactly when outpoints (txids) are.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type Amount,
  computeTxid,
  MAX_AMOUNT,
  type Txid,
  type TxOutput,
  type UtxoEntry,
} from '../../src/core/index.ts'
import { outPointKey, txidKey } from '../../src/core/ledger/map-keys.ts'
import type { MempoolEntry } from '../../src/core/ledger/mempool.ts'
import {
  decodeMempoolRecord,
  encodeMempoolRecord,
  MempoolRecordCodec,
  mempoolRecordSize,
} from '../../src/core/ledger/mempool-codec.ts'
import { encodeUtxoRecord, utxoRecordSize } from '../../src/core/ledger/utxo-codec.ts'
import { encodeTransaction } from '../../src/core/primitives/transaction.ts'
import { arbBytes, arbOutPoint, arbTransaction } from '../support/arbitraries.ts'
import { encodingCodeOf } from '../support/error-code.ts'

const arbEntry: fc.Arbitrary<MempoolEntry> = fc
  .record({
    tx: arbTransaction(3, 3),
    status: fc.constantFrom('pending' as const, 'finalized' as const),
    voted: fc.boolean(),
    arrivedAt: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    fee: fc.bigInt({ min: 0n, max: MAX_AMOUNT }),
  })
  .map(({ tx, fee, ...rest }) => ({
    ...rest,
    tx,
    txid: computeTxid(tx),
    size: encodeTransaction(tx).length,
    fee: fee as Amount,
  }))

describe('mempool record', () => {
  it('is written in exactly the canonical codec bytes and decodes back', () => {
    fc.assert(
      fc.property(arbEntry, (e) => {
        const bytes = encodeMempoolRecord(e)
        expect(bytes).toEqual(
          MempoolRecordCodec.encode({
            status: e.status,
            voted: e.voted,
            arrivedAt: BigInt(e.arrivedAt),
            fee: e.fee,
            tx: encodeTransaction(e.tx),
          }),
        )
        // Written twice (admitted, then finalized): the cached transaction bytes are the same.
        expect(encodeMempoolRecord({ ...e, status: 'finalized' }).subarray(18)).toEqual(
          bytes.subarray(18),
        )
        expect(decodeMempoolRecord(bytes)).toEqual(e)
      }),
      { numRuns: 200 },
    )
  })

  it('is written into a view of a larger buffer exactly as on its own', () => {
    fc.assert(
      fc.property(arbEntry, fc.nat({ max: 50 }), (e, offset) => {
        const size = mempoolRecordSize(e)
        const slab = new Uint8Array(offset + size + 7).fill(0xee)
        const view = encodeMempoolRecord(e, slab.subarray(offset, offset + size))
        expect(view).toEqual(encodeMempoolRecord(e))
        expect(slab.subarray(0, offset).every((b) => b === 0xee)).toBe(true)
        expect(slab.subarray(offset + size).every((b) => b === 0xee)).toBe(true)
        expect(encodingCodeOf(() => encodeMempoolRecord(e, new Uint8Array(size + 1)))).toBe(
          'INVALID_VALUE',
        )
      }),
      { numRuns: 50 },
    )
  })

  it('refuses an out-of-range fee with the codec error', () => {
    fc.assert(
      fc.property(arbEntry, (e) => {
        expect(() => encodeMempoolRecord({ ...e, fee: (MAX_AMOUNT + 1n) as Amount })).toThrow(
          expect.objectContaining({ code: 'OUT_OF_RANGE' }),
        )
      }),
      { numRuns: 5 },
    )
  })
})

describe('ledger map keys', () => {
  it('are equal exactly when the outpoints are', () => {
    fc.assert(
      fc.property(arbOutPoint, arbOutPoint, (a, b) => {
        const same = a.vout === b.vout && a.txid.every((x, i) => x === b.txid[i])
        expect(outPointKey(a) === outPointKey(b)).toBe(same)
      }),
    )
    // Neighbours differing in one byte of the txid or one bit of the vout.
    const txid = new Uint8Array(32) as Txid
    const keys = new Set<string>()
    for (let i = 0; i < 32; i++) {
      const t = txid.slice() as Txid
      t[i] = 1
      keys.add(outPointKey({ txid: t, vout: 0 }))
    }
    for (let bit = 0; bit < 32; bit++) keys.add(outPointKey({ txid, vout: 2 ** bit }))
    keys.add(outPointKey({ txid, vout: 0 }))
    expect(keys.size).toBe(32 + 32 + 1)
  })

  it('txid keys are equal exactly when the txids are', () => {
    fc.assert(
      fc.property(arbBytes(32), arbBytes(32), (a, b) => {
        expect(txidKey(a) === txidKey(b)).toBe(a.every((x, i) => x === b[i]))
        expect(txidKey(a)).toBe(txidKey(a.slice()))
      }),
    )
  })
})

describe('UTXO record into a view', () => {
  it('is written into a view of a larger buffer exactly as on its own, for every state', () => {
    const txid = new Uint8Array(32).fill(9) as Txid
    const output: TxOutput = {
      value: 123_456_789n as Amount,
      address: new Uint8Array(20).fill(4) as TxOutput['address'],
    }
    const states = [
      { kind: 'Unspent' as const },
      { kind: 'Locked' as const, txid, lockedAt: 1_700_000_000_000, voted: true },
      { kind: 'SpentPending' as const, txid, votes: 7, voted: false },
      { kind: 'SpentFinalized' as const, txid },
      { kind: 'Confirmed' as const, txid, height: 42 },
    ]
    for (const [i, state] of states.entries()) {
      const entry: UtxoEntry = {
        outpoint: { txid, vout: i },
        output,
        height: i === 0 ? null : i,
        state,
      }
      const size = utxoRecordSize(entry)
      const slab = new Uint8Array(size + 10).fill(0xee)
      expect(encodeUtxoRecord(entry, slab.subarray(5, 5 + size))).toEqual(encodeUtxoRecord(entry))
      expect([...slab.subarray(0, 5), ...slab.subarray(5 + size)].every((b) => b === 0xee)).toBe(
        true,
      )
      expect(encodingCodeOf(() => encodeUtxoRecord(entry, new Uint8Array(size - 1)))).toBe(
        'INVALID_VALUE',
      )
    }
    // Out of range: no size, and the codec's typed error.
    const bad: UtxoEntry = {
      outpoint: { txid, vout: 0 },
      output: { ...output, value: (MAX_AMOUNT + 1n) as Amount },
      height: null,
      state: states[0]!,
    }
    expect(utxoRecordSize(bad)).toBe(-1)
    expect(() => encodeUtxoRecord(bad)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }))
  })
})
