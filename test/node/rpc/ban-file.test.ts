// The operator's bans on disk (banlist.json): saved at each change of the list (ban, remove,
// clear) and taken back by a new list, ended bans left out, entries in canonical form; a file that
// is not a ban list is moved aside and the node starts with none; the file is the owner's only.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BanFile } from '../../../src/node/rpc/ban-file.ts'
import { BanList, parseBanTarget } from '../../../src/node/rpc/ban-list.ts'

const dir = mkdtempSync(join(tmpdir(), 'timecoin-banfile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('banlist.json', () => {
  it('keeps the operator’s bans across a restart, and only those in force', async () => {
    const file = BanFile.inDir(dir)
    let t = 1_700_000_000_000
    let saves: Promise<void> = Promise.resolve()
    const first: BanList = new BanList({
      now: () => t,
      onChange: () => {
        saves = file.save(first.saved())
      },
    })
    await first.ban(parseBanTarget('203.0.113.77/24')!, t + 3_600_000)
    await first.ban(parseBanTarget('198.51.100.1')!, t + 60_000)
    await first.ban(parseBanTarget('2001:db8::/32')!, t + 7_200_000)
    expect(first.unban(parseBanTarget('2001:db8::/32')!)).toBe(true)
    await saves
    expect(JSON.parse(readFileSync(file.path, 'utf8'))).toEqual({
      version: 1,
      bans: [
        { address: '203.0.113.0/24', created: 1_700_000_000, until: 1_700_003_600 },
        { address: '198.51.100.1/32', created: 1_700_000_000, until: 1_700_000_060 },
      ],
    })
    if (process.platform !== 'win32') expect(statSync(file.path).mode & 0o777).toBe(0o600)
    t += 120_000
    const loaded = await file.load(t)
    expect(loaded.setAside).toBeUndefined()
    const second = new BanList({ now: () => t })
    second.restore(loaded.bans)
    expect(second.list().map((e) => [e.target.text, e.created, e.until])).toEqual([
      ['203.0.113.0/24', 1_700_000_000_000, 1_700_003_600_000],
    ])
    // clearbanned empties the file too.
    first.clear()
    await saves
    expect((await file.load(t)).bans).toEqual([])
  })

  it('moves a file that is not a ban list aside and starts with none', async () => {
    const file = BanFile.inDir(dir)
    writeFileSync(file.path, '{"version":1,"bans":')
    const loaded = await file.load()
    expect(loaded.bans).toEqual([])
    expect(loaded.setAside).toMatch(/not JSON; moved to .*banlist\.json\.corrupt$/)
    expect(readFileSync(`${file.path}.corrupt`, 'utf8')).toBe('{"version":1,"bans":')
    writeFileSync(file.path, '{"version":2,"bans":[]}')
    expect((await file.load()).setAside).toMatch(/not a version 1 ban list/)
    // Malformed entries are skipped, the rest kept.
    writeFileSync(
      file.path,
      JSON.stringify({
        version: 1,
        bans: [
          { address: 'nonsense', created: 1, until: 4_000_000_000 },
          { address: '10.0.0.0/8', created: 'x', until: 4_000_000_000 },
          { address: '10.0.0.0/8', created: 1, until: 4_000_000_000 },
        ],
      }),
    )
    expect((await file.load()).bans.map((b) => b.target.text)).toEqual(['10.0.0.0/8'])
    // No file: no bans.
    expect(await BanFile.inDir(join(dir, 'none')).load()).toEqual({ bans: [] })
  })
})
