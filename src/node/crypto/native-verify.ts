/**
 * Synchronous Ed25519 verification with node:crypto under the core's one rule: malformed inputs
 * are invalid; node:crypto's "valid" is final; anything else goes to the noble ZIP215 arbiter.
 * Public keys are imported once and cached (bounded). Used by the verifier pool's workers, and by
 * a masternode that verifies on its own thread (`createThreadVerifier`).
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto'
import { type Ed25519Verifier, malformation, nobleVerify, verifierFrom } from '../../core/index.ts'

const KEY_CACHE_LIMIT = 4096
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const keys = new Map<string, KeyObject | null>()

function keyObject(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('latin1')
  let key = keys.get(id)
  if (key === undefined) {
    try {
      key = createPublicKey({
        key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
        format: 'der',
        type: 'spki',
      })
    } catch {
      key = null
    }
    if (keys.size >= KEY_CACHE_LIMIT) keys.delete(keys.keys().next().value!)
    keys.set(id, key)
  }
  return key
}

export function nativeVerify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (malformation(signature, publicKey) !== null) return false
  const key = keyObject(publicKey)
  try {
    if (key !== null && verify(null, message, key, signature)) return true
  } catch {
    // Not provable natively: the arbiter decides.
  }
  return nobleVerify(signature, message, publicKey)
}

/**
 * An `Ed25519Verifier` that verifies on the calling thread (answers are already settled): for a
 * masternode running on a thread of its own, where handing work to another thread costs more
 * than it saves.
 */
export function createThreadVerifier(): Ed25519Verifier {
  return verifierFrom(
    async () => 'native+noble',
    (c) => nativeVerify(c.signature, c.message, c.publicKey),
  )
}
