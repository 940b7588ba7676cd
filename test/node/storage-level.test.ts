import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { StorageError } from '../../src/core/storage/index.ts'
import { openLevelStore } from '../../src/node/storage/index.ts'
import { storeConformance } from '../storage/conformance.ts'

const tempDir = () => mkdtemp(join(tmpdir(), 'timecoin-level-'))

storeConformance(
  'LevelStore',
  async () => {
    const dir = await tempDir()
    const store = await openLevelStore(join(dir, 'db'))
    return {
      store,
      reopen: () => openLevelStore(join(dir, 'db')),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    }
  },
  { propertyRuns: 50 },
)

/** Opens `dir` with classic-level in another process and holds it until killed. */
async function holdInChild(dir: string): Promise<ChildProcess> {
  const classicLevel = pathToFileURL(createRequire(import.meta.url).resolve('classic-level')).href
  const script = `
    import { ClassicLevel } from ${JSON.stringify(classicLevel)}
    const db = new ClassicLevel(${JSON.stringify(dir)})
    await db.open()
    process.stdout.write('open\\n')
    setInterval(() => {}, 60_000)
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [chunk] = (await Promise.race([
    once(child.stdout!, 'data'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`child exited with ${code} before opening ${dir}`)
    }),
  ])) as [Buffer]
  expect(chunk.toString()).toBe('open\n')
  return child
}

describe('LevelStore locking', () => {
  const cleanups: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('refuses a directory another process holds, with STORE_LOCKED naming it', async () => {
    const dir = await tempDir()
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const child = await holdInChild(dir)
    const exited = once(child, 'exit')
    cleanups.push(async () => {
      child.kill('SIGKILL')
      await exited
    })

    const err = await openLevelStore(dir).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(StorageError)
    expect(err).toMatchObject({ code: 'STORE_LOCKED', domain: 'storage' })
    expect((err as Error).message).toContain(dir)
    expect((err as Error).message).toContain('another process')

    // A killed holder releases the lock: the directory opens again.
    child.kill('SIGKILL')
    await exited
    const store = await openLevelStore(dir)
    await store.close()
  })

  it('refuses a second store on the same directory in this process', async () => {
    const dir = await tempDir()
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const first = await openLevelStore(dir)
    cleanups.push(() => first.close())
    await expect(openLevelStore(dir)).rejects.toMatchObject({ code: 'STORE_LOCKED' })
  })
})
