/**
 * A verification worker of the Node shell's pool (verifier-pool.ts). It receives packed batches
 * of Ed25519 checks and answers one verdict byte per check, applying the core's one rule:
 * malformed inputs are invalid; node:crypto's "valid" is final; anything else goes to the noble
 * ZIP215 arbiter. Public keys are imported once and cached (bounded).
 *
 * Batch layout (little-endian): u32 count, then per check: signature 64 ‖ public key 32 ‖
 * u32 message length ‖ message.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import { malformation, nobleVerify } from '../../core/crypto/ed25519.ts'

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

function check(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (malformation(signature, publicKey) !== null) return false
  const key = keyObject(publicKey)
  try {
    if (key !== null && verify(null, message, key, signature)) return true
  } catch {
    // Not provable natively: the arbiter decides.
  }
  return nobleVerify(signature, message, publicKey)
}

parentPort?.on('message', ({ id, batch }: { id: number; batch: ArrayBuffer }) => {
  const bytes = new Uint8Array(batch)
  const view = new DataView(batch)
  const count = view.getUint32(0, true)
  const verdicts = new Uint8Array(count)
  let at = 4
  for (let i = 0; i < count; i++) {
    const signature = bytes.subarray(at, at + 64)
    const publicKey = bytes.subarray(at + 64, at + 96)
    const length = view.getUint32(at + 96, true)
    const message = bytes.subarray(at + 100, at + 100 + length)
    at += 100 + length
    verdicts[i] = check(signature, message, publicKey) ? 1 : 0
  }
  parentPort!.postMessage({ id, verdicts }, [verdicts.buffer])
})
