/**
 * The peer book on disk (the Node shell's `PeerBookStore`): one JSON file,
 * `{ "version": 1, "peers": [PeerRecord…] }`, replaced atomically — written whole to a temporary
 * file beside it, flushed, then renamed over it — so a crash leaves the old book or the new one,
 * never half of either. Loading takes only well-formed records, at most `maxEntries`; the book
 * checks each again. A file that is not JSON of that shape is moved aside (`<file>.corrupt`) and
 * the node starts from `addnode` alone.
 *
 * Invariants: at most one write in flight (saves queue); the temporary file never outlives a save.
 */
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import {
  DEFAULT_BOOK_ENTRIES,
  type PeerBookStore,
  type PeerRecord,
} from '../../core/net/discovery/index.ts'
import { syncDirectory } from '../datadir/atomic-file.ts'

export const PEER_BOOK_FILE_VERSION = 1
/** The largest file read (4,096 records of 8 addresses fit many times over). */
export const MAX_PEER_BOOK_FILE_BYTES = 16 * 1024 * 1024

export interface FilePeerBookStoreOptions {
  /** Records loaded at most (default: the book's default bound, 2,048). */
  readonly maxEntries?: number
  /** Flush to disk before the rename (default true; tests may skip it). */
  readonly sync?: boolean
}

export class FilePeerBookStore implements PeerBookStore {
  readonly path: string
  readonly #maxEntries: number
  readonly #sync: boolean
  #queue: Promise<void> = Promise.resolve()

  constructor(path: string, options: FilePeerBookStoreOptions = {}) {
    this.path = path
    this.#maxEntries = options.maxEntries ?? DEFAULT_BOOK_ENTRIES
    this.#sync = options.sync ?? true
  }

  async load(): Promise<readonly PeerRecord[]> {
    let text: string
    try {
      const file = await open(this.path, 'r')
      try {
        const { size } = await file.stat()
        if (size > MAX_PEER_BOOK_FILE_BYTES) return await this.#setAside()
        text = await file.readFile('utf8')
      } finally {
        await file.close()
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return this.#setAside()
    }
    const book = parsed as { version?: unknown; peers?: unknown }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      book.version !== PEER_BOOK_FILE_VERSION ||
      !Array.isArray(book.peers)
    )
      return this.#setAside()
    // The shapes only; the book checks ids and addresses (checkRecord).
    return (book.peers as unknown[])
      .slice(0, this.#maxEntries)
      .filter((p): p is PeerRecord => typeof p === 'object' && p !== null) as PeerRecord[]
  }

  save(records: readonly PeerRecord[]): Promise<void> {
    const next = this.#queue.then(() => this.#write(records))
    this.#queue = next.catch(() => {})
    return next
  }

  async #write(records: readonly PeerRecord[]): Promise<void> {
    const body = JSON.stringify({ version: PEER_BOOK_FILE_VERSION, peers: records }, null, 1)
    const temp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`)
    try {
      const file = await open(temp, 'w', 0o600)
      try {
        await file.writeFile(body, 'utf8')
        if (this.#sync) await file.sync()
      } finally {
        await file.close()
      }
      await rename(temp, this.path)
    } catch (error) {
      await rm(temp, { force: true })
      throw error
    }
    if (this.#sync) await syncDirectory(dirname(this.path))
  }

  async #setAside(): Promise<readonly PeerRecord[]> {
    await rename(this.path, `${this.path}.corrupt`).catch(() => {})
    return []
  }
}
