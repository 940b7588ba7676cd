// wss:// on the Node host's WebSocket port: with a certificate and key the listener serves TLS
// (`/tls/ws`) instead of ws://; node:tls completes a handshake that trusts the self-signed
// certificate as its CA and refuses one that does not; a libp2p client in another process dials
// the /tls/ws multiaddr and pings the node when it trusts the certificate (NODE_EXTRA_CA_CERTS,
// verification left on), and fails when it does not, or when it dials plain ws:// to that port.
// `readTlsFiles` refuses a key that is not the certificate's, and a file that holds no
// certificate, naming the setting.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNodeHost, type NodeHost } from '../../../src/node/net/host.ts'
import { readTlsFiles } from '../../../src/node/net/tls-files.ts'
import { type SelfSigned, selfSignedCert } from '../../support/self-signed.ts'

const DIAL = join(import.meta.dirname, '../../support/wss-dial.ts')

let dir: string
let cert: SelfSigned
let host: NodeHost

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'timecoin-wss-'))
  cert = selfSignedCert(dir)
  host = await createNodeHost({
    listen: { host: '127.0.0.1', tcpPort: 0, wsPort: 0 },
    tls: await readTlsFiles({ cert: cert.certFile, key: cert.keyFile }),
    gossipsub: false,
  })
}, 30_000)

afterAll(async () => {
  await host?.stop()
  rmSync(dir, { recursive: true, force: true })
})

function wssAddress(): string {
  const found = host.getMultiaddrs().find((a) => a.toString().includes('/tls/ws'))
  if (found === undefined) throw new Error('no /tls/ws address')
  return found.toString()
}

/** Runs the dialer in a child process; resolves with its exit code and JSON line. */
function dial(
  address: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; out: Record<string, unknown> }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DIAL, address],
      { env, timeout: 30_000, killSignal: 'SIGKILL' },
      (error, stdout) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
        let out: Record<string, unknown> = {}
        try {
          out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')
        } catch {
          out = { raw: stdout }
        }
        resolve({ code, out })
      },
    )
  })
}

function tlsHandshake(port: number, ca: string | undefined) {
  return new Promise<{ authorized: boolean; error?: string; subject?: string }>((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ...(ca === undefined ? {} : { ca }),
      timeout: 10_000,
    })
    socket.once('secureConnect', () => {
      const subject = String(socket.getPeerCertificate().subject?.CN)
      resolve({ authorized: socket.authorized, subject })
      socket.destroy()
    })
    socket.once('error', (e) =>
      resolve({ authorized: false, error: (e as NodeJS.ErrnoException).code ?? e.message }),
    )
    socket.once('timeout', () => {
      resolve({ authorized: false, error: 'timeout' })
      socket.destroy()
    })
  })
}

describe('wss on the WebSocket port', () => {
  it('listens on /tls/ws, not /ws, beside TCP', () => {
    const addresses = host.getMultiaddrs().map((a) => a.toString())
    expect(addresses.some((a) => /\/tcp\/\d+\/tls\/ws\/p2p\//.test(a))).toBe(true)
    expect(addresses.some((a) => /\/tcp\/\d+\/ws\//.test(a))).toBe(false)
    expect(addresses.some((a) => /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//.test(a))).toBe(true)
  })

  it('completes a TLS handshake that trusts the certificate, and fails one that does not', async () => {
    const port = Number(/\/tcp\/(\d+)\/tls/.exec(wssAddress())![1])
    expect(await tlsHandshake(port, cert.cert)).toEqual({ authorized: true, subject: 'localhost' })
    const untrusted = await tlsHandshake(port, undefined)
    expect(untrusted.authorized).toBe(false)
    expect(untrusted.error).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/)
  })

  it('a libp2p client dials /tls/ws and pings when it trusts the certificate, and cannot when it does not or dials ws://', async () => {
    const address = wssAddress()
    const trusted = await dial(address, { ...process.env, NODE_EXTRA_CA_CERTS: cert.certFile })
    expect(trusted.out).toMatchObject({ remoteAddr: address, peer: host.peerId.toString() })
    expect(trusted.code).toBe(0)
    const env = { ...process.env }
    delete env.NODE_EXTRA_CA_CERTS
    const refused = await dial(address, env)
    expect(refused.code).toBe(1)
    expect(refused.out.error).toBeDefined()
    // The port serves TLS only: plain ws:// to it fails, trusted certificate or not.
    const plain = await dial(address.replace('/tls/ws/', '/ws/'), {
      ...process.env,
      NODE_EXTRA_CA_CERTS: cert.certFile,
    })
    expect(plain.code).toBe(1)
  }, 60_000)
})

describe('readTlsFiles', () => {
  it('refuses a key that is not the certificate’s and a file with no certificate', async () => {
    const other = selfSignedCert(dir, 'other')
    await expect(readTlsFiles({ cert: cert.certFile, key: other.keyFile })).rejects.toMatchObject({
      code: 'CONFIG_INVALID_SETTING',
      message: expect.stringMatching(/^tlskey: .* is not the private key of/),
    })
    const notCert = join(dir, 'not-a-cert.pem')
    writeFileSync(notCert, 'hello\n')
    await expect(readTlsFiles({ cert: notCert, key: cert.keyFile })).rejects.toMatchObject({
      code: 'CONFIG_INVALID_SETTING',
      message: expect.stringMatching(/^tlscert: .* holds no PEM certificate/),
    })
    await expect(
      readTlsFiles({ cert: join(dir, 'missing.pem'), key: cert.keyFile }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/^tlscert: cannot read .*ENOENT/) })
  })
})
