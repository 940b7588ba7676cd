// A throwaway self-signed TLS certificate for 127.0.0.1 (and localhost), made with the system's
// openssl (P-256, one day) in a folder the caller owns and removes: what a test serves wss:// with.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface SelfSigned {
  readonly certFile: string
  readonly keyFile: string
  /** PEM text. */
  readonly cert: string
  readonly key: string
}

export function selfSignedCert(dir: string, name = 'node'): SelfSigned {
  const certFile = join(dir, `${name}-cert.pem`)
  const keyFile = join(dir, `${name}-key.pem`)
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore', timeout: 30_000 },
  )
  return {
    certFile,
    keyFile,
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
  }
}
