// docs/OPERATIONS.md keeps up with the daemon's logs and the operator's duties: it has the sections
// issue 11 asks for, names every log component and every redacted field as log.ts has them, the
// log file and the dashboard where they are, and the store version errors the node gives.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LOG_LEVELS } from '../../../src/node/config/setting-specs.ts'
import { LOG_COMPONENTS, LOG_FILE_NAME, REDACTED_KEYS } from '../../../src/node/daemon/log.ts'

const ROOT = join(import.meta.dirname, '../../..')
const doc = readFileSync(join(ROOT, 'docs/OPERATIONS.md'), 'utf8')

/** The text of the section whose heading contains `title`, up to the next `## `. */
function section(title: string): string {
  const start = doc.search(new RegExp(`^## \\d+\\. .*${title}`, 'm'))
  expect(start, `a section "${title}"`).toBeGreaterThanOrEqual(0)
  const rest = doc.slice(start + 3)
  const end = rest.search(/^## /m)
  return end < 0 ? rest : rest.slice(0, end)
}

describe('docs/OPERATIONS.md', () => {
  it('has the sections an operator needs', () => {
    for (const title of [
      'Networks and ports',
      'Settings',
      'Running a testnet or mainnet masternode',
      'Logs',
      'Monitoring',
      'Backups and restore',
      'Upgrading',
    ])
      expect(section(title).length, title).toBeGreaterThan(200)
  })

  it('describes the logs as log.ts writes them: components, levels, secrets, the file', () => {
    const logs = section('Logs')
    for (const c of LOG_COMPONENTS) expect(logs, c).toContain(`\`${c}\``)
    for (const level of LOG_LEVELS) expect(logs, level).toContain(`\`${level}\``)
    for (const key of REDACTED_KEYS) expect(logs, key).toContain(`\`${key}\``)
    expect(logs).toContain(`logs/${LOG_FILE_NAME}`)
    expect(logs).toContain('--log-level')
  })

  it('points at the Grafana dashboard, which exists', () => {
    const path = 'docs/grafana/timecoin-dashboard.json'
    expect(section('Monitoring')).toContain(path)
    expect(existsSync(join(ROOT, path))).toBe(true)
  })

  it('warns that a masternode never votes from an older vote store, and names the store checks', () => {
    const backups = section('Backups and restore')
    expect(backups).toMatch(/Never restore an older `chaindata\/` onto a masternode/)
    expect(backups).toContain('`seq`')
    expect(backups).toContain('DESIGN §4.6')
    for (const what of ['keys/masternode.key', 'keys/wallet.json', 'keys/node.key', 'time.conf'])
      expect(backups).toContain(what)
    const upgrading = section('Upgrading')
    expect(upgrading).toContain('STORE_VERSION_MISMATCH')
    expect(upgrading).toContain('STORE_VERSION_MISSING')
  })
})
