// A synchronous Ed25519 verifier for the simulator: the Node shell's node:crypto verification (its
// "valid" is final, as in the core's native path; noble ZIP215 as the arbiter). Verdicts are cached
// per wire frame in wire mode (each receiver has its own objects, decoded from one frame), else per
// message object (the network then hands every receiver the same object).
import {
  assertVerdicts,
  type Message,
  messageBundle,
  type SignatureCheck,
  type TimeCoinError,
} from '../../../src/core/index.ts'
import { nativeVerify } from '../../../src/node/crypto/native-verify.ts'
import { frameOf, messageParts } from './wire.ts'

/**
 * Verdicts by (signature, key, message): one batch signature reappears in every certificate
 * built from it. Cleared when large; the simulator runs many scenarios in one process.
 */
const checked = new Map<string, boolean>()

export function verifySync(c: SignatureCheck): boolean {
  const id = `${hex(c.signature)}${hex(c.publicKey)}${hex(c.message)}`
  let verdict = checked.get(id)
  if (verdict === undefined) {
    if (checked.size > 200_000) checked.clear()
    verdict = verifyUncached(c)
    checked.set(id, verdict)
  }
  return verdict
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function verifyUncached(c: SignatureCheck): boolean {
  return nativeVerify(c.signature, c.message, c.publicKey)
}

/** Verdicts by the objects a message carries (engines wrap one batch in a message per peer). */
const verdicts = new WeakMap<object, WeakMap<object, TimeCoinError | null>>()

/**
 * Verdicts by wire frame: in wire mode every receiver decodes its own objects, but one frame (a
 * broadcast is encoded once) gets one verdict, as a shell's verdict cache would give it.
 */
const frameVerdicts = new WeakMap<Uint8Array, TimeCoinError | null>()

/** The same verdict the shells' `preverify` gives, synchronously; null when valid. */
export function preverifySync(message: Message, genesisHash: Uint8Array): TimeCoinError | null {
  const frame = frameOf(message)
  if (frame === undefined) return verdictOf(message, genesisHash)
  let verdict = frameVerdicts.get(frame)
  if (verdict === undefined) {
    verdict = verdictOf(message, genesisHash)
    frameVerdicts.set(frame, verdict)
  }
  return verdict
}

function verdictOf(message: Message, genesisHash: Uint8Array): TimeCoinError | null {
  const [outer, inner] = messageParts(message)
  const byInner = verdicts.get(outer) ?? new WeakMap<object, TimeCoinError | null>()
  verdicts.set(outer, byInner)
  const cached = byInner.get(inner)
  if (cached !== undefined) return cached
  let verdict: TimeCoinError | null = null
  try {
    const bundle = messageBundle(message, genesisHash)
    assertVerdicts(bundle, bundle.checks.map(verifySync))
  } catch (e) {
    verdict = e as TimeCoinError
  }
  byInner.set(inner, verdict)
  return verdict
}

/**
 * A shell verifier with a deliberately skipped signature check (the simulator's self-tests: the
 * oracle must report what forgers then get through). Not cached: the same message objects also
 * reach correct verifiers.
 */
export function preverifyUnsafe(
  message: Message,
  genesisHash: Uint8Array,
  unsafe: 'unchecked-batch-signatures' | 'unchecked-last-entry',
): TimeCoinError | null {
  try {
    const bundle = messageBundle(message, genesisHash)
    const verdicts = bundle.checks.map(verifySync)
    if (unsafe === 'unchecked-batch-signatures' && message.type === 'InstantFinalityVote')
      verdicts.fill(true)
    // A finality certificate's entries come after its transaction's checks, a block
    // certificate's before its block's transactions: the last entry's check is skipped.
    if (unsafe === 'unchecked-last-entry' && message.type === 'FinalityCertificate')
      verdicts[verdicts.length - 1] = true
    if (unsafe === 'unchecked-last-entry' && message.type === 'BlockCommit')
      verdicts[message.certificate.entries.length - 1] = true
    assertVerdicts(bundle, verdicts)
    return null
  } catch (e) {
    return e as TimeCoinError
  }
}
