/**
 * Files replaced whole or not at all: written to a temporary file beside the target (created
 * with its final mode, never readable by others on the way), flushed, then renamed over it, so a
 * crash leaves the old file or the new one, never a mix — what the cookie, key files and genesis
 * files need. Invariants: the mode is set before a byte is written and again explicitly (umask
 * cannot loosen it); the temporary file never outlives a failed write.
 */
import { randomBytes } from 'node:crypto'
import { chmod, link, open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export interface AtomicWriteOptions {
  /** File mode (default 0o600: only the owner reads it). */
  readonly mode?: number
  /** Flush the file and its directory (default true). */
  readonly sync?: boolean
  /** Refuse to replace an existing file (EEXIST) — for keys, which must never be clobbered. */
  readonly exclusive?: boolean
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o600
  const sync = options.sync ?? true
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const file = await open(temp, 'wx', mode)
    try {
      await file.chmod(mode)
      await file.writeFile(data)
      if (sync) await file.sync()
    } finally {
      await file.close()
    }
    // link() fails when the target exists, where rename() would replace it.
    if (options.exclusive === true) await link(temp, path)
    else await rename(temp, path)
  } finally {
    await rm(temp, { force: true })
  }
  if (sync) await syncDirectory(dirname(path))
}

/** Sets `path`'s mode (a no-op where modes mean nothing, as on Windows). */
export async function restrictMode(path: string, mode: number): Promise<void> {
  if (process.platform !== 'win32') await chmod(path, mode)
}

/** Makes a rename durable (a no-op where directories cannot be opened, as on Windows). */
export async function syncDirectory(path: string): Promise<void> {
  let dir: Awaited<ReturnType<typeof open>> | undefined
  try {
    dir = await open(path, 'r')
    await dir.sync()
  } catch {
    // Not supported here: the rename is still atomic, only perhaps not yet durable.
  } finally {
    await dir?.close()
  }
}
