/**
 * The operator's bans on disk, as bitcoind keeps its banlist: `<datadir>/<network>/banlist.json`,
 * `{ "version": 1, "bans": [{ "address": "203.0.113.0/24", "created": 1767225600, "until":
 * 1767312000 }] }` (unix seconds), replaced atomically at each change so a restart keeps them.
 * The defence layer's automatic entries are not saved (they end within the hour anyway).
 *
 * Invariants: at most one write in flight (saves queue, the last one wins); loading takes at most
 * `DEFAULT_MAX_BANS` well-formed entries still in force, from a file of at most 4 MiB; a file that
 * is not JSON of that shape is moved aside (`banlist.json.corrupt`) and the node starts with no
 * bans, saying so.
 */
import { readFile, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../datadir/atomic-file.ts'
import { type BanTarget, DEFAULT_MAX_BANS, parseBanTarget } from './ban-list.ts'

export const BAN_FILE_NAME = 'banlist.json'
export const BAN_FILE_VERSION = 1
const MAX_BAN_FILE_BYTES = 4 * 1024 * 1024

export interface SavedBan {
  readonly target: BanTarget
  /** Milliseconds since the epoch. */
  readonly created: number
  readonly until: number
}

export interface BanFileLoad {
  readonly bans: readonly SavedBan[]
  /** Why the file was set aside, when it was. */
  readonly setAside?: string
}

export class BanFile {
  readonly path: string
  #queue: Promise<void> = Promise.resolve()

  constructor(path: string) {
    this.path = path
  }

  /** The ban file of a network's data directory (`datadirLayout(…).dir`). */
  static inDir(dir: string): BanFile {
    return new BanFile(join(dir, BAN_FILE_NAME))
  }

  async load(now = Date.now()): Promise<BanFileLoad> {
    let text: string
    try {
      if ((await stat(this.path)).size > MAX_BAN_FILE_BYTES)
        return this.#setAside(`larger than ${MAX_BAN_FILE_BYTES} bytes`)
      text = await readFile(this.path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { bans: [] }
      throw e
    }
    let parsed: { version?: unknown; bans?: unknown }
    try {
      parsed = JSON.parse(text)
    } catch {
      return this.#setAside('not JSON')
    }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      parsed.version !== BAN_FILE_VERSION ||
      !Array.isArray(parsed.bans)
    )
      return this.#setAside(`not a version ${BAN_FILE_VERSION} ban list`)
    const bans: SavedBan[] = []
    for (const entry of parsed.bans as unknown[]) {
      if (bans.length >= DEFAULT_MAX_BANS) break
      const e = entry as { address?: unknown; created?: unknown; until?: unknown }
      if (typeof e !== 'object' || e === null || typeof e.address !== 'string') continue
      if (!Number.isSafeInteger(e.created) || !Number.isSafeInteger(e.until)) continue
      const target = parseBanTarget(e.address)
      const until = (e.until as number) * 1000
      if (target === undefined || until <= now) continue
      bans.push({ target, created: (e.created as number) * 1000, until })
    }
    return { bans }
  }

  /** Replaces the file with `bans` (queued behind any write in flight). */
  save(bans: readonly SavedBan[]): Promise<void> {
    const text = `${JSON.stringify(
      {
        version: BAN_FILE_VERSION,
        bans: bans.map((b) => ({
          address: b.target.text,
          created: Math.floor(b.created / 1000),
          until: Math.floor(b.until / 1000),
        })),
      },
      null,
      1,
    )}\n`
    const next = this.#queue.then(() => writeFileAtomic(this.path, text, { mode: 0o600 }))
    this.#queue = next.catch(() => {})
    return next
  }

  async #setAside(why: string): Promise<BanFileLoad> {
    await rename(this.path, `${this.path}.corrupt`)
    return { bans: [], setAside: `${this.path}: ${why}; moved to ${this.path}.corrupt` }
  }
}
