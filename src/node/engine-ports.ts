/**
 * The Node shell's clock and timers for an `EngineRuntime`: the monotonic `performance.now()` and
 * `setTimeout`, unref'd so that pending engine timers never keep a process alive on their own.
 */
import { performance } from 'node:perf_hooks'
import type { RuntimePorts } from '../core/index.ts'

export const monotonicClock: RuntimePorts['clock'] = () => performance.now()

export const nodeTimers: RuntimePorts['timers'] = (_id, at, fire) => {
  const timer = setTimeout(fire, Math.max(0, at - performance.now()))
  timer.unref()
  return { cancel: () => clearTimeout(timer) }
}
