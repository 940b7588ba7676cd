// The data directory: its layout and modes, the instance lock (a second instance refused with a
// clear message — in this process and from another one — and released by kill -9), key files
// (0600, never overwritten, refused when others can read them or they do not add up) and atomic
// replacement.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { bytesToHex, generateKeyPair } from '../../../src/core/index.ts'
import {
  datadirLayout,
  keyFileText,
  loadKeyFile,
  lockDatadir,
  prepareDatadir,
  saveKeyFile,
  writeFileAtomic,
} from '../../../src/node/datadir/index.ts'
import { DatadirError } from '../../../src/node/errors.ts'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'timecoin-datadir-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const datadirModule = pathToFileURL(
  join(import.meta.dirname, '../../../src/node/datadir/index.ts'),
).href

/** Locks `root`'s devnet folder in another process, holding it until killed; resolves once locked. */
async function lockInChild(root: string): Promise<ChildProcess> {
  const script = `
    import { datadirLayout, lockDatadir } from ${JSON.stringify(datadirModule)}
    await lockDatadir(datadirLayout(${JSON.stringify(root)}, 'devnet'))
    process.stdout.write('locked\\n')
    setInterval(() => {}, 60_000)
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = once(child, 'exit')
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const timeout = AbortSignal.timeout(15_000)
  const [chunk] = (await Promise.race([
    once(child.stdout!, 'data', { signal: timeout }),
    exited.then(([code]) => {
      throw new Error(`child exited with ${code} before locking ${root}`)
    }),
  ])) as [Buffer]
  expect(chunk.toString()).toBe('locked\n')
  return child
}

async function refusal(p: Promise<unknown>): Promise<DatadirError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(DatadirError)
  return e as DatadirError
}

describe('data directory', () => {
  it('lays out one folder per network, created owner-only', async () => {
    const root = await tempRoot()
    const layout = datadirLayout(root, 'testnet')
    expect(layout).toEqual({
      root,
      network: 'testnet',
      dir: join(root, 'testnet'),
      chaindata: join(root, 'testnet/chaindata'),
      keys: join(root, 'testnet/keys'),
      masternodeKey: join(root, 'testnet/keys/masternode.key'),
      nodeKey: join(root, 'testnet/keys/node.key'),
      peers: join(root, 'testnet/peers.json'),
      logs: join(root, 'testnet/logs'),
      cookie: join(root, 'testnet/.cookie'),
      pidFile: join(root, 'testnet/timecoin.pid'),
    })
    await prepareDatadir(layout)
    for (const dir of [layout.dir, layout.keys, layout.logs])
      expect((await stat(dir)).mode & 0o777).toBe(0o700)
    // A file where the network folder should be is a clear error.
    const other = await tempRoot()
    await writeFile(join(other, 'devnet'), 'not a folder')
    const e = await refusal(prepareDatadir(datadirLayout(other, 'devnet')))
    expect(e.code).toBe('DATADIR_UNUSABLE')
    expect(e.message).toContain(join(other, 'devnet'))
  })

  it('refuses a second instance in this process, and lets the directory go on release', async () => {
    const root = await tempRoot()
    const layout = datadirLayout(root, 'devnet')
    const lock = await lockDatadir(layout)
    cleanups.push(() => lock.release())
    expect(await readFile(layout.pidFile, 'utf8')).toBe(`${process.pid}\n`)
    const e = await refusal(lockDatadir(layout))
    expect(e.code).toBe('DATADIR_LOCKED')
    expect(e.message).toBe(
      `the data directory ${layout.dir} is in use by this process (it is already open here): stop that node first, or give this one another --datadir`,
    )
    await lock.release()
    await lock.release()
    await expect(stat(layout.pidFile)).rejects.toMatchObject({ code: 'ENOENT' })
    const again = await lockDatadir(layout)
    await again.release()
  })

  it('refuses a second instance while another process holds the directory; kill -9 frees it', async () => {
    const root = await tempRoot()
    const layout = datadirLayout(root, 'devnet')
    const child = await lockInChild(root)
    const e = await refusal(lockDatadir(layout))
    expect(e.code).toBe('DATADIR_LOCKED')
    expect(e.message).toContain(`in use by another timecoin process (pid ${child.pid})`)
    expect(e.message).toContain(layout.dir)

    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
    // The kernel dropped the dead process's lock: no stale lock, though its pid file remains.
    expect(await readFile(layout.pidFile, 'utf8')).toBe(`${child.pid}\n`)
    const lock = await lockDatadir(layout)
    expect(await readFile(layout.pidFile, 'utf8')).toBe(`${process.pid}\n`)
    await lock.release()
  })

  it('saves key files 0600, never over an existing one, and loads them back', async () => {
    const root = await tempRoot()
    const path = join(root, 'masternode.key')
    const pair = generateKeyPair()
    await saveKeyFile(path, { ...pair, role: 'masternode', network: 'devnet' })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const loaded = await loadKeyFile(path, { role: 'masternode', network: 'devnet' })
    expect(bytesToHex(loaded.secretKey)).toBe(bytesToHex(pair.secretKey))
    expect(bytesToHex(loaded.publicKey)).toBe(bytesToHex(pair.publicKey))
    const json = JSON.parse(await readFile(path, 'utf8'))
    expect(json).toMatchObject({
      format: 'timecoin-key',
      version: 1,
      role: 'masternode',
      network: 'devnet',
    })
    expect(json.address).toMatch(/^TIME0/)

    const again = await refusal(
      saveKeyFile(path, { ...generateKeyPair(), role: 'masternode', network: 'devnet' }),
    )
    expect(again.code).toBe('KEY_FILE_INVALID')
    expect(again.message).toContain('already exists')
    expect((await loadKeyFile(path)).secretKey).toEqual(pair.secretKey)
    expect((await readdir(root)).sort()).toEqual(['masternode.key'])
  })

  it('refuses key files others can read, malformed, inconsistent or of another role or network', async () => {
    const root = await tempRoot()
    const pair = generateKeyPair()
    const good = JSON.parse(keyFileText({ ...pair, role: 'masternode', network: 'testnet' }))
    const cases: [string, string | object, RegExp, number?][] = [
      ['open', good, /readable by other users \(mode 644\): run chmod 600/, 0o644],
      ['text', 'not json', /not JSON/],
      ['format', { ...good, format: 'x' }, /not a timecoin-key file/],
      ['version', { ...good, version: 2 }, /unknown version 2/],
      ['short', { ...good, secretKey: 'abcd' }, /secretKey must be 64 lowercase hex digits/],
      [
        'swap',
        { ...good, publicKey: bytesToHex(generateKeyPair().publicKey) },
        /publicKey is not the public key of its secretKey/,
      ],
    ]
    for (const [name, content, message, mode] of cases) {
      const path = join(root, `${name}.key`)
      await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
      await chmod(path, mode ?? 0o600)
      const e = await refusal(loadKeyFile(path))
      expect(e.code, name).toBe('KEY_FILE_INVALID')
      expect(e.message, name).toMatch(message)
      expect(e.message, name).toContain(path)
    }
    const path = join(root, 'ok.key')
    await saveKeyFile(path, { ...pair, role: 'masternode', network: 'testnet' })
    expect((await refusal(loadKeyFile(path, { network: 'mainnet' }))).message).toMatch(
      /holds a testnet key, not a mainnet key/,
    )
    expect((await refusal(loadKeyFile(path, { role: 'wallet' }))).message).toMatch(
      /holds a masternode key, not a wallet key/,
    )
    expect((await refusal(loadKeyFile(join(root, 'none.key')))).message).toMatch(/no such file/)
  })

  it('replaces files atomically with their mode, leaving no temporary file', async () => {
    const root = await tempRoot()
    const path = join(root, 'cookie')
    await writeFileAtomic(path, 'one')
    await writeFileAtomic(path, 'two', { mode: 0o640 })
    expect(await readFile(path, 'utf8')).toBe('two')
    expect((await stat(path)).mode & 0o777).toBe(0o640)
    await expect(writeFileAtomic(path, 'three', { exclusive: true })).rejects.toMatchObject({
      code: 'EEXIST',
    })
    expect(await readFile(path, 'utf8')).toBe('two')
    expect(await readdir(root)).toEqual(['cookie'])
  })
})
