import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { merkleLevels, pathInLevels } from '../../src/core/consensus/merkle.ts'
import {
  certificateEntry,
  merklePath,
  merkleRoot,
  pathLength,
  rootFromPath,
  sha256,
} from '../../src/core/index.ts'
import { batchBy, txidOf } from '../support/consensus-fixture.ts'

const leaf = (i: number) => sha256(Uint8Array.of(i & 0xff, i >> 8))
const leaves = (n: number) => Array.from({ length: n }, (_, i) => leaf(i))

describe('vote-batch Merkle tree', () => {
  it('a one-leaf tree has the leaf as root and an empty path', () => {
    expect(merkleRoot([leaf(0)])).toEqual(leaf(0))
    expect(merklePath([leaf(0)], 0)).toEqual([])
  })

  it('promotes an odd node instead of duplicating it', () => {
    // With duplication, [a, b, c] and [a, b, c, c] would share a root.
    expect(merkleRoot(leaves(3))).not.toEqual(merkleRoot([...leaves(3), leaf(2)]))
    expect(pathLength(2, 3)).toBe(1) // c is promoted at level 0, pairs with H(a,b) at level 1
    expect(pathLength(4, 5)).toBe(1)
  })

  it('every leaf proves against the root with exactly the expected path length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (n, pick) => {
        const ls = leaves(n)
        const i = pick % n
        const path = merklePath(ls, i)
        expect(path.length).toBe(pathLength(i, n))
        expect(rootFromPath(ls[i]!, i, n, path)).toEqual(merkleRoot(ls))
        // One sibling more or less never verifies.
        expect(rootFromPath(ls[i]!, i, n, [...path, leaf(999)])).toBeNull()
        if (path.length > 0) expect(rootFromPath(ls[i]!, i, n, path.slice(1))).toBeNull()
        // Another index with the same path does not reach the root.
        if (n > 1) {
          const j = (i + 1) % n
          const r = rootFromPath(ls[i]!, j, n, path)
          if (r !== null) expect(r).not.toEqual(merkleRoot(ls))
        }
      }),
    )
  })

  it('refuses empty trees and out-of-range indexes', () => {
    expect(() => merkleRoot([])).toThrow(expect.objectContaining({ code: 'MERKLE_EMPTY' }))
    expect(() => merklePath(leaves(2), 2)).toThrow(
      expect.objectContaining({ code: 'MERKLE_INDEX' }),
    )
    expect(pathLength(-1, 3)).toBe(-1)
  })

  it('has no path for an index outside the tree or a count that is not a whole number', () => {
    for (const [index, count] of [
      [3, 3],
      [0, 0],
      [0.5, 4],
      [1, 2.5],
      [Number.NaN, 4],
      [0, Number.POSITIVE_INFINITY],
    ] as const) {
      expect(pathLength(index, count)).toBe(-1)
      expect(rootFromPath(leaf(0), index, count, [])).toBeNull()
    }
    expect(() => merklePath([], 0)).toThrow(expect.objectContaining({ code: 'MERKLE_INDEX' }))
    expect(() => merklePath(leaves(3), 3)).toThrow(
      expect.objectContaining({ code: 'MERKLE_INDEX' }),
    )
    expect(() => merklePath(leaves(3), -1)).toThrow(
      expect.objectContaining({ code: 'MERKLE_INDEX' }),
    )
    // The path of a leaf out of a tree already built: certificate entries of a batch.
    expect(() => pathInLevels(merkleLevels(leaves(3)), 3)).toThrow(
      expect.objectContaining({ code: 'MERKLE_INDEX' }),
    )
    expect(() => pathInLevels([], 0)).toThrow(expect.objectContaining({ code: 'MERKLE_INDEX' }))
    const batch = batchBy(0, 0, [
      { kind: 'txAccept', txid: txidOf('a') },
      { kind: 'txAccept', txid: txidOf('b') },
    ])
    expect(() => certificateEntry(batch, 2)).toThrow(
      expect.objectContaining({ code: 'MERKLE_INDEX' }),
    )
  })

  it('hashes inner nodes as H(0x01 ‖ left ‖ right), pairing from the left', () => {
    const inner = (l: Uint8Array, r: Uint8Array) => sha256(Uint8Array.of(1, ...l, ...r))
    const [a, b, c, d, e] = leaves(5) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ]
    expect(merkleRoot([a, b])).toEqual(inner(a, b))
    expect(merkleRoot([a, b, c])).toEqual(inner(inner(a, b), c))
    expect(merkleRoot([a, b, c, d])).toEqual(inner(inner(a, b), inner(c, d)))
    expect(merkleRoot([a, b, c, d, e])).toEqual(inner(inner(inner(a, b), inner(c, d)), e))
    expect(merklePath([a, b, c, d, e], 0)).toEqual([b, inner(c, d), e])
    expect(merklePath([a, b, c, d, e], 3)).toEqual([c, inner(a, b), e])
    expect(merklePath([a, b, c, d, e], 4)).toEqual([inner(inner(a, b), inner(c, d))])
    expect([0, 1, 2, 3, 4].map((i) => pathLength(i, 5))).toEqual([3, 3, 3, 3, 1])
    expect([0, 1, 2].map((i) => pathLength(i, 3))).toEqual([2, 2, 1])
    expect(pathLength(0, 1)).toBe(0)
    expect(rootFromPath(c, 2, 3, [inner(a, b)])).toEqual(merkleRoot([a, b, c]))
    expect(rootFromPath(b, 1, 2, [a])).toEqual(inner(a, b))
    // A sibling put on the wrong side gives another root.
    expect(rootFromPath(a, 1, 2, [b])).toEqual(inner(b, a))
  })
})
