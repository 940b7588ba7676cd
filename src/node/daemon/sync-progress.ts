/**
 * What an operator sees of sync (the sync service's events): `logSync` writes its milestones to
 * the `sync` log (caught up, a snapshot installed, a peer penalized, halted); `syncProgress` shows
 * a node catching up — a `cli-progress` bar on a terminal, else a log line at most every
 * `everyMs` — fed by `sync:progress`.
 *
 * Invariants: the bar exists only while the node is behind (phase `blocks` or `snapshot`) and is
 * stopped once it is caught up, halted, or the display is stopped; while the bar is drawn, the
 * log's terminal lines are printed above it (never through it) and go back to stdout after;
 * neither function changes the sync service, they only listen, and `stop` removes every listener.
 */
import { type MultiBar, Presets, MultiBar as ProgressBars, type SingleBar } from 'cli-progress'
import type { SyncServiceEvents } from '../../core/net/index.ts'
import type { SyncProgress } from '../../core/sync/index.ts'
import type { Logger, NodeLog } from './log.ts'

/** What is listened to: the sync service's events. */
export interface SyncEventSource {
  addEventListener<K extends keyof SyncServiceEvents>(
    type: K,
    listener: (event: SyncServiceEvents[K]) => void,
  ): void
  removeEventListener<K extends keyof SyncServiceEvents>(
    type: K,
    listener: (event: SyncServiceEvents[K]) => void,
  ): void
}

/** The least time between two progress lines in the log (not on a terminal). */
export const PROGRESS_LOG_EVERY_MS = 10_000

type Listeners = { [K in keyof SyncServiceEvents]?: (event: SyncServiceEvents[K]) => void }

function listen(source: SyncEventSource, listeners: Listeners): () => void {
  const entries = Object.entries(listeners) as [keyof SyncServiceEvents, (e: Event) => void][]
  for (const [type, fn] of entries) source.addEventListener(type, fn)
  return () => {
    for (const [type, fn] of entries) source.removeEventListener(type, fn)
  }
}

/**
 * Logs the sync milestones; returns the function that stops listening. A node following the chain
 * is "synced" at each block: that is logged at debug, and at info only the first time and after
 * it was behind.
 */
export function logSync(source: SyncEventSource, log: Logger): () => void {
  let behind = true
  return listen(source, {
    'sync:progress': (e) => {
      if (catchingUp(e.detail)) behind = true
    },
    'sync:synced': (e) => {
      const text = `caught up: chain at height ${e.detail.height}`
      if (behind) log.info({ height: e.detail.height }, text)
      else log.debug({ height: e.detail.height }, text)
      behind = false
    },
    'sync:installed': (e) =>
      log.info(
        { height: e.detail.tip.height, records: e.detail.records },
        `snapshot at height ${e.detail.tip.height} installed (${e.detail.records} records)`,
      ),
    'sync:penalized': (e) =>
      log.warn(
        { peer: e.detail.peer.toString(), code: e.detail.error.code },
        `peer ${e.detail.peer.toString()} served bad sync data: ${e.detail.error.message}`,
      ),
    'sync:halted': (e) =>
      log.error(
        { err: e.detail },
        'sync halted: the engine refused certified blocks (this node’s state is wrong; see OPERATIONS.md, Backups and restore)',
      ),
  })
}

/** Whether a progress report says the node is still catching up. */
export function catchingUp(p: SyncProgress): boolean {
  if (p.phase === 'blocks') return p.height < p.target
  return p.phase === 'snapshot'
}

export interface SyncProgressOptions {
  readonly source: SyncEventSource
  readonly log: Logger
  /** The node's log, whose terminal lines are printed above the bar while it is drawn. */
  readonly nodeLog?: Pick<NodeLog, 'divertStdout'>
  /** Where the bar is drawn; a bar only if it is a terminal (default process.stdout). */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  readonly everyMs?: number
  /** Milliseconds (default Date.now). */
  readonly now?: () => number
}

export interface SyncProgressDisplay {
  /** Whether a bar is drawn now. */
  readonly drawing: boolean
  stop(): void
}

function barFormat(phase: 'blocks' | 'snapshot'): string {
  return phase === 'blocks'
    ? 'sync     |{bar}| {percentage}% | block {value}/{total} | eta {eta_formatted}'
    : 'snapshot |{bar}| {percentage}% | chunk {value}/{total} | eta {eta_formatted}'
}

/** Shows sync progress while the node catches up (see the module comment). */
export function syncProgress(options: SyncProgressOptions): SyncProgressDisplay {
  const stream = options.stream ?? process.stdout
  const tty = stream.isTTY === true
  const everyMs = options.everyMs ?? PROGRESS_LOG_EVERY_MS
  const now = options.now ?? Date.now
  let bars: MultiBar | undefined
  let bar: SingleBar | undefined
  let barPhase: SyncProgress['phase'] | undefined
  let lastLine = Number.NEGATIVE_INFINITY
  let lastPhase: SyncProgress['phase'] | undefined

  const endBar = (): void => {
    if (bars === undefined) return
    // A redraw first: it prints the log lines still waiting above the bar (stop would drop them).
    bars.update()
    bars.stop()
    bars = undefined
    bar = undefined
    barPhase = undefined
    options.nodeLog?.divertStdout(undefined)
  }
  const draw = (p: SyncProgress): void => {
    const phase = p.phase === 'snapshot' ? 'snapshot' : 'blocks'
    const value = phase === 'blocks' ? p.height : p.chunks
    const total = phase === 'blocks' ? p.target : p.totalChunks
    if (bar !== undefined && barPhase === phase) {
      bar.setTotal(total)
      bar.update(value)
      return
    }
    endBar()
    bars = new ProgressBars(
      {
        stream,
        format: barFormat(phase),
        hideCursor: true,
        clearOnComplete: false,
        gracefulExit: false,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    )
    bar = bars.create(total, value)
    barPhase = phase
    const shown = bars
    // Log lines ride above the bar: MultiBar.log prints them before its next redraw.
    options.nodeLog?.divertStdout((line) => shown.log(line))
  }
  const logLine = (p: SyncProgress): void => {
    const t = now()
    if (t - lastLine < everyMs && p.phase === lastPhase) return
    lastLine = t
    lastPhase = p.phase
    if (p.phase === 'snapshot')
      options.log.info(
        { phase: p.phase, chunks: p.chunks, totalChunks: p.totalChunks, target: p.target },
        `catching up: snapshot chunk ${p.chunks} of ${p.totalChunks}`,
      )
    else
      options.log.info(
        { phase: p.phase, height: p.height, target: p.target },
        `catching up: block ${p.height} of ${p.target}`,
      )
  }
  const unlisten = listen(options.source, {
    'sync:progress': (e) => {
      const p = e.detail
      if (!catchingUp(p)) {
        endBar()
        return
      }
      if (tty) draw(p)
      else logLine(p)
    },
    'sync:synced': () => endBar(),
    'sync:halted': () => endBar(),
  })
  return {
    get drawing() {
      return bar !== undefined
    },
    stop() {
      unlisten()
      endBar()
    },
  }
}
