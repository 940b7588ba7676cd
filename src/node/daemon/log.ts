/**
 * The daemon's structured log (`pino`): one JSON object per line — `time` (ISO), `level` (its
 * name), `component` (`daemon`, `net`, `rpc`, `engine`, `sync`, `store`, `metrics`), `msg`, and
 * the event's own fields — at or above the configured level (`loglevel`, `--loglevel`). Lines go
 * to standard output (as plain text when it is a terminal, JSON otherwise) and, once the data
 * directory is locked, are appended as JSON to `<datadir>/<network>/logs/timecoin.log`.
 *
 * Invariants: a secret never reaches a line — the fields named in REDACTED_KEYS (passwords,
 * cookies, private keys, credentials) are replaced by `<redacted>` at any depth down to
 * REDACT_DEPTH, whatever object they are logged in; writing never throws (a closed stdout or a
 * full disk loses lines, not the node); a line is written whole with one system call, so lines
 * from a node never interleave in its file.
 */
import { closeSync, openSync, writeSync } from 'node:fs'
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino'
import type { LogLevel } from '../config/setting-specs.ts'

/** A component's log: `log.info('text')`, `log.info({ field }, 'text')`, `log.child(...)`. */
export type Logger = PinoLogger

/** The names a line's `component` takes. */
export const LOG_COMPONENTS = [
  'daemon',
  'net',
  'rpc',
  'engine',
  'sync',
  'store',
  'metrics',
] as const
export type LogComponent = (typeof LOG_COMPONENTS)[number]

/** The log file in the network's `logs` folder. */
export const LOG_FILE_NAME = 'timecoin.log'

/** Field names whose values are never logged, at any depth down to REDACT_DEPTH. */
export const REDACTED_KEYS = [
  'password',
  'rpcpassword',
  'rpcauth',
  'secretKey',
  'privateKey',
  'masternodeprivkey',
  'privkey',
  'seed',
  'mnemonic',
  'cookie',
  'credentials',
  'authorization',
] as const
/** How deep a secret is looked for: `settings.rpc.password` is at depth 3. */
export const REDACT_DEPTH = 4
export const REDACTED = '<redacted>'

/** `key`, `*.key`, `*.*.key`… down to REDACT_DEPTH, for each key. */
export function redactPaths(): string[] {
  const paths: string[] = []
  for (const key of REDACTED_KEYS)
    for (let depth = 0; depth < REDACT_DEPTH; depth++) paths.push(`${'*.'.repeat(depth)}${key}`)
  return paths
}

/** Each component log's root (pino repeats a field a child binds again, so children of the root). */
const roots = new WeakMap<Logger, Logger>()

/** The same log (same level and sinks) under a component's name. */
export function componentLog(log: Logger, component: LogComponent): Logger {
  const root = roots.get(log)
  if (root === undefined) return log.child({ component })
  const named = root.child({ component })
  roots.set(named, root)
  return named
}

export interface NodeLogOptions {
  readonly level: LogLevel
  /**
   * Standard output: `json` lines, plain `text` lines, or nothing. Default: text when stdout is a
   * terminal, JSON otherwise (a file, a pipe, a log collector).
   */
  readonly stdout?: 'json' | 'text' | false
  /** Another sink for each JSON line (tests). */
  readonly write?: (line: string) => void
  /** The component of the root log (default `daemon`). */
  readonly component?: LogComponent
}

/** The node's log and its sinks. */
export interface NodeLog {
  readonly log: Logger
  /**
   * Appends every later line (JSON) to `path` too, created owner-only (0600) — and, the first
   * time, the lines written before it (at most MAX_EARLY_LINES), so the file has the start-up.
   */
  openFile(path: string): void
  /**
   * Sends standard output's lines through `write` (a progress bar that must redraw after each),
   * or back to stdout with undefined.
   */
  divertStdout(write: ((line: string) => void) | undefined): void
  /** Closes the file; later lines go to standard output only. */
  close(): void
}

function safeStdout(line: string): void {
  try {
    process.stdout.write(line)
  } catch {
    // stdout closed (the devnet parent went away): the line is lost, the node goes on.
  }
}

const LEVEL_WIDTH = 5
/** Start-up lines kept for the log file until it opens (the data directory is locked). */
export const MAX_EARLY_LINES = 200

/** Fields every line has, left out of the text form's `key=value` tail. */
const OWN_FIELDS = new Set(['time', 'level', 'component', 'msg', 'pid', 'hostname'])

/** Whether `text` holds `value` as a whole word (`7` in "height 7", not in "block 17"). */
function shows(text: string, value: string): boolean {
  let at = text.indexOf(value)
  while (at >= 0) {
    const before = text[at - 1]
    const after = text[at + value.length]
    if (!/[\w.]/.test(before ?? ' ') && !/[\w.]/.test(after ?? ' ')) return true
    at = text.indexOf(value, at + 1)
  }
  return false
}

/** A JSON line as `<time> <LEVEL> <component>: <msg> key=value…` (for a terminal). */
export function textLine(json: string): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const msg = String(entry.msg ?? '')
  // A field whose value the message already shows is left out (`height 7 … height=7`).
  const rest = Object.entries(entry)
    .filter(([k]) => !OWN_FIELDS.has(k))
    .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as const)
    .filter(([, v]) => !shows(msg, v))
    .map(([k, v]) => ` ${k}=${v}`)
    .join('')
  const level = String(entry.level ?? '')
    .toUpperCase()
    .padEnd(LEVEL_WIDTH)
  return `${String(entry.time ?? '')} ${level} ${String(entry.component ?? '-')}: ${msg}${rest}\n`
}

/** The node's log: see the module comment. */
export function nodeLog(options: NodeLogOptions): NodeLog {
  const stdoutMode = options.stdout ?? (process.stdout.isTTY === true ? 'text' : 'json')
  let fd: number | undefined
  /** Lines written before the first file opened (start-up), for that file; then none. */
  let early: string[] | undefined = []
  let diverted: ((line: string) => void) | undefined
  const toStdout = (line: string): void => {
    if (stdoutMode === false) return
    const shown = stdoutMode === 'text' ? textLine(line) : line
    if (diverted === undefined) safeStdout(shown)
    else
      try {
        diverted(shown)
      } catch {
        safeStdout(shown)
      }
  }
  const destination: DestinationStream = {
    write(line: string): void {
      toStdout(line)
      if (fd === undefined) {
        if (early !== undefined && early.length < MAX_EARLY_LINES) early.push(line)
      } else
        try {
          writeSync(fd, line)
        } catch {
          // A full disk or a removed file: the line is lost here, stdout still has it.
        }
      options.write?.(line)
    },
  }
  const root = pino(
    {
      level: options.level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: REDACTED },
    },
    destination,
  )
  const log = root.child({ component: options.component ?? 'daemon' })
  roots.set(log, root)
  return {
    log,
    openFile(path) {
      if (fd !== undefined) closeSync(fd)
      fd = openSync(path, 'a', 0o600)
      const before = early?.join('') ?? ''
      early = undefined
      if (before !== '')
        try {
          writeSync(fd, before)
        } catch {
          // As for any line: lost here, stdout had it.
        }
    },
    divertStdout(write) {
      diverted = write
    },
    close() {
      if (fd === undefined) return
      const open = fd
      fd = undefined
      try {
        closeSync(open)
      } catch {
        // Already closed: nothing to lose.
      }
    },
  }
}
