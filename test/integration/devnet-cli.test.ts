// `timecoin devnet` as `npm start` runs it (on free ports, so a devnet already running here is left
// alone): it brings four masternode processes up, prints each demo payment's finality time and the
// p50 / p99, then its banner; SIGINT stops it with no child process left and its temporary data
// directory removed. A devnet killed with SIGKILL leaves no masternode behind either (each stops
// when its standard input closes). And `timecoin masternode` reports a bad time.conf line with its
// file and line.
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  alive,
  type CliRun,
  eventually,
  runCli,
  stopDevnets,
  tempDir,
} from '../support/devnet-processes.ts'

afterAll(stopDevnets, 60_000)

/** Resolves once the devnet's banner is out; returns the masternodes' pids and its data folder. */
async function banner(run: CliRun): Promise<{ pids: number[]; data: string }> {
  await eventually(
    async () => (run.output().includes('Press Ctrl-C') ? true : undefined),
    `the devnet's banner; output so far:\n${run.output()}`,
    150_000,
  )
  const pids = [...run.output().matchAll(/\[\d+\] pid (\d+)/g)].map((m) => Number(m[1]))
  const data = /^Data +(\S+)/m.exec(run.output())?.[1] ?? ''
  return { pids, data }
}

describe('timecoin devnet', () => {
  it('prints finality times, then stops on SIGINT with no child left', async () => {
    const run = runCli(['devnet', '--duration', '1', '--tx-rate', '5', '--free-ports'])
    const { pids, data } = await banner(run)
    const out = run.output()
    expect(out).toMatch(/payment +1 .* final in +\d+\.\d ms/)
    expect(out).toMatch(/5 payments final in .* p50 \d+\.\d ms · p99 \d+\.\d ms/)
    expect(out).toMatch(/websocket \/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3/)
    expect(out).toMatch(/secret key +[0-9a-f]{64}/)
    expect(pids).toHaveLength(4)
    for (const pid of pids) expect(alive(pid)).toBe(true)
    expect(existsSync(data)).toBe(true)
    run.child.kill('SIGINT')
    expect(await run.exited).toBe(0)
    expect(run.output()).toContain('stopped; data directory removed')
    for (const pid of pids) expect(alive(pid), `masternode pid ${pid}`).toBe(false)
    expect(existsSync(data)).toBe(false)
  }, 200_000)

  it('leaves no masternode behind when it is killed with SIGKILL', async () => {
    const datadir = await tempDir()
    const run = runCli(['devnet', '--duration', '0', '--free-ports', '--datadir', datadir])
    const { pids } = await banner(run)
    expect(pids).toHaveLength(4)
    run.child.kill('SIGKILL')
    await run.exited
    await eventually(
      async () => (pids.every((pid) => !alive(pid)) ? true : undefined),
      'every masternode gone after its devnet was killed',
      30_000,
    )
  }, 200_000)
})

describe('timecoin masternode', () => {
  it('reports a bad time.conf line with its file and line, and does not start', async () => {
    const datadir = await tempDir()
    const conf = join(datadir, 'time.conf')
    await writeFile(conf, 'network=devnet\n# a comment\nrpcpasword=secret\n')
    const run = runCli(['masternode', '--datadir', datadir])
    expect(await run.exited).toBe(2)
    expect(run.output()).toContain(
      `error [CONFIG_UNKNOWN_SETTING]: ${conf}:3: unknown setting "rpcpasword" (did you mean rpcpassword?)`,
    )
    expect(existsSync(join(datadir, 'devnet'))).toBe(false)
  }, 60_000)

  it('says which setting is missing when it has no genesis', async () => {
    const datadir = await tempDir()
    const run = runCli(['masternode', '--datadir', datadir, '--network', 'devnet'])
    expect(await run.exited).toBe(2)
    expect(run.output()).toMatch(/error \[CONFIG_MISSING_SETTING\]: genesis: .*--genesis FILE/)
  }, 60_000)
})
