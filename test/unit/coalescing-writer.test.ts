// The write side shared by committee links and wallet sessions (src/core/net/coalescing-writer.ts),
// against a fake sink: frames queued in one turn leave in one write, `send()` false holds further
// writes until `onDrain()`, a drain that never comes is reported once, and after `detach`/`close`
// nothing is written and no timer is left.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CoalescingWriter, type WriteSink } from '../../src/core/net/coalescing-writer.ts'

/** A sink that records writes and answers `send` from a script (true when the script is empty). */
class FakeSink implements WriteSink {
  readonly writes: number[][] = []
  writableNeedsDrain = false
  accept: boolean[] = []
  throwOnSend: Error | null = null
  send(bytes: Uint8Array): boolean {
    if (this.throwOnSend !== null) throw this.throwOnSend
    this.writes.push([...bytes])
    return this.accept.shift() ?? true
  }
}

/** A writer over a queue of one-byte frames, at most `perWrite` frames a write. */
function setup(perWrite = 100, drainTimeoutMs = 1_000) {
  const queue: number[] = []
  const events: string[] = []
  const counts = { writes: 0, frames: 0, bytes: 0, waits: 0 }
  let writable = true
  const sink = new FakeSink()
  const writer = new CoalescingWriter(
    {
      ready: () => queue.length > 0,
      take: () => {
        const frames = queue.splice(0, perWrite)
        return { bytes: Uint8Array.from(frames), frames: frames.length }
      },
      writable: () => writable,
      drainTimeoutMs,
      writeFailed: (error) => events.push(`failed:${(error as Error).message}`),
      drainTimedOut: () => events.push('drain-timeout'),
      written: (frames, bytes) => {
        counts.writes++
        counts.frames += frames
        counts.bytes += bytes
      },
      waiting: () => {
        counts.waits++
      },
    },
    sink,
  )
  const push = (...frames: number[]) => {
    queue.push(...frames)
    writer.schedule()
  }
  return {
    queue,
    events,
    counts,
    sink,
    writer,
    push,
    setWritable: (w: boolean) => {
      writable = w
    },
  }
}

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

afterEach(() => {
  vi.useRealTimers()
})

describe('CoalescingWriter', () => {
  it('writes everything queued in one turn as one write, at the end of the turn', async () => {
    const t = setup()
    t.push(1)
    t.push(2, 3)
    t.push(4)
    expect(t.sink.writes).toEqual([]) // not inside the turn that queued
    await turn()
    expect(t.sink.writes).toEqual([[1, 2, 3, 4]])
    expect(t.counts).toEqual({ writes: 1, frames: 4, bytes: 4, waits: 0 })
    t.push(5)
    await turn()
    expect(t.sink.writes).toEqual([[1, 2, 3, 4], [5]])
  })

  it('cuts a large turn into writes of what `take` returns, in order', async () => {
    const t = setup(2)
    t.push(1, 2, 3, 4, 5)
    await turn()
    expect(t.sink.writes).toEqual([[1, 2], [3, 4], [5]])
    expect(t.counts.writes).toBe(3)
  })

  it('flush() writes at once, without waiting for the end of the turn', () => {
    const t = setup()
    t.queue.push(7, 8)
    t.writer.flush()
    expect(t.sink.writes).toEqual([[7, 8]])
  })

  it('holds further writes after send() returns false until onDrain()', async () => {
    const t = setup(1)
    t.sink.accept = [true, false]
    t.push(1, 2, 3, 4)
    await turn()
    // The second write was taken by the sink but asked for a drain: nothing more goes out.
    expect(t.sink.writes).toEqual([[1], [2]])
    expect(t.writer.waitingForDrain).toBe(true)
    expect(t.counts.waits).toBe(1)
    t.push(5)
    await turn()
    expect(t.sink.writes).toEqual([[1], [2]])
    t.writer.onDrain()
    expect(t.writer.waitingForDrain).toBe(false)
    expect(t.sink.writes).toEqual([[1], [2], [3], [4], [5]])
    expect(t.queue).toEqual([])
    expect(t.events).toEqual([])
  })

  it('waits for drain before writing when the sink already needs one', async () => {
    const t = setup()
    t.sink.writableNeedsDrain = true
    t.push(1)
    await turn()
    expect(t.sink.writes).toEqual([])
    expect(t.writer.waitingForDrain).toBe(true)
    t.sink.writableNeedsDrain = false
    t.writer.onDrain()
    expect(t.sink.writes).toEqual([[1]])
  })

  it('reports a drain that does not come within the timeout, once', () => {
    vi.useFakeTimers()
    const t = setup(1, 500)
    t.sink.accept = [false]
    t.queue.push(1, 2)
    t.writer.flush()
    expect(t.sink.writes).toEqual([[1]])
    vi.advanceTimersByTime(499)
    expect(t.events).toEqual([])
    vi.advanceTimersByTime(1)
    expect(t.events).toEqual(['drain-timeout'])
    vi.advanceTimersByTime(5_000)
    expect(t.events).toEqual(['drain-timeout'])
  })

  it('a drain in time cancels the timeout', () => {
    vi.useFakeTimers()
    const t = setup(1, 500)
    t.sink.accept = [false]
    t.queue.push(1, 2)
    t.writer.flush()
    vi.advanceTimersByTime(400)
    t.writer.onDrain()
    vi.advanceTimersByTime(5_000)
    expect(t.events).toEqual([])
    expect(t.sink.writes).toEqual([[1], [2]])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('reports a send that throws and stops the flush', async () => {
    const t = setup(1)
    t.sink.throwOnSend = new Error('reset')
    t.push(1, 2)
    await turn()
    expect(t.events).toEqual(['failed:reset'])
    expect(t.counts.writes).toBe(0)
  })

  it('writes nothing while the owner says the sink is not writable', async () => {
    const t = setup()
    t.setWritable(false)
    t.push(1)
    await turn()
    expect(t.sink.writes).toEqual([])
    t.setWritable(true)
    t.push(2)
    await turn()
    expect(t.sink.writes).toEqual([[1, 2]])
  })

  it('close() stops every write and clears the drain timer', async () => {
    vi.useFakeTimers()
    const t = setup(1, 500)
    t.sink.accept = [false]
    t.queue.push(1, 2)
    t.writer.flush()
    expect(vi.getTimerCount()).toBe(1)
    t.writer.close()
    expect(t.writer.closed).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    t.writer.onDrain()
    t.push(3)
    t.writer.flush()
    await vi.runAllTimersAsync()
    expect(t.sink.writes).toEqual([[1]])
    expect(t.events).toEqual([])
  })

  it('detach() drops the wait for the old sink; attach() writes to the new one', () => {
    vi.useFakeTimers()
    const t = setup(1, 500)
    t.sink.accept = [false]
    t.queue.push(1, 2)
    t.writer.flush()
    t.writer.detach()
    expect(t.writer.waitingForDrain).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
    t.writer.flush()
    expect(t.sink.writes).toEqual([[1]])
    const next = new FakeSink()
    t.writer.attach(next)
    t.writer.flush()
    expect(next.writes).toEqual([[2]])
    expect(t.sink.writes).toEqual([[1]])
  })
})
