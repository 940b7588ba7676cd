// The Ed25519 vectors in test/vectors/ are copies of the shared conformance set that may sit
// beside the clone, in ../shared/vectors. Where that directory exists, every file in it must be
// in the copy, byte for byte; where it does not, the copy stands alone and this check is skipped.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const shared = resolve(root, '../shared/vectors')
const copy = join(root, 'test/vectors')
const present = existsSync(shared)

/** Every file under dir, as a path relative to dir with '/' separators, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort()
}

const title = present
  ? 'in-repo vectors match ../shared/vectors'
  : 'in-repo vectors vs ../shared/vectors: SKIPPED, ../shared/vectors is not beside the clone (the in-repo copies stand alone; sources in test/vectors/ed25519/SOURCES.md)'

describe.skipIf(!present)(title, () => {
  it('every shared file has a copy in test/vectors/', () => {
    const files = filesUnder(shared)
    expect(files.length).toBeGreaterThan(0)
    expect(files.filter((f) => !existsSync(join(copy, f)))).toEqual([])
  })

  it('every copy is byte-identical to its shared file', () => {
    const differing = filesUnder(shared).filter((f) => {
      const target = join(copy, f)
      return existsSync(target) && !readFileSync(target).equals(readFileSync(join(shared, f)))
    })
    expect(differing).toEqual([])
  })
})

const sharedCsv = resolve(root, '../shared/data/azure-region-rtt-p50.csv')

describe.skipIf(!existsSync(sharedCsv))('in-repo simulator data matches ../shared/data', () => {
  it('the Azure RTT table is byte-identical', () => {
    const copyCsv = join(root, 'test/sim/data/azure-region-rtt-p50.csv')
    expect(readFileSync(copyCsv).equals(readFileSync(sharedCsv))).toBe(true)
  })
})
