// The error-code table is composed from parts by domain (src/core/error-codes/); a code in two
// parts would be overwritten silently by the spread, so src/core/error-codes.ts refuses it at
// compile time. Here: the type-level check catches a deliberately overlapping pair (tsc checks the
// `@ts-expect-error`s, as tsconfig.json includes test/), the real parts are disjoint at run time
// too, and the table is exactly their rows, in order.
import { describe, expect, expectTypeOf, it } from 'vitest'
import { CONSENSUS_CODES } from '../../src/core/error-codes/consensus.ts'
import { CRYPTO_ENCODING_CODES } from '../../src/core/error-codes/crypto-encoding.ts'
import { NET_PROTOCOL_CODES } from '../../src/core/error-codes/net-protocol.ts'
import { NODE_RPC_WALLET_CODES } from '../../src/core/error-codes/node-rpc-wallet.ts'
import { TRANSACTION_LEDGER_CODES } from '../../src/core/error-codes/transaction-ledger.ts'
import type {
  DuplicateCodes,
  ErrorCodeInfo,
  NoDuplicateCodes,
} from '../../src/core/error-codes/types.ts'
import { ERROR_CODES, RpcErrorCode } from '../../src/core/error-codes.ts'

const parts = [
  CRYPTO_ENCODING_CODES,
  TRANSACTION_LEDGER_CODES,
  CONSENSUS_CODES,
  NET_PROTOCOL_CODES,
  NODE_RPC_WALLET_CODES,
] as const

/** The codes that are keys of more than one part, at run time. */
function duplicateCodes(of: readonly Readonly<Record<string, ErrorCodeInfo>>[]): string[] {
  const seen = new Set<string>()
  const twice = new Set<string>()
  for (const part of of)
    for (const code of Object.keys(part)) (seen.has(code) ? twice : seen).add(code)
  return [...twice]
}

const row = { domain: 'rpc', rpc: RpcErrorCode.MISC_ERROR, meaning: 'test row' } as const
const left = { ONLY_LEFT: row, IN_BOTH: row } as const
const right = { IN_BOTH: row, ONLY_RIGHT: row } as const
const third = { ONLY_THIRD: row } as const

describe('error-code parts', () => {
  it('the type-level check names the codes in two parts and refuses them', () => {
    expectTypeOf<DuplicateCodes<[typeof left, typeof right]>>().toEqualTypeOf<'IN_BOTH'>()
    // Not only neighbours: the first part against the third.
    expectTypeOf<
      DuplicateCodes<[typeof left, typeof third, typeof right]>
    >().toEqualTypeOf<'IN_BOTH'>()
    expectTypeOf<DuplicateCodes<[typeof left, typeof third]>>().toEqualTypeOf<never>()
    expectTypeOf<
      NoDuplicateCodes<DuplicateCodes<[typeof left, typeof third]>>
    >().toEqualTypeOf<unknown>()

    // The same form as src/core/error-codes.ts, over an overlapping pair: it does not compile.
    const overlapping = {
      ...left,
      ...right,
      // @ts-expect-error IN_BOTH is in both parts
    } as const satisfies NoDuplicateCodes<DuplicateCodes<[typeof left, typeof right]>>
    const disjoint = { ...left, ...third } as const satisfies NoDuplicateCodes<
      DuplicateCodes<[typeof left, typeof third]>
    >
    // At run time the spread keeps one IN_BOTH: exactly the silent loss the check prevents.
    expect(Object.keys(overlapping)).toHaveLength(3)
    expect(Object.keys(disjoint)).toHaveLength(3)
  })

  it('the real parts are disjoint, at compile time and at run time', () => {
    expectTypeOf<
      DuplicateCodes<
        [
          typeof CRYPTO_ENCODING_CODES,
          typeof TRANSACTION_LEDGER_CODES,
          typeof CONSENSUS_CODES,
          typeof NET_PROTOCOL_CODES,
          typeof NODE_RPC_WALLET_CODES,
        ]
      >
    >().toEqualTypeOf<never>()
    expect(duplicateCodes(parts)).toEqual([])
    // The run-time finder can fail: it finds the overlapping pair's code.
    expect(duplicateCodes([left, third, right])).toEqual(['IN_BOTH'])
  })

  it('the table is exactly the parts’ rows, in part order', () => {
    const rows = parts.flatMap((part) => Object.entries(part))
    expect(Object.entries(ERROR_CODES)).toEqual(rows)
    for (const [code, info] of rows)
      expect(ERROR_CODES[code as keyof typeof ERROR_CODES], code).toBe(info)
  })
})
