/**
 * Synchronous Ed25519 verification with node:crypto under the core's one rule: malformed inputs
 * are invalid; node:crypto's "valid" is final; anything else goes to the noble ZIP215 arbiter.
 * Public keys are imported once and cached (bounded). Used by the verifier pool's workers, and by
 * a masternode that verifies on its own thread (`createThreadVerifier`).
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto'
import {
  CryptoError,
  type Ed25519Verifier,
  malformation,
  nobleVerify,
  PeerAction,
} from '../../core/index.ts'

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
  const check = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => {
    const bad = malformation(signature, publicKey)
    if (bad !== null) return { valid: false as const, error: bad }
    return nativeVerify(signature, message, publicKey)
      ? { valid: true as const }
      : {
          valid: false as const,
          error: new CryptoError(
            'SIGNATURE_INVALID',
            'signature does not verify',
            PeerAction.LowToleranceError,
          ),
        }
  }
  return {
    backend: async () => 'native+noble',
    check: async (s, m, p) => check(s, m, p),
    verify: async (s, m, p) => nativeVerify(s, m, p),
    async assertValid(s, m, p) {
      const verdict = check(s, m, p)
      if (!verdict.valid) throw verdict.error
    },
    verifyMany: async (checks) =>
      checks.map((c) => nativeVerify(c.signature, c.message, c.publicKey)),
  }
}
