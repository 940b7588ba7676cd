// Four `timecoin masternode` processes over loopback TCP, started as `timecoin devnet` starts them
// (src/node/devnet) on free ports: payments sent through JSON-RPC become final at every masternode
// and are confirmed in the same block, stamped with wall-clock time; a masternode killed with
// SIGKILL while payments flow restarts from its store, catches up to the others' tip and UTXO
// commitment, and still holds every payment that was final before the kill; RPC `stop` stops a node
// in order and it resumes from its store; a second instance on a running node's data directory is
// refused; the RPC and metrics servers listen on 127.0.0.1 only (read from the kernel's socket
// table, no traffic sent elsewhere) and the metrics count the payments, blocks, peers and links.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LOG_FILE_NAME } from '../../src/node/daemon/log.ts'
import { datadirLayout } from '../../src/node/datadir/layout.ts'
import type { Devnet, DevnetNode } from '../../src/node/devnet/devnet.ts'
import type { Coin } from '../../src/node/devnet/payment-demo.ts'
import {
  eventually,
  pay,
  runCli,
  startTestDevnet,
  stopDevnets,
} from '../support/devnet-processes.ts'
import { listeningAddresses } from '../support/listening-addresses.ts'

let devnet: Devnet
let coin: Coin

interface Finality {
  status: string
  final: boolean
  blockhash?: string
  blockheight?: number
}

interface SetInfo {
  height: number
  bestblock: string
  commitment: string
}

beforeAll(async () => {
  devnet = await startTestDevnet(4)
  coin = (await devnet.demoCoin())!
}, 150_000)

afterAll(stopDevnets, 60_000)

/** Every node's (height, tip, commitment) once all four agree. */
async function agreedState(nodes: readonly DevnetNode[]): Promise<SetInfo> {
  let seen: SetInfo[] = []
  try {
    return await eventually(
      async () => {
        seen = (await Promise.all(nodes.map((n) => n.call('gettxoutsetinfo', [])))) as SetInfo[]
        const first = seen[0]!
        return seen.every(
          (i) => i.bestblock === first.bestblock && i.commitment === first.commitment,
        )
          ? first
          : undefined
      },
      'every masternode at the same tip and UTXO commitment',
      60_000,
      100,
    )
  } catch (e) {
    throw new Error(`${(e as Error).message}; last seen: ${JSON.stringify(seen)}`)
  }
}

/** Resolves once a restarted masternode has every committee link up and reached `height`. */
async function relinked(node: DevnetNode, height: number): Promise<void> {
  await eventually(
    async () => {
      const info = (await node.call('getconsensusinfo', [])) as {
        linksconnected: number
        linkswanted: number
      }
      const tip = (await node.call('getblockcount', [])) as number
      return info.linksconnected === info.linkswanted && tip >= height ? true : undefined
    },
    `masternode ${node.index} linked again, at height ${height} or beyond`,
    60_000,
  )
}

describe('masternode processes', () => {
  it('finalize payments sent through RPC and confirm them in one block, stamped with wall time', async () => {
    const result = await pay(devnet, coin, devnet.nodes, 12)
    coin = result.coins[0]!
    expect(result.payments).toHaveLength(12)
    // Final at every masternode, not only the one it was sent to.
    for (const p of result.payments)
      for (const n of devnet.nodes) {
        const f = (await n.call('gettransactionfinality', [p.txid])) as Finality
        expect(f.final, `${p.txid} at masternode ${n.index}`).toBe(true)
      }
    const last = result.payments.at(-1)!
    const blocks = await Promise.all(
      devnet.nodes.map((n) =>
        eventually(
          async () => {
            const f = (await n.call('gettransactionfinality', [last.txid])) as Finality
            return f.status === 'confirmed' ? f.blockhash : undefined
          },
          `payment confirmed at masternode ${n.index}`,
          30_000,
        ),
      ),
    )
    expect(new Set(blocks).size).toBe(1)
    const block = (await devnet.nodes[0]!.call('getblock', [blocks[0]!, 1])) as {
      tx: string[]
      timestamp: number
    }
    expect(block.tx).toContain(last.txid)
    // The leader's engine clock is the wall clock: another process's Date.now() agrees with it.
    expect(Math.abs(block.timestamp - Date.now())).toBeLessThan(60_000)
  }, 120_000)

  it('a masternode killed with SIGKILL under load restarts, catches up and keeps what was final', async () => {
    const victim = devnet.nodes[3]!
    const others = devnet.nodes.slice(0, 3)
    const before = await pay(devnet, coin, devnet.nodes, 8)
    // Payments keep flowing through the other three while it is killed.
    const during = pay(devnet, before.coins[0]!, others, 20, 10)
    await new Promise((r) => setTimeout(r, 500))
    victim.process.signal('SIGKILL')
    expect((await victim.process.exited).signal).toBe('SIGKILL')
    const flowed = await during
    coin = flowed.coins[0]!
    devnet.respawn(3)
    await relinked(victim, 0)
    const state = await agreedState(devnet.nodes)
    expect(state.height).toBeGreaterThan(0)
    // Every payment final before the kill (and those made while it was down) is in its UTXO set.
    for (const p of [...before.payments, ...flowed.payments]) {
      const out = await victim.call('gettxout', [p.txid, 0])
      expect(out, `payee output of ${p.txid}`).not.toBeNull()
    }
    // And it votes again: a payment sent to it is final.
    const after = await pay(devnet, coin, [victim], 3)
    coin = after.coins[0]!
    expect(after.payments).toHaveLength(3)
  }, 180_000)

  it('refuses a second instance on a running node’s data directory', async () => {
    const node = devnet.nodes[0]!
    const second = runCli(['masternode', '--datadir', node.dir])
    expect(await second.exited).toBe(2)
    expect(second.output()).toMatch(
      /DATADIR_LOCKED.*in use by another timecoin process \(pid \d+\)/,
    )
    // The first goes on.
    expect(((await node.call('getconsensusinfo', [])) as { voting: boolean }).voting).toBe(true)
  }, 60_000)

  it('stops on RPC stop (cookie and pid file removed) and resumes from its store, same peer id', async () => {
    const node = devnet.nodes[1]!
    const height = (await node.call('getblockcount', [])) as number
    const peerId = ((await node.call('getnetworkinfo', [])) as { peerid: string }).peerid
    expect(await node.call('stop', [])).toBe('TIME Coin node stopping')
    expect(await node.process.exited).toEqual({ code: 0, signal: null })
    expect(existsSync(node.cookie)).toBe(false)
    expect(existsSync(datadirLayout(node.dir, 'devnet').pidFile)).toBe(false)
    // Its log (JSON lines) ends with the orderly stop.
    const last = readFileSync(node.logFile, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-2)
      .map((l) => JSON.parse(l) as { msg: string; component: string })
    expect(last).toEqual([
      expect.objectContaining({ component: 'daemon', msg: 'stopping (RPC stop)' }),
      expect.objectContaining({ component: 'daemon', msg: 'stopped' }),
    ])
    // The data directory's log file holds the same JSON lines.
    const logFile = join(datadirLayout(node.dir, 'devnet').logs, LOG_FILE_NAME)
    expect(
      readFileSync(logFile, 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-2)
        .map((l) => JSON.parse(l).msg),
    ).toEqual(['stopping (RPC stop)', 'stopped'])
    devnet.respawn(1)
    await relinked(node, height)
    // Its libp2p identity is kept in keys/node.key: the same peer id after the restart.
    expect(((await node.call('getnetworkinfo', [])) as { peerid: string }).peerid).toBe(peerId)
  }, 120_000)

  it('serves JSON-RPC and metrics on 127.0.0.1 only; the metrics count what happened', async () => {
    for (const n of devnet.nodes) {
      expect(listeningAddresses(n.ports.rpc), `RPC port of ${n.index}`).toEqual(['127.0.0.1'])
      expect(listeningAddresses(n.ports.metrics), `metrics of ${n.index}`).toEqual(['127.0.0.1'])
    }
    const text = await (
      await fetch(`http://127.0.0.1:${devnet.nodes[0]!.ports.metrics}/metrics`)
    ).text()
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1])
    expect(value('timecoin_finality_seconds_count')).toBeGreaterThan(0)
    expect(value('timecoin_finalized_transactions_total')).toBeGreaterThan(0)
    expect(value('timecoin_blocks_committed_total')).toBeGreaterThan(0)
    expect(value('timecoin_committee_links_connected')).toBe(3)
    expect(text).toMatch(/^timecoin_peers\{role="masternode"\} 3$/m)
    expect(text).toMatch(/^timecoin_nodejs_eventloop_lag_seconds /m)
  })
})
