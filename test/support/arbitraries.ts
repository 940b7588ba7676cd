// fast-check generators for protocol objects, shared by the property tests.
import fc from 'fast-check'
import {
  type AddressPayload,
  type Amount,
  MAX_AMOUNT,
  MAX_TX_INPUTS,
  MAX_TX_OUTPUTS,
  type OutPoint,
  type Transaction,
  type Txid,
} from '../../src/core/index.ts'

export const arbBytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })

export const arbOutPoint: fc.Arbitrary<OutPoint> = fc.record({
  txid: arbBytes(32).map((b) => b as Txid),
  vout: fc.nat({ max: 0xffff_ffff }),
})

export const arbAmount: fc.Arbitrary<Amount> = fc
  .bigInt({ min: 0n, max: MAX_AMOUNT })
  .map((n) => n as Amount)

/** Any decodable transaction (not necessarily valid: signatures are random bytes). */
export function arbTransaction(maxInputs = 6, maxOutputs = 6): fc.Arbitrary<Transaction> {
  return fc.record({
    version: fc.constant(1),
    inputs: fc.array(
      fc.record({ outpoint: arbOutPoint, publicKey: arbBytes(32), signature: arbBytes(64) }),
      { maxLength: Math.min(maxInputs, MAX_TX_INPUTS) },
    ),
    outputs: fc.array(
      fc.record({ value: arbAmount, address: arbBytes(20).map((b) => b as AddressPayload) }),
      { maxLength: Math.min(maxOutputs, MAX_TX_OUTPUTS) },
    ),
    lockTime: fc.nat({ max: 0xffff_ffff }),
    payload: fc.constant({ type: 'none' as const }),
  })
}

/** A valid encoding with a few bytes overwritten, inserted or removed. */
export function arbMutation(encoded: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      encoded,
      fc.array(
        fc.record({
          kind: fc.constantFrom('set', 'insert', 'delete'),
          at: fc.nat(),
          byte: fc.nat({ max: 255 }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([bytes, edits]) => {
      const out = Array.from(bytes)
      for (const { kind, at, byte } of edits) {
        const i = out.length === 0 ? 0 : at % out.length
        if (kind === 'set' && out.length > 0) out[i] = byte
        else if (kind === 'insert') out.splice(i, 0, byte)
        else out.splice(i, 1)
      }
      return Uint8Array.from(out)
    })
}
