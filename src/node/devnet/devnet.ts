/**
 * A local devnet of masternode processes (`timecoin devnet`, what `npm start` runs): a genesis and
 * keys from a seed in a data directory (a new temporary one, or one kept from an earlier run, whose
 * chain then resumes), a `time.conf` per masternode (loopback, its ports, the others as `addnode`),
 * one `timecoin masternode` process each (children.ts), a wait — shown as it goes — until every
 * RPC server answers and every committee link is up, and the way to stop them all.
 *
 * Invariants: every child this starts is stopped by `stop` (or killed when this process exits);
 * a temporary data directory is removed at stop unless kept; every wait is bounded.
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { KeyPair } from '../../core/crypto/ed25519.ts'
import { bytesToHex, fromHex } from '../../core/encoding/bytes.ts'
import { addressFromPublicKey } from '../../core/primitives/address.ts'
import { type Amount, formatAmount } from '../../core/primitives/amount.ts'
import type { Txid } from '../../core/primitives/txid.ts'
import type { NetworkPorts } from '../config/ports.ts'
import { loadKeyFile } from '../datadir/key-file.ts'
import { datadirLayout } from '../datadir/layout.ts'
import { devnetGenesis, writeNewGenesis } from '../genesis/genesis-builder.ts'
import { type LoadedGenesis, loadGenesisFile } from '../genesis/genesis-file.ts'
import { readCookie } from '../rpc/auth.ts'
import { rpcCall } from '../rpc/client.ts'
import { NodeProcess, stopAll } from './children.ts'
import type { Coin, DemoNode } from './payment-demo.ts'
import { planPorts } from './port-plan.ts'

export const DEFAULT_MASTERNODES = 4
/** Start-up (every RPC server answering, every link up) must finish within this. */
export const DEFAULT_READY_TIMEOUT_MS = 90_000
/** A child asked to stop has this long (its own deadline is 10 s) before it is killed. */
export const STOP_GRACE_MS = 12_000

export interface DevnetOptions {
  readonly masternodes?: number
  /** The data directory (default: a new temporary one). One from an earlier run is resumed. */
  readonly datadir?: string
  /** Keep the data directory at stop (a given one is always kept). */
  readonly keep?: boolean
  /** Derives the genesis and keys (default: random). */
  readonly seed?: string
  /** The devnet's own ports (24200 + 10 × i …) when free (default); false: free ports for all. */
  readonly fixedPorts?: boolean
  readonly readyTimeoutMs?: number
  /** Progress and notes (default: stdout). */
  readonly write?: (text: string) => void
  /** Redraw the progress line in place (a terminal). */
  readonly tty?: boolean
  /** Aborts the start: what started is stopped, a temporary folder removed, and it rejects. */
  readonly signal?: AbortSignal
  /** More `time.conf` lines for every masternode (`maxmempool=2000`; benches). */
  readonly conf?: readonly string[]
}

export interface DevnetNode extends DemoNode {
  readonly dir: string
  readonly ports: NetworkPorts
  readonly rpcUrl: string
  readonly cookie: string
  readonly logFile: string
  /** Its current process (`respawn` replaces it). */
  process: NodeProcess
  readonly key: KeyPair
  /** From `getnetworkinfo` once ready: multiaddrs with /p2p/<id>. */
  addresses: readonly string[]
  peerId: string
}

export interface Devnet {
  readonly root: string
  readonly temporary: boolean
  /** Whether this run made the genesis (false: an earlier run's chain resumed). */
  readonly fresh: boolean
  readonly genesis: LoadedGenesis
  readonly genesisFile: string
  readonly faucet: KeyPair
  readonly nodes: readonly DevnetNode[]
  readonly portNotes: readonly string[]
  /** Milliseconds from the start of `startDevnet` to ready. */
  readonly startupMs: number
  /** The faucet coin a demo may start from (undefined when none is left unspent). */
  demoCoin(): Promise<Coin | undefined>
  /** Remembers the faucet's coins after a demo (for the next run on this data directory). */
  saveCoins(coins: readonly Coin[]): Promise<void>
  /** Starts masternode `index` again on its data directory (once its process has exited). */
  respawn(index: number): NodeProcess
  /** Stops every masternode, then removes a temporary data directory unless kept. */
  stop(): Promise<{ readonly killed: readonly string[]; readonly removed: boolean }>
}

const COINS_FILE = 'faucet-coins.json'

function nodeConf(i: number, ports: readonly NetworkPorts[], extra: readonly string[]): string {
  const own = ports[i]!
  return [
    `# masternode ${i} of a local devnet, written by \`timecoin devnet\` at each start`,
    'network=devnet',
    'genesis=../genesis.json',
    `masternodekeyfile=../keys/masternode-${i}.key`,
    'bind=127.0.0.1',
    `port=${own.p2p}`,
    `wsport=${own.ws}`,
    `rpcport=${own.rpc}`,
    `metricsport=${own.metrics}`,
    ...ports.flatMap((p, j) => (j === i ? [] : [`addnode=/ip4/127.0.0.1/tcp/${p.p2p}`])),
    // Every node is 127.0.0.1: one ban must not blacklist the whole devnet.
    'exempt_loopback=1',
    // Signatures checked on each node's own thread: at demo rates a hand-over to a worker thread
    // costs more time to finality than the check, and the processes share the cores anyway.
    'verifythreads=0',
    ...extra,
    '',
  ].join('\n')
}

function nodeProcess(index: number, dir: string, logFile: string): NodeProcess {
  return new NodeProcess(`masternode ${index}`, ['--datadir', dir], logFile)
}

/** The last `lines` lines of a log file (for a child that failed). */
export async function logTail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

/** Makes (or finds) the genesis and keys in `root`. */
async function genesisIn(
  root: string,
  count: number,
  seed: string,
): Promise<{ fresh: boolean; count: number }> {
  if (existsSync(join(root, 'genesis.json'))) {
    const names = await readdir(join(root, 'keys'))
    return { fresh: false, count: names.filter((n) => /^masternode-\d+\.key$/.test(n)).length }
  }
  await writeNewGenesis(root, devnetGenesis({ seed, masternodes: count }))
  return { fresh: true, count }
}

/** Starts the devnet and resolves once it is ready; rejects (everything stopped) if it cannot. */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const began = performance.now()
  const write = options.write ?? ((t: string) => void process.stdout.write(t))
  const temporary = options.datadir === undefined
  const root = options.datadir ?? (await mkdtemp(join(tmpdir(), 'timecoin-devnet-')))
  await mkdir(root, { recursive: true, mode: 0o700 })
  const seed = options.seed ?? bytesToHex(crypto.getRandomValues(new Uint8Array(8)))
  const made = await genesisIn(root, options.masternodes ?? DEFAULT_MASTERNODES, seed)
  const genesisFile = join(root, 'genesis.json')
  const genesis = await loadGenesisFile(genesisFile, { network: 'devnet' })
  const faucetFile = await loadKeyFile(join(root, 'keys', 'faucet.key'), { network: 'devnet' })
  const faucet = { publicKey: faucetFile.publicKey, secretKey: faucetFile.secretKey }
  const plan = await planPorts(made.count, options.fixedPorts ?? true)
  for (const note of plan.notes) write(`note: ${note}\n`)

  const nodes: DevnetNode[] = []
  const stopNodes = () =>
    stopAll(
      nodes.map((n) => n.process),
      STOP_GRACE_MS,
    )
  try {
    for (let i = 0; i < made.count; i++) {
      options.signal?.throwIfAborted()
      const dir = join(root, `node-${i}`)
      await mkdir(dir, { recursive: true, mode: 0o700 })
      await writeFile(join(dir, 'time.conf'), nodeConf(i, plan.ports, options.conf ?? []), {
        mode: 0o600,
      })
      const ports = plan.ports[i]!
      const logFile = join(dir, 'masternode.log')
      const key = await loadKeyFile(join(root, 'keys', `masternode-${i}.key`))
      const rpcUrl = `http://127.0.0.1:${ports.rpc}/`
      const cookie = datadirLayout(dir, 'devnet').cookie
      const child = nodeProcess(i, dir, logFile)
      const node: DevnetNode = {
        index: i,
        dir,
        ports,
        rpcUrl,
        cookie,
        logFile,
        process: child,
        key: { publicKey: key.publicKey, secretKey: key.secretKey },
        addresses: [],
        peerId: '',
        call: async (method, params) =>
          rpcCall(
            { url: rpcUrl, credentials: await readCookie(cookie), timeoutMs: 70_000 },
            method,
            [...params],
          ),
      }
      nodes.push(node)
    }
    await waitReady(
      nodes,
      options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      write,
      began,
      options.tty ?? false,
      options.signal,
    )
  } catch (e) {
    await stopNodes()
    if (temporary && options.keep !== true) await rm(root, { recursive: true, force: true })
    throw e
  }
  const startupMs = performance.now() - began
  let stopping: ReturnType<Devnet['stop']> | undefined
  const coinsFile = join(root, COINS_FILE)
  return {
    root,
    temporary,
    fresh: made.fresh,
    genesis,
    genesisFile,
    faucet,
    nodes,
    portNotes: plan.notes,
    startupMs,
    async demoCoin() {
      const candidates: Coin[] = [
        {
          outpoint: { txid: genesis.engine.genesis.txid, vout: 0 },
          value: genesis.spec.allocations[0]!.value,
        },
      ]
      const saved = await readFile(coinsFile, 'utf8').catch(() => undefined)
      if (saved !== undefined)
        for (const c of JSON.parse(saved) as { txid: string; vout: number; value: string }[])
          candidates.push({
            outpoint: { txid: fromHex(c.txid, 32) as Txid, vout: c.vout },
            value: BigInt(c.value) as Amount,
          })
      for (const coin of candidates) {
        const out = await nodes[0]!.call('gettxout', [
          bytesToHex(coin.outpoint.txid),
          coin.outpoint.vout,
        ])
        if (out !== null) return coin
      }
      return undefined
    },
    async saveCoins(coins) {
      const json = coins.map((c) => ({
        txid: bytesToHex(c.outpoint.txid),
        vout: c.outpoint.vout,
        value: c.value.toString(),
      }))
      await writeFile(coinsFile, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 })
    },
    respawn(index) {
      const node = nodes[index]!
      if (node.process.exit === undefined) throw new Error(`masternode ${index} is still running`)
      node.process = nodeProcess(index, node.dir, node.logFile)
      return node.process
    },
    stop() {
      stopping ??= (async () => {
        const killed = await stopNodes()
        const removed = temporary && options.keep !== true
        if (removed) await rm(root, { recursive: true, force: true })
        return { killed, removed }
      })()
      return stopping
    },
  }
}

interface Progress {
  rpc: number
  links: number
  wanted: number
}

/** Polls every node until its RPC answers and its links are all up; draws the progress. */
async function waitReady(
  nodes: DevnetNode[],
  timeoutMs: number,
  write: (text: string) => void,
  began: number,
  tty: boolean,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  const ready = new Set<number>()
  const links = new Map<number, { up: number; wanted: number }>()
  let shown = ''
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
  let tick = 0
  const draw = (p: Progress, final = false) => {
    const seconds = ((performance.now() - began) / 1000).toFixed(1)
    const text = `starting ${nodes.length} masternodes · RPC ${p.rpc}/${nodes.length} · committee links ${p.links}/${p.wanted}`
    if (tty)
      write(
        `\r${final ? '✔' : frames[tick++ % frames.length]} ${text} · ${seconds} s\u001b[K${final ? '\n' : ''}`,
      )
    else if (text !== shown) write(`${text} (${seconds} s)\n`)
    shown = text
  }
  for (;;) {
    if (signal?.aborted === true) {
      if (tty) write('\n')
      signal.throwIfAborted()
    }
    for (const n of nodes) {
      const exit = n.process.exit
      if (exit !== undefined) {
        if (tty) write('\n')
        throw new Error(
          `masternode ${n.index} exited during start-up (${exit.signal ?? `code ${exit.code}`}); the end of ${n.logFile}:\n${await logTail(n.logFile)}`,
        )
      }
    }
    await Promise.all(
      nodes.map(async (n) => {
        if (!existsSync(n.cookie)) return
        try {
          const info = (await n.call('getconsensusinfo', [])) as {
            linksconnected: number
            linkswanted: number
          }
          links.set(n.index, { up: info.linksconnected, wanted: info.linkswanted })
          if (!ready.has(n.index)) {
            const net = (await n.call('getnetworkinfo', [])) as {
              peerid: string
              localaddresses: string[]
            }
            n.peerId = net.peerid
            n.addresses = net.localaddresses
            ready.add(n.index)
          }
        } catch {
          // Not answering yet (the cookie is written just before the server listens).
        }
      }),
    )
    const up = [...links.values()].reduce((s, l) => s + l.up, 0)
    const progress = { rpc: ready.size, links: up, wanted: nodes.length * (nodes.length - 1) }
    const done = ready.size === nodes.length && up === progress.wanted
    draw(progress, done)
    if (done) return
    if (performance.now() > deadline) {
      if (tty) write('\n')
      throw new Error(
        `the devnet was not ready within ${timeoutMs / 1000} s (RPC ${ready.size}/${nodes.length}, links ${up}/${progress.wanted}); logs: ${nodes.map((n) => n.logFile).join(', ')}`,
      )
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The amount as the banner shows it: `1,000,000 TIME`. */
export function timeAmount(units: bigint): string {
  const [whole = '0', fraction] = formatAmount(units).split('.')
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction === undefined ? '' : `.${fraction}`} TIME`
}

/** The faucet's address on the devnet. */
export function faucetAddress(devnet: Pick<Devnet, 'faucet'>): string {
  return addressFromPublicKey(devnet.faucet.publicKey, 'devnet')
}
