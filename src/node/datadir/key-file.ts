/**
 * Key files: one Ed25519 key as JSON — `{ "format": "timecoin-key", "version": 1, "role",
 * "network", "publicKey", "address", "secretKey" }` (hex) — written 0600 and never over an
 * existing file, read only if no other user can read it and its public key is its secret key's.
 * A masternode's voting key (`masternodekeyfile`, `keys/masternode.key`), the node's libp2p
 * identity (`keys/node.key`) and the keys genesis tooling generates (masternodes, the faucet)
 * share the format.
 */
import { open, stat } from 'node:fs/promises'
import { getPublicKey, type KeyPair } from '../../core/crypto/ed25519.ts'
import { bytesToHex, equalBytes, fromHex } from '../../core/encoding/bytes.ts'
import { addressFromPublicKey } from '../../core/primitives/address.ts'
import { isNetworkName, type NetworkName } from '../../core/primitives/network.ts'
import { DatadirError } from '../errors.ts'
import { writeFileAtomic } from './atomic-file.ts'

export const KEY_FILE_FORMAT = 'timecoin-key'
export const KEY_FILE_VERSION = 1
/** A key file is a few hundred bytes; anything far larger is not one. */
const MAX_KEY_FILE_BYTES = 4_096

/** A masternode's voting key, a wallet's key, or a node's libp2p identity (`keys/node.key`). */
export type KeyRole = 'masternode' | 'wallet' | 'node'

export interface KeyFile extends KeyPair {
  readonly role: KeyRole
  readonly network: NetworkName
}

function bad(path: string, why: string, cause?: unknown): DatadirError {
  return new DatadirError(
    'KEY_FILE_INVALID',
    `key file ${path}: ${why}`,
    undefined,
    cause === undefined ? undefined : { cause },
  )
}

/** The file's JSON text (what `saveKeyFile` writes). */
export function keyFileText(key: KeyFile): string {
  return `${JSON.stringify(
    {
      format: KEY_FILE_FORMAT,
      version: KEY_FILE_VERSION,
      role: key.role,
      network: key.network,
      publicKey: bytesToHex(key.publicKey),
      address: addressFromPublicKey(key.publicKey, key.network),
      secretKey: bytesToHex(key.secretKey),
    },
    null,
    2,
  )}\n`
}

/** Writes `key` to `path` (mode 0600); refuses to replace an existing file. */
export async function saveKeyFile(path: string, key: KeyFile): Promise<void> {
  try {
    await writeFileAtomic(path, keyFileText(key), { mode: 0o600, exclusive: true })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw bad(path, 'already exists; a key file is never overwritten (move it away first)', e)
    throw bad(path, `cannot write it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, e)
  }
}

/**
 * Reads the key in `path`: refused (KEY_FILE_INVALID) when missing, readable by group or others,
 * malformed, of another role or network than asked, or inconsistent.
 */
export async function loadKeyFile(
  path: string,
  expect: { readonly role?: KeyRole; readonly network?: NetworkName } = {},
): Promise<KeyFile> {
  let text: string
  try {
    const s = await stat(path)
    if (process.platform !== 'win32' && (s.mode & 0o077) !== 0)
      throw bad(
        path,
        `readable by other users (mode ${(s.mode & 0o777).toString(8)}): run chmod 600 on it`,
      )
    if (s.size > MAX_KEY_FILE_BYTES) throw bad(path, `${s.size} bytes is too large for a key file`)
    const file = await open(path, 'r')
    try {
      text = await file.readFile('utf8')
    } finally {
      await file.close()
    }
  } catch (e) {
    if (e instanceof DatadirError) throw e
    const code = (e as NodeJS.ErrnoException).code
    throw bad(path, code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? String(e)})`, e)
  }
  let json: Record<string, unknown>
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch (e) {
    throw bad(path, 'not JSON', e)
  }
  if (typeof json !== 'object' || json === null || json.format !== KEY_FILE_FORMAT)
    throw bad(path, `not a ${KEY_FILE_FORMAT} file`)
  if (json.version !== KEY_FILE_VERSION) throw bad(path, `unknown version ${String(json.version)}`)
  const { role, network } = json
  if (role !== 'masternode' && role !== 'wallet' && role !== 'node')
    throw bad(path, `unknown role ${String(role)}`)
  if (!isNetworkName(network)) throw bad(path, `unknown network ${String(network)}`)
  if (expect.role !== undefined && role !== expect.role)
    throw bad(path, `holds a ${role} key, not a ${expect.role} key`)
  if (expect.network !== undefined && network !== expect.network)
    throw bad(path, `holds a ${network} key, not a ${expect.network} key`)
  const hex = (field: string): Uint8Array => {
    const v = json[field]
    if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v))
      throw bad(path, `${field} must be 64 lowercase hex digits`)
    return fromHex(v, 32)
  }
  const secretKey = hex('secretKey')
  const publicKey = hex('publicKey')
  if (!equalBytes(getPublicKey(secretKey), publicKey))
    throw bad(path, 'its publicKey is not the public key of its secretKey')
  return { role, network, publicKey, secretKey }
}
