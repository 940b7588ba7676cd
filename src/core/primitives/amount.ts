/**
 * Amounts are bigint base units: 1 TIME = 10^8 units. Parsing and formatting are pure string and
 * bigint arithmetic — no floating point anywhere — and every Amount is in [0, MAX_AMOUNT].
 */
import { AmountError } from '../errors.ts'

declare const amountBrand: unique symbol
/** A non-negative number of base units, at most MAX_AMOUNT. */
export type Amount = bigint & { readonly [amountBrand]: true }

export const DECIMALS = 8
export const COIN = 100_000_000n as Amount
/** The largest amount any field may hold: 2^63 − 1 units (fits a signed 64-bit integer). */
export const MAX_AMOUNT = (2n ** 63n - 1n) as Amount
/** The minimum fee of a transaction: 0.01 TIME. */
export const MIN_FEE = 1_000_000n as Amount
/** Outputs below this many units are dust and not relayed. */
export const DUST_LIMIT = 1_000n as Amount

/** Range-checks a bigint of base units. */
export function toAmount(units: bigint): Amount {
  if (typeof units !== 'bigint') throw new AmountError('AMOUNT_FORMAT', 'amount must be a bigint')
  if (units < 0n) throw new AmountError('AMOUNT_NEGATIVE', `amount is negative: ${units}`)
  if (units > MAX_AMOUNT) throw new AmountError('AMOUNT_OVERFLOW', `amount exceeds ${MAX_AMOUNT}`)
  return units as Amount
}

export function isAmount(units: unknown): units is Amount {
  return typeof units === 'bigint' && units >= 0n && units <= MAX_AMOUNT
}

/** Sums amounts; the total must itself be a valid Amount. */
export function sumAmounts(amounts: Iterable<bigint>): Amount {
  let total = 0n
  for (const a of amounts) total += toAmount(a)
  return toAmount(total)
}

const DECIMAL_TEXT = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/

/**
 * Parses a decimal TIME amount ("1.5", "0.00000001", "21") into base units. No sign, exponent,
 * separators or whitespace; at most 8 decimals.
 */
export function parseAmount(text: string): Amount {
  if (typeof text !== 'string') throw new AmountError('AMOUNT_FORMAT', 'amount must be a string')
  if (text.startsWith('-') && DECIMAL_TEXT.test(text.slice(1))) {
    throw new AmountError('AMOUNT_NEGATIVE', `amount is negative: ${text}`)
  }
  const m = DECIMAL_TEXT.exec(text)
  if (m === null) {
    throw new AmountError('AMOUNT_FORMAT', `not a decimal amount: ${JSON.stringify(text)}`)
  }
  const whole = m[1]!
  const frac = m[2] ?? ''
  if (frac.length > DECIMALS) {
    throw new AmountError('AMOUNT_PRECISION', `more than ${DECIMALS} decimals: ${text}`)
  }
  return toAmount(BigInt(whole) * COIN + BigInt(frac.padEnd(DECIMALS, '0')))
}

/** Formats base units as TIME with no trailing zeros: 150000000n → "1.5", 100000000n → "1". */
export function formatAmount(units: bigint): string {
  const a = toAmount(units)
  const whole = a / COIN
  const frac = (a % COIN).toString().padStart(DECIMALS, '0').replace(/0+$/, '')
  return frac === '' ? whole.toString() : `${whole}.${frac}`
}
