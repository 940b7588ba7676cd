import { describe, expect, it } from 'vitest'
import { Bucket, bucketKey, prefixUpperBound, resolveRange } from '../../src/core/storage/index.ts'
import { typedErrorOf } from '../support/error-code.ts'

const b = (...bytes: number[]) => Uint8Array.from(bytes)

describe('prefixUpperBound', () => {
  it('increments the last byte that is not 0xff', () => {
    expect(prefixUpperBound(b(0x01))).toEqual(b(0x02))
    expect(prefixUpperBound(b(0x01, 0xfe))).toEqual(b(0x01, 0xff))
    expect(prefixUpperBound(b(0x01, 0xff, 0xff))).toEqual(b(0x02))
    expect(prefixUpperBound(b(0x00, 0x7f, 0xff))).toEqual(b(0x00, 0x80))
  })

  it('has no bound for an empty or all-0xff prefix', () => {
    expect(prefixUpperBound(new Uint8Array(0))).toBeUndefined()
    expect(prefixUpperBound(b(0xff, 0xff))).toBeUndefined()
  })

  it('does not modify the prefix', () => {
    const prefix = b(0x05, 0xff)
    prefixUpperBound(prefix)
    expect(prefix).toEqual(b(0x05, 0xff))
  })
})

describe('resolveRange', () => {
  it('intersects a prefix with bounds, preferring the tighter side', () => {
    expect(resolveRange({ prefix: b(5), gt: b(5) })).toEqual({
      lower: { key: b(5), open: true },
      upper: { key: b(6), open: true },
    })
    expect(resolveRange({ prefix: b(5), gte: b(4), lte: b(9) })).toEqual({
      lower: { key: b(5), open: false },
      upper: { key: b(6), open: true },
    })
    expect(resolveRange({ prefix: b(5), lt: b(5, 3) })).toEqual({
      lower: { key: b(5), open: false },
      upper: { key: b(5, 3), open: true },
    })
  })

  it('is null when no key can lie in the range', () => {
    expect(resolveRange({ gt: b(5), lt: b(5) })).toBeNull()
    expect(resolveRange({ gte: b(6), lte: b(5) })).toBeNull()
    expect(resolveRange({ prefix: b(5), gte: b(6) })).toBeNull()
    expect(resolveRange({ lte: new Uint8Array(0) })).toBeNull()
  })

  it('drops an empty lower bound', () => {
    expect(resolveRange({ gt: new Uint8Array(0) })).toEqual({})
    expect(resolveRange({ prefix: new Uint8Array(0) })).toEqual({})
  })
})

describe('bucketKey', () => {
  it('prefixes the parts with the bucket byte', () => {
    expect(bucketKey(0x07, b(1, 2), b(3))).toEqual(b(0x07, 1, 2, 3))
    expect(bucketKey(0xff)).toEqual(b(0xff))
  })

  it('rejects a bucket that is not a byte', () => {
    for (const bucket of [-1, 256, 1.5]) {
      expect(typedErrorOf(() => bucketKey(bucket))).toBe('StorageError:STORE_INVALID_KEY')
    }
  })

  it('registers each bucket byte once', () => {
    const bytes = Object.values(Bucket) as number[]
    expect(new Set(bytes).size).toBe(bytes.length)
  })
})
