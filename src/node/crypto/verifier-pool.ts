/**
 * Ed25519 verification off the main thread for the Node shell: a pool of worker threads, each
 * verifying whole batches with node:crypto (the noble ZIP215 arbiter for anything it does not
 * accept, exactly the core's rule). Checks asked for during one turn of the event loop are
 * gathered and sent at its end (setImmediate) as packed messages of at most MAX_SHARE checks,
 * each worker holding at most WORKER_DEPTH of them, so the engine's thread pays a copy per check
 * instead of a WebCrypto job or a message. The core's `createBatchVerifier` in front adds a
 * verdict cache. Workers are unref'd (they never keep a process alive) and `close()` ends them.
 * Invariants: every check is answered exactly once, each batch's verdicts in its order; checks
 * left over when every worker is full wait, in arrival order, for the next worker that answers.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { type Ed25519Verifier, type SignatureCheck, verifierFrom } from '../../core/index.ts'

export interface VerifierPool extends Ed25519Verifier {
  readonly workers: number
  close(): Promise<void>
}

interface Job {
  readonly resolve: (verdicts: Uint8Array) => void
  readonly reject: (error: unknown) => void
}

/** Checks below which a turn's work is not split across workers (a message has a fixed cost). */
const MIN_SHARE = 16

/**
 * Most checks in one message to a worker (~10 ms of one core's work). Without a cap, a worker
 * that answered while the others were busy took everything gathered meanwhile, often hundreds of
 * checks: the other core then sat idle while the engine's thread waited for that one batch.
 * Measured with 4 masternodes on 2 cores (bench:throughput's single mode, 4,000 payments at
 * window 256 after a 1,000-payment warm-up run, three runs each): without the cap the machine was
 * idle 21–25% of the run instead of 19–20%, and finality reached 30–35% of the verify bound
 * instead of 34–37%.
 */
export const MAX_SHARE = 64

/**
 * Messages one worker holds at most: the one it verifies and one waiting in its port. A worker
 * that finishes while the engine's thread is busy starts on the next at once instead of idling
 * until that thread reads its answer. Measured as for MAX_SHARE, six runs each: the machine idle
 * 16–17% of the run instead of 18–20%, 31–43% of the verify bound (median 35%) against 30–39%
 * (median 33%) with one.
 */
export const WORKER_DEPTH = 2

/** The worker's URL: its .ts source when running from source, its .js when built. */
function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
  return new URL(`./verify-worker.${ext}`, import.meta.url)
}

function pack(checks: readonly SignatureCheck[]): ArrayBuffer {
  let size = 4
  for (const c of checks) size += 100 + c.message.length
  const buffer = new ArrayBuffer(size)
  const bytes = new Uint8Array(buffer)
  const view = new DataView(buffer)
  view.setUint32(0, checks.length, true)
  let at = 4
  for (const c of checks) {
    // Malformed lengths never reach a worker (verifyMany answers them here).
    bytes.set(c.signature, at)
    bytes.set(c.publicKey, at + 64)
    view.setUint32(at + 96, c.message.length, true)
    bytes.set(c.message, at + 100)
    at += 100 + c.message.length
  }
  return buffer
}

/**
 * The workers' nice value (19, the lowest priority): the event-loop thread, which every message
 * and every verdict passes through, then has a core whenever it has work, and the workers take
 * every cycle it leaves. Measured with 4 masternodes on 2 cores (bench:throughput): 1,228 against
 * 1,093 finalized tx/s at nice 0, the main thread's CPU per payment 551 against 593 µs.
 */
export const VERIFY_WORKER_NICE = 19

/**
 * `size` workers, by default twice the cores: with one batch in flight per worker, that keeps a
 * batch verifying on every core while the next one is gathered, so the engine's thread does not
 * wait on verification latency (measured: the engine thread ~96% busy instead of ~88%). Each
 * runs at nice `nice` (VERIFY_WORKER_NICE unless given; 0 keeps the process's priority).
 */
export function createVerifierPool(
  size = 2 * Math.max(1, availableParallelism()),
  nice = VERIFY_WORKER_NICE,
): VerifierPool {
  const workers = Array.from({ length: size }, () => {
    const w = new Worker(workerUrl(), { workerData: { nice } })
    w.unref()
    return w
  })
  const jobs = new Map<number, Job>()
  let nextId = 0
  /** Batches in flight per worker (at most WORKER_DEPTH). */
  const load = new Map<Worker, number>(workers.map((w) => [w, 0]))
  /** Checks gathered this turn, each with where its verdict goes. */
  let gathered: {
    check: SignatureCheck
    resolve: (ok: boolean) => void
    reject: (e: unknown) => void
  }[] = []
  let flushing = false
  for (const w of workers) {
    w.on('message', ({ id, verdicts }: { id: number; verdicts: Uint8Array }) => {
      const job = jobs.get(id)
      jobs.delete(id)
      job?.resolve(verdicts)
    })
    w.on('error', (error) => {
      for (const job of jobs.values()) job.reject(error)
      jobs.clear()
    })
  }

  function run(worker: Worker, checks: readonly SignatureCheck[]): Promise<Uint8Array> {
    const id = nextId++
    return new Promise((resolve, reject) => {
      jobs.set(id, { resolve, reject })
      const batch = pack(checks)
      worker.postMessage({ id, batch }, [batch])
    })
  }

  /** One entry per message the workers can take now, idle workers first. */
  function freeSlots(): Worker[] {
    const slots: Worker[] = []
    for (let depth = 0; depth < WORKER_DEPTH; depth++) {
      for (const w of workers) if (load.get(w)! <= depth) slots.push(w)
    }
    return slots
  }

  /**
   * Sends what was gathered to the free slots, a share each (no share below MIN_SHARE checks,
   * none above MAX_SHARE). A full worker gets nothing more: checks that arrive meanwhile, or that
   * did not fit, wait for the next worker that answers.
   */
  function flush(): void {
    flushing = false
    if (gathered.length === 0) return
    const free = freeSlots()
    if (free.length === 0) return
    const fits = free.length * MAX_SHARE
    const all = gathered.length <= fits ? gathered : gathered.slice(0, fits)
    gathered = gathered.length <= fits ? [] : gathered.slice(fits)
    const shares = Math.max(1, Math.min(free.length, Math.floor(all.length / MIN_SHARE)))
    const per = Math.ceil(all.length / shares)
    for (let at = 0, w = 0; at < all.length; at += per, w++) {
      const worker = free[w]!
      const share = all.slice(at, at + per)
      load.set(worker, load.get(worker)! + 1)
      run(
        worker,
        share.map((g) => g.check),
      ).then(
        (verdicts) => {
          load.set(worker, load.get(worker)! - 1)
          for (const [i, g] of share.entries()) g.resolve(verdicts[i] === 1)
          flush()
        },
        (error: unknown) => {
          load.set(worker, load.get(worker)! - 1)
          for (const g of share) g.reject(error)
          flush()
        },
      )
    }
  }

  /** The verdict on a well-formed check (verifierFrom answers malformed ones). */
  function verifyOne(check: SignatureCheck): Promise<boolean> {
    return new Promise((resolve, reject) => {
      gathered.push({ check, resolve, reject })
      if (!flushing) {
        flushing = true
        setImmediate(flush)
      }
    })
  }

  return {
    ...verifierFrom(async () => 'native+noble', verifyOne),
    workers: size,
    async close() {
      await Promise.all(workers.map((w) => w.terminate()))
      for (const job of jobs.values()) job.reject(new Error('the verifier pool is closed'))
      jobs.clear()
    },
  }
}
