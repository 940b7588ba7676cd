// The Node shell's verifiers (the worker pool, and the same-thread one) must give every
// conformance vector the ZIP215 verdict, as every other backend does, one by one and in batches;
// the pool answers a turn larger than its workers hold at once, each verdict in its place, ends
// its workers on close, and runs them at the lowest priority (on Linux, where each thread has its
// own nice value).
import { readdirSync, readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { createThreadVerifier } from '../../src/node/crypto/native-verify.ts'
import {
  createVerifierPool,
  MAX_SHARE,
  VERIFY_WORKER_NICE,
  WORKER_DEPTH,
} from '../../src/node/crypto/verifier-pool.ts'
import { suites } from '../support/ed25519-vectors.ts'

describe('createVerifierPool', () => {
  const pool = createVerifierPool(2)
  afterAll(() => pool.close())

  for (const [suite, cases] of Object.entries(suites)) {
    it(`${suite}: verifyMany gives every ZIP215 verdict`, async () => {
      expect(await pool.verifyMany(cases)).toEqual(cases.map((c) => c.expected))
    })
  }

  it('answers one check at a time too, with a typed error for an invalid signature', async () => {
    const [good, bad] = [suites.rfc8032![0]!, suites.wycheproof!.find((c) => !c.expected)!]
    expect(await pool.verify(good.signature, good.message, good.publicKey)).toBe(true)
    await expect(pool.assertValid(bad.signature, bad.message, bad.publicKey)).rejects.toMatchObject(
      { code: expect.any(String) },
    )
  })

  it.runIf(process.platform === 'linux')(
    "runs its workers at a lower priority than the process's own threads",
    async () => {
      // /proc/self/task/<tid>/stat: the 19th field is the thread's nice value.
      const niceOf = (tid: string) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
      }
      const niceCounts = () => {
        const counts = new Map<number, number>()
        for (const tid of readdirSync('/proc/self/task')) {
          let n: number
          try {
            n = niceOf(tid)
          } catch {
            continue // a thread that ended since the listing
          }
          counts.set(n, (counts.get(n) ?? 0) + 1)
        }
        return counts
      }
      // Both workers have verified by now, so both have set their priority.
      await pool.verifyMany(Array.from({ length: 64 }, () => suites.rfc8032![0]!))
      const before = niceCounts().get(VERIFY_WORKER_NICE) ?? 0
      expect(before).toBeGreaterThanOrEqual(2)
      expect(niceOf(String(process.pid))).toBeLessThan(VERIFY_WORKER_NICE)
      const plain = createVerifierPool(2, 0)
      try {
        await plain.verifyMany(Array.from({ length: 64 }, () => suites.rfc8032![0]!))
        expect(niceCounts().get(VERIFY_WORKER_NICE) ?? 0).toBe(before)
      } finally {
        await plain.close()
      }
    },
  )

  it('answers a turn larger than its workers take at once, each check in its own place', async () => {
    // One worker holds WORKER_DEPTH messages of MAX_SHARE checks: the rest waits for its answers.
    const single = createVerifierPool(1)
    try {
      const good = suites.rfc8032![0]!
      const bad = suites.wycheproof!.find((c) => !c.expected)!
      const batch = (n: number, badEvery: number) =>
        Array.from({ length: n }, (_, i) => (i % badEvery === 0 ? bad : good))
      const turn = WORKER_DEPTH * MAX_SHARE
      const calls = [batch(turn + MAX_SHARE + 7, 5), batch(MAX_SHARE + 1, 3), batch(2, 2)]
      const verdicts = await Promise.all(calls.map((c) => single.verifyMany(c)))
      expect(verdicts).toEqual(calls.map((c) => c.map((check) => check === good)))
    } finally {
      await single.close()
    }
  })

  it('answers malformed inputs false (never a worker), and an empty batch with nothing', async () => {
    const good = suites.rfc8032![0]!
    expect(await pool.verifyMany([])).toEqual([])
    expect(
      await pool.verifyMany([
        { ...good, signature: good.signature.subarray(0, 63) },
        { ...good, publicKey: new Uint8Array(31) },
        good,
      ]),
    ).toEqual([false, false, true])
  })
})

describe('createThreadVerifier', () => {
  const verifier = createThreadVerifier()
  for (const [suite, cases] of Object.entries(suites)) {
    it(`${suite}: every ZIP215 verdict, one by one and in a batch`, async () => {
      const expected = cases.map((c) => c.expected)
      expect(await verifier.verifyMany(cases)).toEqual(expected)
      const one: boolean[] = []
      for (const c of cases) one.push(await verifier.verify(c.signature, c.message, c.publicKey))
      expect(one).toEqual(expected)
    })
  }
})
