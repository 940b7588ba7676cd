// The daemon's structured log (src/node/daemon/log.ts): JSON lines with level, component and
// fields; levels filter; a settings object, the RPC cookie and keys never show their secrets;
// the log file is owner-only and gets the same lines; the terminal form is one readable line.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { bytesToHex } from '../../../src/core/encoding/bytes.ts'
import { redactedSettings, resolveSettings } from '../../../src/node/config/settings.ts'
import {
  componentLog,
  LOG_COMPONENTS,
  nodeLog,
  REDACTED,
  redactPaths,
  textLine,
} from '../../../src/node/daemon/log.ts'

const PASSWORD = 'correct-horse-battery-staple'
const SECRET_HEX = '4f'.repeat(32)

function capture(level: Parameters<typeof nodeLog>[0]['level'] = 'info') {
  const lines: string[] = []
  const logs = nodeLog({ level, stdout: false, write: (l) => lines.push(l) })
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  return { ...logs, lines, parsed }
}

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('the structured log', () => {
  it('writes one JSON object per line: ISO time, level name, component, message and fields', () => {
    const { log, lines, parsed } = capture()
    componentLog(log, 'net').warn({ peer: 'p1', code: 'DEFENCE_RATE' }, 'banned p1')
    expect(lines).toHaveLength(1)
    expect(lines[0]!.endsWith('\n')).toBe(true)
    const [entry] = parsed()
    expect(entry).toMatchObject({
      level: 'warn',
      component: 'net',
      peer: 'p1',
      code: 'DEFENCE_RATE',
      msg: 'banned p1',
    })
    expect(new Date(entry!.time as string).toISOString()).toBe(entry!.time)
    // One component field, not the root's and the child's.
    expect(lines[0]!.match(/"component"/g)).toHaveLength(1)
  })

  it('names each component once, however a component log is derived', () => {
    const { log, parsed } = capture()
    for (const c of LOG_COMPONENTS) componentLog(componentLog(log, 'rpc'), c).info(c)
    expect(parsed().map((e) => [e.component, e.msg])).toEqual(LOG_COMPONENTS.map((c) => [c, c]))
  })

  it('keeps the lines at or above its level', () => {
    const { log, parsed } = capture('warn')
    log.debug('d')
    log.info('i')
    log.warn('w')
    log.error('e')
    log.fatal('f')
    expect(parsed().map((e) => e.level)).toEqual(['warn', 'error', 'fatal'])
    const silent = capture('silent')
    silent.log.fatal('nothing')
    expect(silent.lines).toEqual([])
    const trace = capture('trace')
    trace.log.trace('t')
    expect(trace.parsed().map((e) => e.level)).toEqual(['trace'])
  })

  it('never shows the RPC password or the masternode key of a logged settings object', () => {
    const settings = resolveSettings({
      flags: {
        network: 'testnet',
        rpcuser: 'operator',
        rpcpassword: PASSWORD,
        masternodeprivkey: SECRET_HEX,
      },
    })
    // The secrets are really in the object logged: the test would catch a redaction that missed.
    expect(settings.rpc.password).toBe(PASSWORD)
    expect(bytesToHex(settings.masternode.secretKey!)).toBe(SECRET_HEX)
    const { log, lines, parsed } = capture()
    log.info({ settings }, 'raw settings')
    log.info({ settings: redactedSettings(settings) }, 'redacted settings')
    componentLog(log, 'rpc').info({ rpcpassword: PASSWORD, masternodeprivkey: SECRET_HEX }, 'kv')
    const text = lines.join('')
    expect(text).not.toContain(PASSWORD)
    expect(text).not.toContain(SECRET_HEX)
    // Nor the key's bytes as a JSON array or object of numbers.
    expect(text).not.toMatch(/"secretKey":\s*[[{]/)
    const [raw, redacted, kv] = parsed() as {
      settings?: { rpc: Record<string, unknown>; masternode: Record<string, unknown> }
      rpcpassword?: string
      masternodeprivkey?: string
    }[]
    expect(raw!.settings!.rpc.password).toBe(REDACTED)
    expect(raw!.settings!.rpc.user).toBe('operator')
    expect(raw!.settings!.masternode.secretKey).toBe(REDACTED)
    expect(redacted!.settings!.rpc.password).toBe('<redacted>')
    expect(kv!.rpcpassword).toBe(REDACTED)
    expect(kv!.masternodeprivkey).toBe(REDACTED)
  })

  it('hides a cookie, credentials, an authorization header and private keys at any depth it covers', () => {
    const { log, lines, parsed } = capture()
    const cookie = `__cookie__:${'ab'.repeat(32)}`
    log.info({ cookie }, 'top')
    log.info({ req: { headers: { authorization: 'Basic b3A6cHc=' } } }, 'header')
    log.info({ a: { b: { credentials: { user: 'u', password: PASSWORD } } } }, 'deep')
    log.info({ identity: { privateKey: SECRET_HEX } }, 'identity')
    const text = lines.join('')
    for (const secret of ['ab'.repeat(32), 'b3A6cHc=', PASSWORD, SECRET_HEX])
      expect(text).not.toContain(secret)
    const [top, header, deep, identity] = parsed() as Record<string, unknown>[]
    expect(top!.cookie).toBe(REDACTED)
    expect((header!.req as { headers: { authorization: unknown } }).headers.authorization).toBe(
      REDACTED,
    )
    expect(
      ((deep!.a as Record<string, Record<string, unknown>>).b as Record<string, unknown>)
        .credentials,
    ).toBe(REDACTED)
    expect((identity!.identity as Record<string, unknown>).privateKey).toBe(REDACTED)
    expect(redactPaths()).toContain('*.*.password')
  })

  it('appends the same JSON lines to its file, created owner-only, start-up lines included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'timecoin-log-'))
    dirs.push(dir)
    const file = join(dir, 'timecoin.log')
    const { log, lines, openFile, close } = capture()
    log.info('before the file')
    openFile(file)
    log.info({ height: 3 }, 'in the file')
    componentLog(log, 'sync').warn('also')
    close()
    log.info('after close')
    const written = readFileSync(file, 'utf8')
    // The line from before the file opened (start-up) is in it too, first.
    expect(written).toBe(lines.slice(0, 3).join(''))
    expect(statSync(file).mode & 0o777).toBe(0o600)
    // A second node run appends.
    const again = capture()
    again.openFile(file)
    again.log.info('second run')
    again.close()
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(4)
  })

  it('shows a terminal one line per event: time, level, component, message, then fields', () => {
    const { log, lines } = capture()
    componentLog(log, 'engine').warn({ code: 'X', n: 2, o: { a: 1 } }, 'alarm')
    const shown = textLine(lines[0]!)
    expect(shown).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN {2}engine: alarm code=X n=2 o=\{"a":1\}\n$/,
    )
    expect(textLine('not json\n')).toBe('not json\n')
    // Fields the message already shows are not repeated.
    componentLog(log, 'sync').info({ height: 7, target: 9 }, 'caught up at height 7')
    expect(textLine(lines[1]!)).toMatch(/ INFO {2}sync: caught up at height 7 target=9\n$/)
    componentLog(log, 'engine').info({ height: 17, transactions: 1 }, 'block 17 committed (1.5)')
    expect(textLine(lines[2]!)).toMatch(/ engine: block 17 committed \(1\.5\) transactions=1\n$/)
  })

  it('sends standard output through a diverted writer while one is set', () => {
    const through: string[] = []
    const logs = nodeLog({ level: 'info', stdout: 'text' })
    logs.divertStdout((l) => through.push(l))
    logs.log.info('above the bar')
    logs.divertStdout(undefined)
    expect(through).toHaveLength(1)
    expect(through[0]).toMatch(/ INFO {2}daemon: above the bar\n$/)
  })
})
