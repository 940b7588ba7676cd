// The Node engine ports: the daemon's wall clock reads as Unix milliseconds (so vote batch and
// block timestamps mean the same in every process, and lock times survive a restart) yet never
// steps back, and timers on it fire when it reaches their time.
import { describe, expect, it } from 'vitest'
import { monotonicClock, timersOn, wallClock, wallTimers } from '../../src/node/engine-ports.ts'

describe('engine ports', () => {
  it('the wall clock is Unix time, unlike the monotonic one', () => {
    expect(Math.abs(wallClock() - Date.now())).toBeLessThan(1_000)
    expect(monotonicClock()).toBeLessThan(Date.now() / 2)
  })

  it('the wall clock never steps back', () => {
    let last = wallClock()
    for (let i = 0; i < 100_000; i++) {
      const now = wallClock()
      expect(now >= last).toBe(true)
      last = now
    }
  })

  it('a timer fires once its clock reaches its time, and a cancelled one never', async () => {
    const at = wallClock() + 30
    const fired = await new Promise<number>((resolve) =>
      wallTimers('t', at, () => resolve(wallClock())),
    )
    expect(fired).toBeGreaterThanOrEqual(at)
    let late = false
    const handle = timersOn(wallClock)('u', wallClock() + 10, () => {
      late = true
    })
    handle.cancel()
    await new Promise((r) => setTimeout(r, 30))
    expect(late).toBe(false)
  })

  it('a timer that wakes before its clock reaches its time waits for the rest', async () => {
    const start = performance.now()
    const halfSpeed = (): number => (performance.now() - start) / 2
    const at = halfSpeed() + 10
    const fired = await new Promise<number>((resolve) =>
      timersOn(halfSpeed)('slow', at, () => resolve(halfSpeed())),
    )
    expect(fired).toBeGreaterThanOrEqual(at)
  })
})
