// A CPU profile of one running masternode process, for a chosen window: the child is started with
// `--inspect-port=0` in NODE_OPTIONS (nothing listens until asked), SIGUSR1 opens its inspector on
// a port the system picks (loopback only: Node binds 127.0.0.1), the address is read from the
// child's log ("Debugger listening on ws://127.0.0.1:…"), and the V8 profiler is started and
// stopped over the DevTools protocol on that WebSocket. The profile is summarized with
// bench/profile-summary.ts. Invariants: every wait is bounded; the socket is closed whatever fails.
import { readFile } from 'node:fs/promises'
import { type CpuProfile, type ProfileSummary, summarizeProfile } from '../profile-summary.ts'

/** What a masternode process's environment needs for `attachProfiler` to work later. */
export const INSPECT_OPTION = '--inspect-port=0'

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The inspector's WebSocket URL once the child's log shows it (after `fromOffset`). */
async function inspectorUrl(logFile: string, fromOffset: number, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const text = (await readFile(logFile, 'utf8')).slice(fromOffset)
    const found = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(text)
    if (found !== null) return found[1]!
    if (performance.now() > deadline)
      throw new Error(`no inspector address in ${logFile} within ${timeoutMs} ms`)
    await pause(50)
  }
}

export interface RunningProfile {
  /** Stops the profiler and summarizes what it sampled. */
  stop(top: number): Promise<{
    byFunction: ProfileSummary
    byFile: ProfileSummary
    samplingIntervalUs: number
  }>
  close(): void
}

/** Opens the inspector of process `pid` (logging to `logFile`) and starts the V8 profiler. */
export async function attachProfiler(
  pid: number,
  logFile: string,
  samplingIntervalUs = 1000,
  timeoutMs = 10_000,
): Promise<RunningProfile> {
  const offset = (await readFile(logFile, 'utf8')).length
  process.kill(pid, 'SIGUSR1')
  const url = await inspectorUrl(logFile, offset, timeoutMs)
  const socket = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('inspector: no connection')), timeoutMs)
    socket.addEventListener('open', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.addEventListener('error', () => {
      clearTimeout(timer)
      reject(new Error(`inspector: cannot connect to ${url}`))
    })
  })
  let next = 1
  const pending = new Map<number, (answer: { result?: unknown; error?: unknown }) => void>()
  socket.addEventListener('message', (event) => {
    const answer = JSON.parse(String(event.data)) as { id?: number; result?: unknown }
    if (answer.id !== undefined) pending.get(answer.id)?.(answer)
  })
  const post = (method: string, params: Record<string, unknown> = {}, waitMs = timeoutMs) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error(`inspector: ${method} unanswered`))
      }, waitMs)
      pending.set(id, (answer) => {
        clearTimeout(timer)
        pending.delete(id)
        if (answer.error !== undefined)
          reject(new Error(`inspector: ${method}: ${JSON.stringify(answer.error)}`))
        else resolve(answer.result)
      })
      socket.send(JSON.stringify({ id, method, params }))
    })
  const close = () => socket.close()
  try {
    await post('Profiler.enable')
    await post('Profiler.setSamplingInterval', { interval: samplingIntervalUs })
    await post('Profiler.start')
  } catch (e) {
    close()
    throw e
  }
  return {
    close,
    async stop(top) {
      try {
        const { profile } = (await post('Profiler.stop', {}, 60_000)) as { profile: CpuProfile }
        return {
          byFunction: summarizeProfile(profile, { top }),
          byFile: summarizeProfile(profile, { top: Math.ceil(top / 2), by: 'file' }),
          samplingIntervalUs,
        }
      } finally {
        close()
      }
    },
  }
}
