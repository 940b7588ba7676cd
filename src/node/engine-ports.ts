/**
 * The Node shell's clocks and timers for an `EngineRuntime`. The engine reads one clock for two
 * things: timers (which need a clock that never jumps) and timestamps it writes into messages and
 * the store (vote batches, block headers, lock and mempool times — which other processes, and this
 * one after a restart, compare with their own clock, so they need wall time). `wallClock` is both:
 * `performance.timeOrigin` (the wall-clock time this process started) plus the monotonic
 * `performance.now()` — it never steps backwards within a process, and it reads as Unix
 * milliseconds, off from `Date.now()` only by what the system clock was stepped since the process
 * began. The daemon runs its engine on it; `monotonicClock` (from 0 at process start) is for tests
 * and benchmarks inside one process. Timers are unref'd, so pending engine timers never keep a
 * process alive on their own.
 */
import { performance } from 'node:perf_hooks'
import type { RuntimePorts } from '../core/index.ts'

/** Milliseconds since this process started; monotonic. Not comparable across processes. */
export const monotonicClock: RuntimePorts['clock'] = () => performance.now()

/** Unix milliseconds from a monotonic source: comparable across processes and restarts. */
export const wallClock: RuntimePorts['clock'] = () => performance.timeOrigin + performance.now()

/**
 * Timers on `clock`: `fire` runs once `clock()` has reached `at` (at once if it has passed).
 * Node's `setTimeout` counts whole milliseconds of its own loop time and can wake up to a
 * millisecond before `clock()` gets there, so an early wake-up waits again for the rest.
 */
export function timersOn(clock: RuntimePorts['clock']): RuntimePorts['timers'] {
  return (_id, at, fire) => {
    const wake = (): void => {
      const left = at - clock()
      if (left <= 0) return fire()
      timer = setTimeout(wake, left)
      timer.unref()
    }
    let timer = setTimeout(wake, Math.max(0, at - clock()))
    timer.unref()
    return { cancel: () => clearTimeout(timer) }
  }
}

/** Timers on `monotonicClock`. */
export const nodeTimers: RuntimePorts['timers'] = timersOn(monotonicClock)

/** Timers on `wallClock` (the daemon's). */
export const wallTimers: RuntimePorts['timers'] = timersOn(wallClock)
