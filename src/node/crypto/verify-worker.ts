/**
 * A verification worker of the Node shell's pool (verifier-pool.ts). It receives packed batches
 * of Ed25519 checks and answers one verdict byte per check (native-verify.ts: the core's rule).
 *
 * Batch layout (little-endian): u32 count, then per check: signature 64 ‖ public key 32 ‖
 * u32 message length ‖ message.
 *
 * It first lowers its own thread's scheduling priority to `workerData.nice` (Linux keeps a nice
 * value per thread; elsewhere the call may affect nothing, and a refusal is ignored): verifying
 * is bulk work the event-loop thread queued, and that thread must not wait for a core behind it.
 */
import { setPriority } from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import { nativeVerify } from './native-verify.ts'

const nice = (workerData as { nice?: number } | null)?.nice
if (nice !== undefined && nice > 0) {
  try {
    setPriority(0, nice)
  } catch {
    // Not permitted or not supported here: verify at the process's own priority.
  }
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
    verdicts[i] = nativeVerify(signature, message, publicKey) ? 1 : 0
  }
  parentPort!.postMessage({ id, verdicts }, [verdicts.buffer])
})
