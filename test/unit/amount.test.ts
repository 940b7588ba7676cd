import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  COIN,
  formatAmount,
  MAX_AMOUNT,
  parseAmount,
  sumAmounts,
  toAmount,
} from '../../src/core/index.ts'

describe('Amount', () => {
  it.each([
    ['1.5', 150_000_000n],
    ['1', COIN],
    ['0', 0n],
    ['0.00000001', 1n],
    ['0.01', 1_000_000n],
    ['21000000', 21_000_000n * COIN],
    ['92233720368.54775807', MAX_AMOUNT],
  ])('parses %s ⇄ %s units', (text, units) => {
    expect(parseAmount(text)).toBe(units)
    expect(formatAmount(units)).toBe(text)
  })

  it.each([
    ['', 'AMOUNT_FORMAT'],
    ['1.', 'AMOUNT_FORMAT'],
    ['.5', 'AMOUNT_FORMAT'],
    ['01', 'AMOUNT_FORMAT'],
    ['1e8', 'AMOUNT_FORMAT'],
    [' 1', 'AMOUNT_FORMAT'],
    ['1,5', 'AMOUNT_FORMAT'],
    ['+1', 'AMOUNT_FORMAT'],
    ['-1', 'AMOUNT_NEGATIVE'],
    ['0.000000001', 'AMOUNT_PRECISION'],
    ['92233720368.54775808', 'AMOUNT_OVERFLOW'],
  ])('refuses %j with %s', (text, code) => {
    expect(() => parseAmount(text)).toThrow(expect.objectContaining({ code }))
  })

  it('range-checks bigint units and sums', () => {
    expect(() => toAmount(-1n)).toThrow(expect.objectContaining({ code: 'AMOUNT_NEGATIVE' }))
    expect(() => toAmount(MAX_AMOUNT + 1n)).toThrow(
      expect.objectContaining({ code: 'AMOUNT_OVERFLOW' }),
    )
    expect(sumAmounts([1n, 2n, 3n])).toBe(6n)
    expect(() => sumAmounts([MAX_AMOUNT, 1n])).toThrow(
      expect.objectContaining({ code: 'AMOUNT_OVERFLOW' }),
    )
  })

  it('format then parse is the identity on every amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_AMOUNT }), (units) => {
        expect(parseAmount(formatAmount(units))).toBe(units)
      }),
    )
  })
})
