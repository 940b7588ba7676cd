/**
 * A batching, remembering front for an Ed25519Verifier. Checks submitted during one turn (until
 * the scheduled flush, a microtask by default) go to the wrapped verifier's `verifyMany` together,
 * in calls of at most `maxBatch` checks; each caller gets its own promise. A bounded verdict cache
 * (two generations of at most `cacheEntries / 2` each: a hit in the old one moves to the new one,
 * and a full new one retires the old) answers a signature seen again — a vote batch delivered by
 * several peers, a re-sent message — without verifying it twice, and a check already in flight
 * waits for that verification instead of starting another.
 *
 * Verdicts are the wrapped verifier's: the cache key is the exact (signature, public key,
 * message) — messages above 256 bytes by their SHA-256 — so a remembered verdict is one the
 * verifier gave for the same triple. A failed `verifyMany` rejects its checks and caches none.
 * Isomorphic: no timers beyond `queueMicrotask`; a shell may pass its own `schedule`.
 */
import {
  type Ed25519Verifier,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  type SignatureCheck,
  verifierFrom,
} from './ed25519.ts'
import { sha256 } from './sha256.ts'

export interface BatchVerifierOptions {
  /** Most checks in one `verifyMany` call (default 256). */
  readonly maxBatch?: number
  /** Verdicts remembered at most, in-flight ones included (default 16,384; 0: no cache). */
  readonly cacheEntries?: number
  /** Runs `flush` once the current turn's checks are in (default `queueMicrotask`). */
  readonly schedule?: (flush: () => void) => void
}

export interface BatchVerifierStats {
  /** Checks asked for (every `verify`, `check` and each check of `verifyMany`). */
  readonly submitted: number
  /** Answered from a remembered verdict. */
  readonly cacheHits: number
  /** Joined a verification of the same triple still in flight. */
  readonly inFlightHits: number
  /** Handed to the wrapped verifier. */
  readonly verified: number
  /** `verifyMany` calls made. */
  readonly batches: number
  /** Verdicts remembered now (at most `cacheEntries`). */
  readonly cached: number
}

export interface BatchVerifier extends Ed25519Verifier {
  stats(): BatchVerifierStats
}

export const DEFAULT_VERIFY_BATCH = 256
export const DEFAULT_VERDICT_CACHE_ENTRIES = 16_384
/** Messages up to this many bytes are part of the cache key as they are; longer ones by hash. */
const EXACT_MESSAGE_MAX = 256

interface Pending {
  readonly check: SignatureCheck
  /** The cache key, or null when the check is not cached. */
  readonly key: string | null
  /** The promise its callers hold, and how it is settled. */
  readonly verdict: Promise<boolean>
  readonly resolve: (valid: boolean) => void
  readonly reject: (error: unknown) => void
}

/**
 * A remembered verdict: the promise while it is being verified, the answer once it is known (a
 * plain boolean, so that no settled promise is kept alive for the cache's lifetime).
 */
type Remembered = boolean | Promise<boolean>

/** Scratch for building cache keys: signature ‖ public key ‖ message (or its hash), padded. */
const keyBytes = new Uint8Array(SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH + EXACT_MESSAGE_MAX + 2)
const keyUnits = new Uint16Array(keyBytes.buffer)

/**
 * The exact triple as a string of UTF-16 code units (two bytes each), led by the message's form
 * and length so that no two triples share a key. Null for malformed lengths (never cached).
 */
function cacheKey(c: SignatureCheck): string | null {
  if (c.signature.length !== SIGNATURE_LENGTH || c.publicKey.length !== PUBLIC_KEY_LENGTH)
    return null
  const exact = c.message.length <= EXACT_MESSAGE_MAX
  const m = exact ? c.message : sha256(c.message)
  const head = SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH
  keyBytes.set(c.signature, 0)
  keyBytes.set(c.publicKey, SIGNATURE_LENGTH)
  keyBytes.set(m, head)
  const end = head + m.length
  keyBytes[end] = 0
  const form = exact ? c.message.length : 0xffff
  return (
    String.fromCharCode(form) +
    String.fromCharCode.apply(null, keyUnits.subarray(0, (end + 1) >>> 1) as unknown as number[])
  )
}

export function createBatchVerifier(
  verifier: Ed25519Verifier,
  opts: BatchVerifierOptions = {},
): BatchVerifier {
  const maxBatch = opts.maxBatch ?? DEFAULT_VERIFY_BATCH
  const cacheEntries = opts.cacheEntries ?? DEFAULT_VERDICT_CACHE_ENTRIES
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1)
    throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`)
  if (!Number.isSafeInteger(cacheEntries) || cacheEntries < 0)
    throw new RangeError(`cacheEntries must be a whole number, got ${cacheEntries}`)
  const schedule = opts.schedule ?? ((f: () => void) => queueMicrotask(f))
  /** Each generation holds at most half the entries, so both together hold at most all. */
  const generation = Math.floor(cacheEntries / 2)
  let young = new Map<string, Remembered>()
  let old = new Map<string, Remembered>()
  let queue: Pending[] = []
  let scheduled = false
  let submitted = 0
  let cacheHits = 0
  let inFlightHits = 0
  let verified = 0
  let batches = 0

  function remember(key: string, verdict: Remembered): void {
    if (generation === 0) return
    if (young.size >= generation) {
      old = young
      young = new Map()
    }
    young.set(key, verdict)
  }

  function lookup(key: string): Remembered | undefined {
    const hit = young.get(key)
    if (hit !== undefined) return hit
    const aged = old.get(key)
    if (aged !== undefined) {
      old.delete(key)
      remember(key, aged)
    }
    return aged
  }

  function forget(key: string, verdict: Promise<boolean>): void {
    if (young.get(key) === verdict) young.delete(key)
    if (old.get(key) === verdict) old.delete(key)
  }

  /** The verifier answered `p`: the cache keeps the answer in place of the promise. */
  function settle(p: Pending, valid: boolean): void {
    const key = p.key
    if (key !== null) {
      if (young.get(key) === p.verdict) young.set(key, valid)
      else if (old.get(key) === p.verdict) old.set(key, valid)
    }
    p.resolve(valid)
  }

  /** The verifier failed `p`: nothing is remembered for it. */
  function fail(p: Pending, error: unknown): void {
    if (p.key !== null) forget(p.key, p.verdict)
    p.reject(error)
  }

  function runBatch(batch: readonly Pending[]): void {
    batches++
    verified += batch.length
    let call: Promise<boolean[]>
    try {
      call = verifier.verifyMany(batch.map((p) => p.check))
    } catch (e) {
      call = Promise.reject(e)
    }
    call.then(
      (verdicts) => {
        for (let i = 0; i < batch.length; i++) settle(batch[i]!, verdicts[i] === true)
      },
      (error: unknown) => {
        for (const p of batch) fail(p, error)
      },
    )
  }

  function flush(): void {
    scheduled = false
    const pending = queue
    queue = []
    for (let i = 0; i < pending.length; i += maxBatch) runBatch(pending.slice(i, i + maxBatch))
  }

  function submit(check: SignatureCheck): Promise<boolean> {
    submitted++
    const key = generation === 0 ? null : cacheKey(check)
    if (key !== null) {
      const known = lookup(key)
      if (typeof known === 'boolean') {
        cacheHits++
        return Promise.resolve(known)
      }
      if (known !== undefined) {
        inFlightHits++
        return known
      }
    }
    let resolve!: (valid: boolean) => void
    let reject!: (error: unknown) => void
    const verdict = new Promise<boolean>((res, rej) => {
      resolve = res
      reject = rej
    })
    queue.push({ check, key, verdict, resolve, reject })
    if (key !== null) remember(key, verdict)
    if (!scheduled) {
      scheduled = true
      schedule(flush)
    }
    return verdict
  }

  // Malformed inputs are answered by verifierFrom, never queued.
  return {
    ...verifierFrom(() => verifier.backend(), submit),
    stats() {
      return {
        submitted,
        cacheHits,
        inFlightHits,
        verified,
        batches,
        cached: young.size + old.size,
      }
    },
  }
}
