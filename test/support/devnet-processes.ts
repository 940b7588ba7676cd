// Integration helpers over real masternode processes: a devnet started by the production code
// (src/node/devnet) on ports the system picks, in a temporary data directory this helper removes;
// payments made as any RPC client makes them; bounded polling; a `timecoin` child process with its
// output collected. Every process started here is stopped by `stopDevnets` (afterAll) or killed
// when the test process exits.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Devnet, startDevnet } from '../../src/node/devnet/devnet.ts'
import type { Coin, DemoNode } from '../../src/node/devnet/payment-demo.ts'
import { type DemoResult, runPaymentDemo } from '../../src/node/devnet/payment-demo.ts'

export const CLI = join(import.meta.dirname, '../../src/node/cli/main.ts')

const running: Devnet[] = []
const dirs: string[] = []
const children = new Set<ChildProcess>()

process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

/** A temporary folder, removed by `stopDevnets`. */
export async function tempDir(prefix = 'timecoin-it-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

/** A devnet of `masternodes` processes on free ports, quiet, in a temporary folder. */
export async function startTestDevnet(masternodes = 4): Promise<Devnet> {
  const devnet = await startDevnet({
    masternodes,
    datadir: await tempDir('timecoin-devnet-it-'),
    fixedPorts: false,
    write: () => {},
    readyTimeoutMs: 120_000,
  })
  running.push(devnet)
  return devnet
}

export async function stopDevnets(): Promise<void> {
  await Promise.all(running.splice(0).map((d) => d.stop()))
  for (const c of children) c.kill('SIGKILL')
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
}

/** `count` payments from `coin` through `nodes`, each waited for until final. */
export function pay(
  devnet: Devnet,
  coin: Coin,
  nodes: readonly DemoNode[],
  count: number,
  rate = 20,
): Promise<DemoResult> {
  return runPaymentDemo({
    network: 'devnet',
    genesisHash: devnet.genesis.hash,
    nodes,
    faucet: devnet.faucet,
    coin,
    rate,
    durationSeconds: count / rate,
    slots: 8,
  })
}

/** Resolves with `probe()`'s value once it is not undefined; polls every `everyMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  ms = 30_000,
  everyMs = 200,
): Promise<T> {
  const deadline = performance.now() + ms
  let last: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (e) {
      last = e
    }
    if (performance.now() > deadline)
      throw new Error(
        `timed out after ${ms} ms: ${what}${last === undefined ? '' : ` (${String(last)})`}`,
      )
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

export interface CliRun {
  readonly child: ChildProcess
  /** Everything written to stdout and stderr so far. */
  output(): string
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>
}

/** Runs `timecoin <args>` with this test's Node binary. */
export function runCli(args: readonly string[], options: { detached?: boolean } = {}): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  })
  children.add(child)
  let text = ''
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString()
  })
  child.stderr!.on('data', (d: Buffer) => {
    text += d.toString()
  })
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child)
      resolve(code ?? signal ?? 'unknown')
    })
  })
  return { child, output: () => text, exited }
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
