/**
 * `time.conf`, as bitcoind reads `bitcoin.conf`: one `key=value` per line, blank lines and `#`
 * comments (whole-line or trailing) ignored, spaces around key and value trimmed, a key repeated
 * for list settings (`addnode`), and `[mainnet]` / `[testnet]` / `[devnet]` sections whose lines
 * apply to that network only. This file only splits the text; settings.ts judges each key and
 * value. Invariants: every entry keeps its 1-based line; a line that is neither blank, a comment,
 * a section header nor `key=value` is an error naming the file and line, never skipped.
 */
import { isNetworkName, type NetworkName } from '../../core/primitives/network.ts'
import { ConfigError } from '../errors.ts'

export interface ConfEntry {
  readonly key: string
  readonly value: string
  /** The network section the line is in; null before any section header. */
  readonly section: NetworkName | null
  readonly line: number
}

/** Keys are lowercase letters, digits and underscores, as every documented setting is. */
const KEY = /^[a-z][a-z0-9_]*$/

export function parseConf(text: string, path: string): ConfEntry[] {
  const entries: ConfEntry[] = []
  let section: NetworkName | null = null
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  for (const [i, raw] of lines.entries()) {
    const line = i + 1
    const source = { kind: 'file', path, line } as const
    const hash = raw.indexOf('#')
    const content = (hash === -1 ? raw : raw.slice(0, hash)).trim()
    if (content === '') continue
    if (content.startsWith('[')) {
      const name = /^\[([^\]]*)\]$/.exec(content)?.[1]?.trim()
      if (name === undefined)
        throw new ConfigError(
          'CONFIG_INVALID_SETTING',
          `${path}:${line}: malformed section header ${JSON.stringify(content)}`,
          source,
        )
      if (!isNetworkName(name))
        throw new ConfigError(
          'CONFIG_UNKNOWN_SETTING',
          `${path}:${line}: unknown section [${name}] (sections are [mainnet], [testnet], [devnet])`,
          source,
        )
      section = name
      continue
    }
    const eq = content.indexOf('=')
    if (eq === -1)
      throw new ConfigError(
        'CONFIG_INVALID_SETTING',
        `${path}:${line}: expected key=value, got ${JSON.stringify(content)}`,
        source,
      )
    const key = content.slice(0, eq).trim().toLowerCase()
    const value = content.slice(eq + 1).trim()
    if (!KEY.test(key))
      throw new ConfigError(
        'CONFIG_INVALID_SETTING',
        `${path}:${line}: malformed setting name ${JSON.stringify(content.slice(0, eq).trim())}`,
        source,
      )
    // A password cut at '#' would silently be another password (bitcoind refuses it too).
    if (hash !== -1 && key === 'rpcpassword')
      throw new ConfigError(
        'CONFIG_INVALID_SETTING',
        `${path}:${line}: rpcpassword may not contain '#' (it starts a comment)`,
        source,
      )
    entries.push({ key, value, section, line })
  }
  return entries
}
