/**
 * The TLS certificate and key a node serves wss:// with (`tlscert`, `tlskey`): read from their
 * PEM files and checked together before the host starts, so a bad pair stops the node at start
 * with the setting named, never at a browser's first connection.
 *
 * Invariants: what it returns is a certificate chain and the private key of its first
 * certificate (node:tls accepted them as one secure context); the key's text is never put in an
 * error message.
 */
import { readFile } from 'node:fs/promises'
import { createSecureContext } from 'node:tls'
import { ConfigError } from '../errors.ts'
import type { NodeHostTls } from './host.ts'

/** Reads and checks `tlscert` and `tlskey`; a ConfigError (CONFIG_INVALID_SETTING) if unusable. */
export async function readTlsFiles(paths: {
  readonly cert: string
  readonly key: string
}): Promise<NodeHostTls> {
  const read = async (setting: string, path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8')
    } catch (e) {
      throw new ConfigError(
        'CONFIG_INVALID_SETTING',
        `${setting}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      )
    }
  }
  const cert = await read('tlscert', paths.cert)
  const key = await read('tlskey', paths.key)
  if (!cert.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError(
      'CONFIG_INVALID_SETTING',
      `tlscert: ${paths.cert} holds no PEM certificate`,
    )
  try {
    createSecureContext({ cert, key })
  } catch (e) {
    throw new ConfigError(
      'CONFIG_INVALID_SETTING',
      `tlskey: ${paths.key} is not the private key of ${paths.cert} (or not a PEM key): ${(e as Error).message}`,
    )
  }
  return { cert, key }
}
