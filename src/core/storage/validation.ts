/**
 * Checks of what callers hand a `Store`, shared by every adapter and run before anything is
 * written: a batch with one bad op fails whole, with a typed error naming the op.
 */
import { StorageError } from './errors.ts'
import type { BatchOp, IterateOptions, WriteOptions } from './store.ts'

export function assertKey(key: unknown, what = 'key'): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) {
    throw new StorageError(
      'STORE_INVALID_KEY',
      `${what} must be a Uint8Array, got ${describe(key)}`,
    )
  }
  if (key.length === 0) throw new StorageError('STORE_INVALID_KEY', `${what} must not be empty`)
}

export function assertValue(value: unknown, what = 'value'): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new StorageError(
      'STORE_INVALID_VALUE',
      `${what} must be a Uint8Array, got ${describe(value)}`,
    )
  }
}

export function assertBatch(ops: unknown): asserts ops is readonly BatchOp[] {
  if (!Array.isArray(ops)) {
    throw new StorageError('STORE_INVALID_OP', `batch must be an array, got ${describe(ops)}`)
  }
  ops.forEach((op: unknown, i) => {
    if (typeof op !== 'object' || op === null) {
      throw new StorageError(
        'STORE_INVALID_OP',
        `batch op ${i} must be an object, got ${describe(op)}`,
      )
    }
    const { type, key, value } = op as Record<string, unknown>
    if (type !== 'put' && type !== 'del') {
      throw new StorageError('STORE_INVALID_OP', `batch op ${i} has type ${describe(type)}`)
    }
    assertKey(key, `batch op ${i} key`)
    if (type === 'put') assertValue(value, `batch op ${i} value`)
  })
}

export function assertWriteOptions(opts: WriteOptions | undefined): void {
  if (opts === undefined) return
  if (opts.sync !== undefined && typeof opts.sync !== 'boolean') {
    throw new StorageError(
      'STORE_INVALID_OPTION',
      `sync must be a boolean, got ${describe(opts.sync)}`,
    )
  }
}

export function assertIterateOptions(opts: IterateOptions): void {
  for (const name of ['prefix', 'gt', 'gte', 'lt', 'lte'] as const) {
    const bound = opts[name]
    if (bound !== undefined && !(bound instanceof Uint8Array)) {
      throw new StorageError(
        'STORE_INVALID_OPTION',
        `${name} must be a Uint8Array, got ${describe(bound)}`,
      )
    }
  }
  if (opts.gt !== undefined && opts.gte !== undefined) {
    throw new StorageError('STORE_INVALID_OPTION', 'give at most one of gt and gte')
  }
  if (opts.lt !== undefined && opts.lte !== undefined) {
    throw new StorageError('STORE_INVALID_OPTION', 'give at most one of lt and lte')
  }
  if (opts.reverse !== undefined && typeof opts.reverse !== 'boolean') {
    throw new StorageError(
      'STORE_INVALID_OPTION',
      `reverse must be a boolean, got ${describe(opts.reverse)}`,
    )
  }
  const { limit } = opts
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new StorageError(
      'STORE_INVALID_OPTION',
      `limit must be a non-negative integer, got ${limit}`,
    )
  }
}

function describe(x: unknown): string {
  if (x === null) return 'null'
  if (typeof x === 'object') return x.constructor?.name ?? 'object'
  if (typeof x === 'string') return JSON.stringify(x.slice(0, 40))
  if (typeof x === 'number' || typeof x === 'boolean') return `${typeof x} ${x}`
  return typeof x
}
