import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { merklePath, merkleRoot, pathLength, rootFromPath, sha256 } from '../../src/core/index.ts'

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
})
