// The isomorphic boundary (docs/ARCHITECTURE.md §1): src/core runs unchanged in Node, browsers
// and edge runtimes; src/browser never pulls in Node. Checked on the source and on a real
// browser bundle.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { type BoundaryRules, checkSource, type Violation } from '../support/boundary.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
}

const CORE_PACKAGES =
  /^(@noble\/(hashes|ed25519|curves)|@scure\/(base|bip39|bip32)|micro-packed)(\/|$)/

/** What src/core/net may use besides: libp2p's interfaces and its platform-free stream helpers. */
const NET_PACKAGES =
  /^(@libp2p\/(interface|interface-internal|utils)|@multiformats\/multiaddr|uint8arraylist)(\/|$)/

const coreNet = join(root, 'src/core/net')

const coreRules: BoundaryRules = {
  allowPackage: (s) => CORE_PACKAGES.test(s),
  // The pure core never reaches into the network layer above it.
  relativeDenied: (p) => !p.startsWith(join(root, 'src/core')) || p.startsWith(coreNet),
  forbiddenGlobals: new Set([
    'Buffer',
    'process',
    'global',
    '__dirname',
    '__filename',
    'require',
    'setImmediate',
    'window',
    'document',
    'navigator',
    'localStorage',
    'sessionStorage',
    'indexedDB',
    'location',
    'self',
  ]),
}

/** src/core/net: the core's rules, plus libp2p's interfaces (DESIGN §2: no platform imports). */
const netRules: BoundaryRules = {
  ...coreRules,
  allowPackage: (s) => CORE_PACKAGES.test(s) || NET_PACKAGES.test(s),
  relativeDenied: (p) => !p.startsWith(join(root, 'src/core')),
}

const browserRules: BoundaryRules = {
  allowPackage: () => true,
  relativeDenied: (p) => p.startsWith(join(root, 'src/node')),
  forbiddenGlobals: new Set(['Buffer', 'process', '__dirname', '__filename', 'require']),
}

function checkTree(
  dir: string,
  rules: BoundaryRules,
  skip: (file: string) => boolean = () => false,
): Violation[] {
  return tsFiles(dir)
    .filter((file) => !skip(file))
    .flatMap((file) =>
      checkSource(relative(root, file), readFileSync(file, 'utf8'), rules, (spec) =>
        resolve(dirname(file), spec),
      ),
    )
}

describe('isomorphic boundary', () => {
  it('src/core imports no node:, src/node or src/browser, and uses no Buffer, process or DOM', () => {
    expect(tsFiles(join(root, 'src/core')).length).toBeGreaterThan(5)
    const outsideNet = (file: string) => file.startsWith(coreNet)
    expect(checkTree(join(root, 'src/core'), coreRules, outsideNet)).toEqual([])
  })

  it('src/core/net uses libp2p only through its interfaces, and no platform either', () => {
    expect(tsFiles(coreNet).length).toBeGreaterThan(2)
    expect(checkTree(coreNet, netRules)).toEqual([])
    const bad = "import { tcp } from '@libp2p/tcp'\nimport { createLibp2p } from 'libp2p'"
    expect(checkSource('src/core/net/x.ts', bad, netRules).map((v) => v.line)).toEqual([1, 2])
    const inCore = "import { lpStream } from '@libp2p/utils'"
    expect(checkSource('src/core/x.ts', inCore, coreRules).map((v) => v.line)).toEqual([1])
  })

  it('src/browser imports no node: module and nothing from src/node', () => {
    expect(checkTree(join(root, 'src/browser'), browserRules)).toEqual([])
  })

  it('the checker catches what it must (it can fail)', () => {
    const bad = [
      "import { readFileSync } from 'node:fs'",
      "import path from 'path'",
      "export { x } from '../../node/thing.ts'",
      "import pino from 'pino'",
      'const b = Buffer.from([1])',
      'const env = process.env.X',
      'window.alert(1)',
      "const m = await import('node:crypto')",
    ].join('\n')
    const found = checkSource(join('src/core/x.ts'), bad, coreRules, (spec) =>
      resolve(root, 'src/core/crypto', spec),
    )
    expect(found.map((v) => v.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    const fine = [
      '// Buffer and process in a comment',
      "const s = 'process'",
      'const o = { process: 1, window: 2 }',
      'o.process',
      "import { sha256 } from '@noble/hashes/sha2.js'",
    ].join('\n')
    expect(checkSource('src/core/y.ts', fine, coreRules)).toEqual([])
  })

  it('a browser bundle of the ./browser entry builds with no Node built-ins', async () => {
    const result = await build({
      entryPoints: [join(root, 'src/browser/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    expect(result.errors).toEqual([])
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some((i) => i.includes('src/core/'))).toBe(true)
    expect(inputs.filter((i) => i.startsWith('node:') || i.includes('src/node/'))).toEqual([])
    // The libp2p host is in it, with Noise's pure-JS ciphers: no WebAssembly (DESIGN §5).
    expect(inputs.some((i) => i.includes('src/browser/net/host.ts'))).toBe(true)
    expect(inputs.filter((i) => /@chainsafe\/as-|\.wasm$/.test(i))).toEqual([])
  })
})
