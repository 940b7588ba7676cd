// One table of error codes (src/core/error-codes.ts): unique by construction, each mapped to a
// JSON-RPC code. Here: docs/ERRORS.md shows exactly that table, every code a source file throws is
// in it (a cast cannot slip one past the types), and every code in it is thrown somewhere.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, type ErrorCode, RpcErrorCode, rpcErrorCode } from '../../src/core/index.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const codes = Object.keys(ERROR_CODES) as ErrorCode[]

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
}

describe('error codes', () => {
  it('docs/ERRORS.md lists every code with its RPC code and meaning, and nothing else', () => {
    const rows = readFileSync(join(root, 'docs/ERRORS.md'), 'utf8')
      .split('\n')
      .flatMap((line) => {
        const m = /^\| `([A-Z0-9_]+)` \| (-?\d+) `[A-Z_]+` \| (.+) \|$/.exec(line)
        return m === null ? [] : [[m[1]!, Number(m[2]), m[3]!] as const]
      })
    expect(rows.map(([code]) => code)).toEqual(codes)
    for (const [code, rpc, meaning] of rows) {
      expect(rpc, code).toBe(ERROR_CODES[code as ErrorCode].rpc)
      expect(meaning, code).toBe(ERROR_CODES[code as ErrorCode].meaning)
    }
  })

  it('every code thrown in the sources is in the table, and every code in the table is thrown', () => {
    const text = [...sources('src')].join('\n')
    const thrown = new Set<string>()
    for (const m of text.matchAll(
      /(?:Error|invalid|reject|notHere|wrong|fail)\(\s*'([A-Z][A-Z0-9_]+)'/g,
    ))
      thrown.add(m[1]!)
    expect([...thrown].filter((c) => !(c in ERROR_CODES))).toEqual([])
    // A code nothing uses is dead weight (or a typo): each appears quoted somewhere in src (the
    // table's own keys are not quoted).
    const quoted = new Set([...text.matchAll(/'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!))
    expect(codes.filter((c) => !quoted.has(c))).toEqual([])
  })

  it('maps to JSON-RPC codes, unknown codes to a miscellaneous error', () => {
    expect(rpcErrorCode('LEDGER_MISSING_INPUT')).toBe(RpcErrorCode.VERIFY_ERROR)
    expect(rpcErrorCode('TRUNCATED')).toBe(RpcErrorCode.DESERIALIZATION_ERROR)
    expect(rpcErrorCode('toString')).toBe(RpcErrorCode.MISC_ERROR)
    expect(rpcErrorCode('NOT_A_CODE')).toBe(RpcErrorCode.MISC_ERROR)
  })
})
