/**
 * The vote-batch Merkle tree. Inner nodes are H(0x01 ‖ left ‖ right); at each level an odd last
 * node is promoted unchanged (never duplicated, so no two leaf lists share a root). The leaf
 * index and the leaf count fix the exact path length, which the verifier checks.
 */
import { sha256 } from '../crypto/sha256.ts'
import { ConsensusError } from '../errors.ts'
import { NODE_PREFIX } from './vote-leaf.ts'

function node(left: Uint8Array, right: Uint8Array): Uint8Array {
  // 0x01 ‖ left ‖ right in one buffer (this runs for every inner node of every vote batch).
  const preimage = new Uint8Array(1 + left.length + right.length)
  preimage[0] = NODE_PREFIX
  preimage.set(left, 1)
  preimage.set(right, 1 + left.length)
  return sha256(preimage)
}

/** Number of siblings on the path of `index` in a tree of `count` leaves (-1 if out of range). */
export function pathLength(index: number, count: number): number {
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) return -1
  let length = 0
  for (let n = count, i = index; n > 1; n = Math.ceil(n / 2), i = Math.floor(i / 2)) {
    const promoted = i === n - 1 && n % 2 === 1
    if (!promoted) length++
  }
  return length
}

/** Every level of the tree, leaves first, root last (a single hash). */
export function merkleLevels(leaves: readonly Uint8Array[]): Uint8Array[][] {
  if (leaves.length === 0)
    throw new ConsensusError('MERKLE_EMPTY', 'a Merkle tree needs at least one leaf')
  const levels: Uint8Array[][] = [[...leaves]]
  let level = levels[0]!
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? node(level[i]!, level[i + 1]!) : level[i]!)
    }
    levels.push(next)
    level = next
  }
  return levels
}

export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  const levels = merkleLevels(leaves)
  return levels[levels.length - 1]![0]!
}

/** The siblings from leaf to root for `index` in a tree built by `merkleLevels`. */
export function pathInLevels(
  levels: readonly (readonly Uint8Array[])[],
  index: number,
): Uint8Array[] {
  if (pathLength(index, levels[0]?.length ?? 0) < 0) {
    throw new ConsensusError(
      'MERKLE_INDEX',
      `leaf ${index} out of range for ${levels[0]?.length ?? 0} leaves`,
    )
  }
  const path: Uint8Array[] = []
  let i = index
  // Every level but the root's (indexed: no copy of the level list per path).
  for (let l = 0; l < levels.length - 1; l++) {
    const level = levels[l]!
    const sibling = i ^ 1
    if (sibling < level.length) path.push(level[sibling]!)
    i = Math.floor(i / 2)
  }
  return path
}

/** The siblings from leaf to root for `index`, skipping levels where the node is promoted. */
export function merklePath(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (pathLength(index, leaves.length) < 0) {
    throw new ConsensusError(
      'MERKLE_INDEX',
      `leaf ${index} out of range for ${leaves.length} leaves`,
    )
  }
  return pathInLevels(merkleLevels(leaves), index)
}

/**
 * The root implied by `leaf` at `index` of `count` leaves with `path`, or null when the path has
 * the wrong length for that position (a shortened or padded path never verifies).
 */
export function rootFromPath(
  leaf: Uint8Array,
  index: number,
  count: number,
  path: readonly Uint8Array[],
): Uint8Array | null {
  if (pathLength(index, count) !== path.length) return null
  let hash = leaf
  let used = 0
  for (let n = count, i = index; n > 1; n = Math.ceil(n / 2), i = Math.floor(i / 2)) {
    if (i === n - 1 && n % 2 === 1) continue
    const sibling = path[used++]!
    hash = i % 2 === 0 ? node(hash, sibling) : node(sibling, hash)
  }
  return hash
}
