// What an operator sees of sync (src/node/daemon/sync-progress.ts): a progress bar on a terminal
// while the node catches up, log lines at most every `everyMs` otherwise, the milestones in the
// `sync` log, and nothing left listening after stop.
import { Writable } from 'node:stream'
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import type { SyncServiceEvents } from '../../../src/core/net/index.ts'
import type { SyncProgress } from '../../../src/core/sync/index.ts'
import { nodeLog } from '../../../src/node/daemon/log.ts'
import { catchingUp, logSync, syncProgress } from '../../../src/node/daemon/sync-progress.ts'

function progress(p: Partial<SyncProgress>): CustomEvent<SyncProgress> {
  return new CustomEvent('sync:progress', {
    detail: { phase: 'blocks', height: 0, target: 0, chunks: 0, totalChunks: 0, ...p },
  })
}

function captured() {
  const lines: string[] = []
  const logs = nodeLog({ level: 'info', stdout: false, write: (l) => lines.push(l) })
  const entries = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  return { logs, entries }
}

/** A terminal that records what is drawn on it. */
class FakeTerminal extends Writable {
  readonly isTTY: boolean
  readonly columns = 120
  text = ''
  constructor(isTTY: boolean) {
    super()
    this.isTTY = isTTY
  }
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString()
    done()
  }
}

describe('sync progress', () => {
  it('tells catching up from caught up', () => {
    expect(catchingUp(progress({ height: 3, target: 10 }).detail)).toBe(true)
    expect(catchingUp(progress({ height: 10, target: 10 }).detail)).toBe(false)
    expect(catchingUp(progress({ phase: 'snapshot', chunks: 1, totalChunks: 4 }).detail)).toBe(true)
    expect(catchingUp(progress({ phase: 'synced', height: 10, target: 10 }).detail)).toBe(false)
  })

  it('off a terminal, logs where it stands at most every everyMs (and at a phase change)', () => {
    const source = new TypedEventEmitter<SyncServiceEvents>()
    const { logs, entries } = captured()
    let now = 0
    const stream = new FakeTerminal(false)
    const display = syncProgress({ source, log: logs.log, stream, everyMs: 10_000, now: () => now })
    source.dispatchEvent(progress({ phase: 'snapshot', chunks: 1, totalChunks: 8, target: 50 }))
    source.dispatchEvent(progress({ height: 10, target: 100 }))
    now = 5_000
    source.dispatchEvent(progress({ height: 20, target: 100 }))
    now = 10_000
    source.dispatchEvent(progress({ height: 30, target: 100 }))
    now = 30_000
    source.dispatchEvent(progress({ height: 100, target: 100 }))
    expect(entries().map((e) => e.msg)).toEqual([
      'catching up: snapshot chunk 1 of 8',
      'catching up: block 10 of 100',
      'catching up: block 30 of 100',
    ])
    expect(entries()[2]).toMatchObject({ phase: 'blocks', height: 30, target: 100 })
    expect(display.drawing).toBe(false)
    expect(stream.text).toBe('')
    display.stop()
  })

  it('on a terminal, draws a bar while behind, prints log lines above it, and ends it once caught up', () => {
    const source = new TypedEventEmitter<SyncServiceEvents>()
    const { logs, entries } = captured()
    const diverted: (string | undefined)[] = []
    const stream = new FakeTerminal(true)
    const display = syncProgress({
      source,
      log: logs.log,
      stream,
      nodeLog: { divertStdout: (w) => diverted.push(w === undefined ? 'back' : 'diverted') },
    })
    source.dispatchEvent(progress({ height: 0, target: 100 }))
    expect(display.drawing).toBe(true)
    expect(diverted).toEqual(['diverted'])
    source.dispatchEvent(progress({ height: 40, target: 120 }))
    source.dispatchEvent(
      new CustomEvent('sync:synced', { detail: { height: 120, hash: new Uint8Array(32) } }),
    )
    expect(display.drawing).toBe(false)
    expect(diverted).toEqual(['diverted', 'back'])
    expect(stream.text).toContain('sync')
    expect(stream.text).toMatch(/block \d+\/1[02]0/)
    // No log lines on a terminal: the bar is the display.
    expect(entries()).toEqual([])
    // Behind again: a new bar; stop ends it and stops listening.
    source.dispatchEvent(progress({ height: 120, target: 130 }))
    expect(display.drawing).toBe(true)
    display.stop()
    expect(display.drawing).toBe(false)
    source.dispatchEvent(progress({ height: 121, target: 130 }))
    expect(display.drawing).toBe(false)
    expect(source.listenerCount('sync:progress')).toBe(0)
  })

  it('on a terminal, prints the log lines written while the bar is drawn above it, none lost', () => {
    const source = new TypedEventEmitter<SyncServiceEvents>()
    const stream = new FakeTerminal(true)
    // The node's real log, in its terminal form: its lines go through the bar while it is drawn.
    const logs = nodeLog({ level: 'info', stdout: 'text' })
    const display = syncProgress({ source, log: logs.log, stream, nodeLog: logs })
    source.dispatchEvent(progress({ height: 1, target: 50 }))
    logs.log.warn('a line while catching up')
    source.dispatchEvent(
      new CustomEvent('sync:synced', { detail: { height: 50, hash: new Uint8Array(32) } }),
    )
    expect(stream.text).toMatch(/WARN {2}daemon: a line while catching up/)
    display.stop()
  })

  it('logs the milestones: caught up, a snapshot installed, a peer penalized, halted', () => {
    const source = new TypedEventEmitter<SyncServiceEvents>()
    const { logs, entries } = captured()
    const stop = logSync(source, logs.log)
    const peer = peerIdFromString('12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA')
    source.dispatchEvent(
      new CustomEvent('sync:synced', { detail: { height: 7, hash: new Uint8Array(32) } }),
    )
    source.dispatchEvent(
      new CustomEvent('sync:installed', {
        detail: { tip: { height: 5, hash: new Uint8Array(32) }, records: 12 },
      }),
    )
    const error = Object.assign(new Error('bad block'), { code: 'BLOCK_INVALID' })
    source.dispatchEvent(
      new CustomEvent('sync:penalized', {
        detail: { peer, error },
      }) as SyncServiceEvents['sync:penalized'],
    )
    source.dispatchEvent(new CustomEvent('sync:halted', { detail: new Error('refused') }))
    // Following the chain: synced again at the next block is no news (debug)…
    source.dispatchEvent(
      new CustomEvent('sync:synced', { detail: { height: 9, hash: new Uint8Array(32) } }),
    )
    // …but caught up after being behind is.
    source.dispatchEvent(progress({ height: 9, target: 20 }))
    source.dispatchEvent(
      new CustomEvent('sync:synced', { detail: { height: 20, hash: new Uint8Array(32) } }),
    )
    stop()
    source.dispatchEvent(
      new CustomEvent('sync:synced', { detail: { height: 8, hash: new Uint8Array(32) } }),
    )
    expect(entries().map((e) => [e.level, e.msg])).toEqual([
      ['info', 'caught up: chain at height 7'],
      ['info', 'snapshot at height 5 installed (12 records)'],
      ['warn', `peer ${peer.toString()} served bad sync data: bad block`],
      ['error', expect.stringMatching(/^sync halted/)],
      ['info', 'caught up: chain at height 20'],
    ])
    expect(entries()[2]).toMatchObject({ code: 'BLOCK_INVALID', peer: peer.toString() })
  })
})
