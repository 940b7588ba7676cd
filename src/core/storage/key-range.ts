/**
 * Key range math shared by every adapter: a scan's `prefix` and bounds resolve here to at most
 * one lower and one upper bound, so adapters never disagree on what a scan covers.
 * Invariant: a `KeyRange` is never empty and never has an empty-key bound (keys are non-empty).
 */
import { compareBytes } from '../encoding/bytes.ts'
import type { IterateOptions } from './store.ts'

export interface Bound {
  readonly key: Uint8Array
  /** `true`: the bound key itself is excluded (`gt` / `lt`). */
  readonly open: boolean
}

/** A non-empty key interval; an absent side is unbounded. */
export interface KeyRange {
  readonly lower?: Bound
  readonly upper?: Bound
}

/**
 * The least key greater than every key starting with `prefix`: drop trailing 0xff bytes, then
 * increment the last byte. `undefined` when no such key exists (the prefix is empty or all
 * 0xff), i.e. the prefix range is unbounded above.
 */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length
  while (end > 0 && prefix[end - 1] === 0xff) end--
  if (end === 0) return undefined
  const upper = prefix.slice(0, end)
  upper[end - 1] = prefix[end - 1]! + 1
  return upper
}

/** `true` when `key` lies within `range`. */
export function inRange(range: KeyRange, key: Uint8Array): boolean {
  const { lower, upper } = range
  if (lower !== undefined) {
    const c = compareBytes(key, lower.key)
    if (c < 0 || (c === 0 && lower.open)) return false
  }
  if (upper !== undefined) {
    const c = compareBytes(key, upper.key)
    if (c > 0 || (c === 0 && upper.open)) return false
  }
  return true
}

/**
 * The range from explicit bounds, or `null` when no non-empty key lies in it. An empty lower
 * bound is no bound; an empty upper bound admits no non-empty key.
 */
export function keyRange(lower: Bound | undefined, upper: Bound | undefined): KeyRange | null {
  if (upper !== undefined && upper.key.length === 0) return null
  const lo = lower !== undefined && lower.key.length > 0 ? lower : undefined
  if (lo !== undefined && upper !== undefined) {
    const c = compareBytes(lo.key, upper.key)
    if (c > 0 || (c === 0 && (lo.open || upper.open))) return null
  }
  const range: { lower?: Bound; upper?: Bound } = {}
  if (lo !== undefined) range.lower = lo
  if (upper !== undefined) range.upper = upper
  return range
}

/** The range a scan covers: the intersection of its prefix range and its bounds. */
export function resolveRange(opts: IterateOptions): KeyRange | null {
  let lower = lowerOf(opts)
  let upper = upperOf(opts)
  const { prefix } = opts
  if (prefix !== undefined && prefix.length > 0) {
    lower = tighter(lower, { key: prefix, open: false }, 1)
    const end = prefixUpperBound(prefix)
    if (end !== undefined) upper = tighter(upper, { key: end, open: true }, -1)
  }
  return keyRange(lower, upper)
}

function lowerOf(opts: IterateOptions): Bound | undefined {
  if (opts.gt !== undefined) return { key: opts.gt, open: true }
  if (opts.gte !== undefined) return { key: opts.gte, open: false }
  return undefined
}

function upperOf(opts: IterateOptions): Bound | undefined {
  if (opts.lt !== undefined) return { key: opts.lt, open: true }
  if (opts.lte !== undefined) return { key: opts.lte, open: false }
  return undefined
}

/** Of two bounds on one side, the one admitting fewer keys. `side` 1: lower, -1: upper. */
function tighter(a: Bound | undefined, b: Bound, side: 1 | -1): Bound {
  if (a === undefined) return b
  const c = compareBytes(a.key, b.key) * side
  if (c !== 0) return c > 0 ? a : b
  return a.open ? a : b
}
