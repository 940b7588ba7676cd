/**
 * The daemon's log: one plain line per event on stdout — `<ISO time> <LEVEL> <component>: <text>`
 * — at or above the configured level (`loglevel`). Components are named (`daemon`, `net`, `rpc`,
 * `engine`) so a line says where it came from. Invariants: a secret never reaches a line (callers
 * log `redactedSettings`, never keys or passwords); writing never throws (a closed stdout loses
 * lines, not the node).
 */
import { LOG_LEVELS, type LogLevel } from '../config/setting-specs.ts'

export interface Logger {
  trace(text: string): void
  debug(text: string): void
  info(text: string): void
  warn(text: string): void
  error(text: string): void
  fatal(text: string): void
  /** The same log under another component name. */
  child(component: string): Logger
  readonly level: LogLevel
}

export interface LineLoggerOptions {
  readonly level: LogLevel
  readonly component?: string
  /** Where lines go (default stdout). */
  readonly write?: (line: string) => void
  /** Unix milliseconds (default Date.now). */
  readonly now?: () => number
}

function stdoutWrite(line: string): void {
  try {
    process.stdout.write(line)
  } catch {
    // stdout closed (the devnet parent went away): the line is lost, the node goes on.
  }
}

export function lineLogger(options: LineLoggerOptions): Logger {
  const write = options.write ?? stdoutWrite
  const now = options.now ?? Date.now
  const threshold = LOG_LEVELS.indexOf(options.level)
  const component = options.component ?? 'daemon'
  const at =
    (level: Exclude<LogLevel, 'silent'>) =>
    (text: string): void => {
      if (LOG_LEVELS.indexOf(level) < threshold) return
      write(
        `${new Date(now()).toISOString()} ${level.toUpperCase().padEnd(5)} ${component}: ${text}\n`,
      )
    }
  return {
    level: options.level,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (name) => lineLogger({ ...options, component: name }),
  }
}
