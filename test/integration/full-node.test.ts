// `timecoin masternode` without a masternode key is a full node (issue 10, points 6 and 9): beside
// a devnet of four masternode processes, a fifth process with no key — its engine has none at all
// — started after payments were confirmed, catches up by sync, follows later payments by gossip,
// and reaches the masternodes' tip and UTXO commitment; it reports itself as a full node that
// votes on nothing. Every process is stopped (the full node killed) in teardown.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { datadirLayout } from '../../src/node/datadir/layout.ts'
import type { Devnet } from '../../src/node/devnet/devnet.ts'
import type { Coin } from '../../src/node/devnet/payment-demo.ts'
import { freePort } from '../../src/node/devnet/port-plan.ts'
import { readCookie } from '../../src/node/rpc/auth.ts'
import { rpcCall } from '../../src/node/rpc/client.ts'
import {
  type CliRun,
  eventually,
  pay,
  runCli,
  startTestDevnet,
  stopDevnets,
  tempDir,
} from '../support/devnet-processes.ts'

interface SetInfo {
  height: number
  bestblock: string
  commitment: string
}

let devnet: Devnet
let coin: Coin
let full: CliRun | undefined

beforeAll(async () => {
  devnet = await startTestDevnet(4)
  coin = (await devnet.demoCoin())!
}, 150_000)

afterAll(async () => {
  full?.child.kill('SIGKILL')
  await stopDevnets()
}, 60_000)

describe('a full node process (no masternode key)', () => {
  it("catches up, follows, and reaches the masternodes' tip and UTXO commitment", async () => {
    const first = await pay(devnet, coin, devnet.nodes, 4)
    expect(first.payments).toHaveLength(4)
    const dir = await tempDir('timecoin-full-node-')
    const [p2p, ws, rpc, metrics] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ]
    await writeFile(
      join(dir, 'time.conf'),
      [
        'network=devnet',
        `genesis=${devnet.genesisFile}`,
        'bind=127.0.0.1',
        `port=${p2p}`,
        `wsport=${ws}`,
        `rpcport=${rpc}`,
        `metricsport=${metrics}`,
        ...devnet.nodes.map((n) => `addnode=/ip4/127.0.0.1/tcp/${n.ports.p2p}`),
        'exempt_loopback=1',
        'verifythreads=0',
        '',
      ].join('\n'),
    )
    full = runCli(['masternode', '--datadir', dir])
    const cookie = datadirLayout(dir, 'devnet').cookie
    const call = async (method: string) =>
      rpcCall(
        {
          url: `http://127.0.0.1:${rpc}/`,
          credentials: await readCookie(cookie),
          timeoutMs: 10_000,
        },
        method,
      )
    const info = (await eventually(
      () => call('getconsensusinfo'),
      `the full node answering RPC (output: ${full.output().slice(-500)})`,
      60_000,
    )) as { role: string; voting: boolean; masternodeKey?: string }
    expect(info.role).toBe('full-node')
    expect(info.voting).toBe(false)
    expect(info.masternodeKey).toBeUndefined()

    // Payments after it started: it follows them, and blocks made after it started, to the same
    // tip and commitment.
    const started = ((await devnet.nodes[0]!.call('gettxoutsetinfo', [])) as SetInfo).height
    const later = await pay(devnet, first.coins[0]!, devnet.nodes, 4)
    expect(later.payments).toHaveLength(4)
    const state = await eventually(
      async () => {
        const [theirs, ours] = (await Promise.all([
          devnet.nodes[0]!.call('gettxoutsetinfo', []),
          call('gettxoutsetinfo'),
        ])) as [SetInfo, SetInfo]
        return ours.height > started &&
          ours.bestblock === theirs.bestblock &&
          ours.commitment === theirs.commitment
          ? ours
          : undefined
      },
      "the full node at the masternodes' tip and commitment",
      60_000,
    )
    expect(state.height).toBeGreaterThan(started)
    console.info(JSON.stringify({ fullNode: state, masternodesAtStart: started }))
  }, 240_000)
})
