// `timecoin masternode` logs as its settings say: JSON lines on a standard output that is not a
// terminal, filtered by --log-level (or --loglevel), which takes only the known levels. The node
// is refused before it locks anything (no genesis), so no port is opened and nothing is left.
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, stopDevnets, tempDir } from '../../support/devnet-processes.ts'

afterAll(stopDevnets)

async function refusedStart(level: string[]): Promise<{ code: number | string; out: string }> {
  const dir = await tempDir('timecoin-log-cli-')
  const run = runCli(['masternode', '--network', 'devnet', '--datadir', dir, ...level])
  const code = await run.exited
  return { code, out: run.output() }
}

function jsonLines(out: string): Record<string, unknown>[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('timecoin masternode logging', () => {
  it('writes JSON lines with the level and component, at the level --log-level gives', async () => {
    const info = await refusedStart(['--log-level', 'info'])
    expect(info.code).toBe(2)
    expect(info.out).toContain('CONFIG_MISSING_SETTING')
    const [starting] = jsonLines(info.out)
    expect(starting).toMatchObject({
      level: 'info',
      component: 'daemon',
      msg: 'starting a devnet node',
    })
    expect((starting!.settings as { logLevel: string }).logLevel).toBe('info')

    const warn = await refusedStart(['--log-level', 'warn'])
    expect(warn.code).toBe(2)
    expect(warn.out).toContain('CONFIG_MISSING_SETTING')
    expect(jsonLines(warn.out)).toEqual([])

    const setting = await refusedStart(['--loglevel', 'error'])
    expect(jsonLines(setting.out)).toEqual([])
  }, 60_000)

  it('refuses a level it does not know', async () => {
    const bad = await refusedStart(['--log-level', 'loud'])
    expect(bad.code).not.toBe(0)
    expect(bad.out).toMatch(/--log-level.*'loud' is invalid/)
  }, 30_000)
})
