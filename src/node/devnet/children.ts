/**
 * The devnet's masternode processes: each is `timecoin masternode` run by this same Node binary
 * (`process.execPath`, never a `node` from the PATH, which may be another version), its output
 * appended to a log file, in a process group of its own — so a Ctrl-C at the terminal reaches the
 * devnet alone, which stops each child once, in order. Each child also stops when its standard
 * input closes, which the kernel does when the devnet dies however it dies (kill -9 included): a
 * child never outlives its devnet.
 *
 * Invariants: `stopAll` returns only when every child has exited — asked with SIGTERM, then
 * SIGKILL after the grace period; a child still running when this process exits is SIGKILLed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The `timecoin` entry point this code runs from (its .ts source, or the built .js). */
export function cliEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
  return fileURLToPath(new URL(`../cli/main.${ext}`, import.meta.url))
}

export interface ChildExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export class NodeProcess {
  readonly name: string
  readonly logFile: string
  readonly #child: ChildProcess
  readonly exited: Promise<ChildExit>
  #exit: ChildExit | undefined

  constructor(name: string, args: readonly string[], logFile: string) {
    this.name = name
    this.logFile = logFile
    const log = openSync(logFile, 'a', 0o600)
    try {
      this.#child = spawn(
        process.execPath,
        [...process.execArgv, cliEntry(), 'masternode', ...args, '--exit-with-stdin'],
        {
          stdio: ['pipe', log, log],
          detached: true,
          // Node's compile cache (type-stripped sources included) makes a start after the first
          // about four times faster; the children share it.
          env: {
            ...process.env,
            NODE_COMPILE_CACHE:
              process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'node-compile-cache'),
          },
        },
      )
    } finally {
      closeSync(log)
    }
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal }
        resolve(this.#exit)
      })
      this.#child.once('error', () => {
        this.#exit = { code: null, signal: null }
        resolve(this.#exit)
      })
    })
    running.add(this)
    void this.exited.then(() => running.delete(this))
  }

  get pid(): number | undefined {
    return this.#child.pid
  }

  /** How it exited, once it has. */
  get exit(): ChildExit | undefined {
    return this.#exit
  }

  signal(signal: NodeJS.Signals): void {
    if (this.#exit === undefined) this.#child.kill(signal)
  }
}

const running = new Set<NodeProcess>()
process.on('exit', () => {
  for (const p of running) p.signal('SIGKILL')
})

/**
 * Stops every process: SIGTERM, then SIGKILL for those still running after `graceMs`. Resolves
 * with the names of those that had to be killed, once all have exited.
 */
export async function stopAll(
  processes: readonly NodeProcess[],
  graceMs: number,
): Promise<string[]> {
  for (const p of processes) p.signal('SIGTERM')
  const killed: string[] = []
  const timer = setTimeout(() => {
    for (const p of processes)
      if (p.exit === undefined) {
        killed.push(p.name)
        p.signal('SIGKILL')
      }
  }, graceMs)
  await Promise.all(processes.map((p) => p.exited))
  clearTimeout(timer)
  return killed
}
