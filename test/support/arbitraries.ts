// fast-check generators for protocol objects, shared by the property tests.
import fc from 'fast-check'
import {
  type AddressPayload,
  type Amount,
  MAX_AMOUNT,
  MAX_TX_INPUTS,
  MAX_TX_OUTPUTS,
  type Message,
  type OutPoint,
  type Transaction,
  type Txid,
  type WalletMessage,
  type WalletUtxoState,
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

/**
 * A valid encoding damaged: bytes overwritten, inserted or removed (`arbMutation`), one bit
 * flipped, or cut short.
 */
export function arbDamaged(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const seed = fc.constantFrom(...seeds)
  return fc.oneof(
    arbMutation(seed),
    fc.tuple(seed, fc.nat(), fc.nat({ max: 7 })).map(([b, at, bit]) => {
      const out = b.slice()
      if (out.length > 0) out[at % out.length]! ^= 1 << bit
      return out
    }),
    fc.tuple(seed, fc.nat()).map(([b, n]) => b.subarray(0, n % Math.max(1, b.length))),
  )
}

export const arbTxid: fc.Arbitrary<Txid> = arbBytes(32).map((b) => b as Txid)
const arbU32 = fc.nat({ max: 0xffff_ffff })
const arbAddress = arbBytes(20).map((b) => b as AddressPayload)

/** Engine messages: random transactions, ids and heights, or one of `samples` (the big ones). */
export function arbEngineMessage(samples: readonly Message[]): fc.Arbitrary<Message> {
  return fc.oneof(
    arbTransaction().map((tx): Message => ({ type: 'TransactionBroadcast', tx })),
    arbTransaction().map((tx): Message => ({ type: 'InstantFinalityRequest', tx })),
    arbTxid.map((txid): Message => ({ type: 'TransactionRequest', txid })),
    arbU32.map((height): Message => ({ type: 'BlockRequest', height })),
    fc.constantFrom(...samples),
  )
}

export const arbWalletUtxoState: fc.Arbitrary<WalletUtxoState> = fc.oneof(
  fc.constant({ kind: 'Unspent' as const }),
  arbTxid.map((txid) => ({ kind: 'Locked' as const, txid })),
  fc
    .tuple(arbTxid, arbU32)
    .map(([txid, votes]) => ({ kind: 'SpentPending' as const, txid, votes })),
  arbTxid.map((txid) => ({ kind: 'SpentFinalized' as const, txid })),
  fc.tuple(arbTxid, arbU32).map(([txid, height]) => ({ kind: 'Confirmed' as const, txid, height })),
)

/** A typed error as the wire carries it: a code of the table's form, well-formed text. */
export const arbWireError = fc.record({
  code: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,63}$/),
  message: fc.string({ unit: 'grapheme', maxLength: 100 }),
})

/** Wallet messages: random requests, states, errors and transactions, or one of `samples`. */
export function arbWalletMessage(samples: readonly WalletMessage[]): fc.Arbitrary<WalletMessage> {
  const addresses = fc.array(arbAddress, { maxLength: 20 })
  return fc.oneof(
    fc.tuple(arbU32, addresses).map(
      ([requestId, addresses]): WalletMessage => ({
        type: 'UTXOSubscribe',
        requestId,
        addresses,
      }),
    ),
    fc.tuple(arbU32, arbAddress, arbU32).map(
      ([requestId, address, from]): WalletMessage => ({
        type: 'UTXOStateQuery',
        requestId,
        address,
        from,
      }),
    ),
    fc
      .tuple(arbU32, arbTransaction())
      .map(([requestId, tx]): WalletMessage => ({ type: 'SubmitTransaction', requestId, tx })),
    fc.tuple(arbU32, arbTxid, fc.option(arbWireError, { nil: null })).map(
      ([requestId, txid, error]): WalletMessage => ({
        type: 'SubmitResult',
        requestId,
        txid,
        error,
      }),
    ),
    fc
      .tuple(arbU32, arbWireError)
      .map(([requestId, error]): WalletMessage => ({ type: 'Error', requestId, error })),
    fc.tuple(arbOutPoint, arbAmount, arbAddress, arbWalletUtxoState, arbBytes(32)).map(
      ([outpoint, value, address, state, status]): WalletMessage => ({
        type: 'UTXOStateNotification',
        utxo: { outpoint, output: { value, address }, state, proof: { kind: 'none' } },
        status,
      }),
    ),
    fc.constantFrom(...samples),
  )
}
