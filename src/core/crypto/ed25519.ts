/**
 * Ed25519 with one validity rule everywhere: ZIP215 (noble's default). The native WebCrypto path
 * only speeds up signatures it can prove valid; a native "invalid", a missing algorithm or an
 * unimportable key defers to noble, so every platform and backend gives the same verdict.
 * Malformed input (wrong lengths, S ≥ L) is a typed CryptoError, never an escaping exception.
 */
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import { CryptoError, PeerAction } from '../errors.ts'
import { NativeEd25519 } from './ed25519-native.ts'
import { randomBytes } from './random.ts'

ed.hashes.sha512 = sha512

export const PUBLIC_KEY_LENGTH = 32
export const SECRET_KEY_LENGTH = 32
export const SIGNATURE_LENGTH = 64
/** The prime order L of the Ed25519 base point; a signature's S must be below it. */
export const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n

export interface KeyPair {
  readonly secretKey: Uint8Array
  readonly publicKey: Uint8Array
}

export interface SignatureCheck {
  readonly signature: Uint8Array
  readonly message: Uint8Array
  readonly publicKey: Uint8Array
}

export type Verdict =
  | { readonly valid: true }
  | { readonly valid: false; readonly error: CryptoError }

export type Ed25519Backend = 'native+noble' | 'noble'

export interface Ed25519Verifier {
  /** Which path verifies: native first with noble as arbiter, or noble alone. */
  backend(): Promise<Ed25519Backend>
  check(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<Verdict>
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>
  /** Throws CryptoError (with a peer action) unless the signature is valid. */
  assertValid(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<void>
  /** Verdicts in input order; independent checks run concurrently on the native path. */
  verifyMany(checks: readonly SignatureCheck[]): Promise<boolean[]>
}

export interface Ed25519Options {
  /** Use WebCrypto as a fast path when the platform has it (default true). */
  readonly native?: boolean
}

/** GROUP_ORDER as 32 little-endian bytes. */
const ORDER_LE = (() => {
  const out = new Uint8Array(32)
  let n = GROUP_ORDER
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn)
  return out
})()

/** Whether the signature's S (its last 32 bytes, little-endian) is below the group order. */
function canonicalScalar(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i]!
    const l = ORDER_LE[i]!
    if (s !== l) return s < l
  }
  return false // equal to L
}

/** The structural checks of `malformation`, without building an error (the hot path). */
function wellFormed(signature: Uint8Array, publicKey: Uint8Array): boolean {
  return (
    publicKey instanceof Uint8Array &&
    publicKey.length === PUBLIC_KEY_LENGTH &&
    signature instanceof Uint8Array &&
    signature.length === SIGNATURE_LENGTH &&
    canonicalScalar(signature)
  )
}

/** Structural checks shared by every backend; null when the inputs are well-formed. */
export function malformation(signature: Uint8Array, publicKey: Uint8Array): CryptoError | null {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    return new CryptoError(
      'PUBLIC_KEY_LENGTH',
      `public key must be ${PUBLIC_KEY_LENGTH} bytes, got ${publicKey?.length}`,
      PeerAction.LowToleranceError,
    )
  }
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) {
    return new CryptoError(
      'SIGNATURE_LENGTH',
      `signature must be ${SIGNATURE_LENGTH} bytes, got ${signature?.length}`,
      PeerAction.LowToleranceError,
    )
  }
  if (!canonicalScalar(signature)) {
    return new CryptoError(
      'SIGNATURE_S_NOT_CANONICAL',
      'signature scalar S is not below the group order (malleated signature)',
      PeerAction.LowToleranceError,
    )
  }
  return null
}

/** The arbiter: noble's ZIP215 verification. Never throws. */
export function nobleVerify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (!wellFormed(signature, publicKey)) return false
  try {
    return ed.verify(signature, message, publicKey, { zip215: true })
  } catch {
    // Points that are not on the curve throw inside noble; under ZIP215 they are simply invalid.
    return false
  }
}

const INVALID = (): CryptoError =>
  new CryptoError('SIGNATURE_INVALID', 'signature does not verify', PeerAction.LowToleranceError)

export function createEd25519Verifier(options: Ed25519Options = {}): Ed25519Verifier {
  const native: Promise<NativeEd25519 | null> =
    options.native === false ? Promise.resolve(null) : NativeEd25519.detect()
  /** The detected native path once known (undefined until detection finishes). */
  let detected: NativeEd25519 | null | undefined
  void native.then((n) => {
    detected = n
  })

  /**
   * The verdict alone, with as few promise hops as possible: this is every signature's path
   * through `verifyMany` (a native "valid" is final; anything else asks noble).
   */
  function valid(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
  ): boolean | Promise<boolean> {
    if (!wellFormed(signature, publicKey)) return false
    if (detected === undefined) return native.then(() => valid(signature, message, publicKey))
    if (detected === null) return nobleVerify(signature, message, publicKey)
    return detected
      .verify(signature, message, publicKey)
      .then((ok) => ok || nobleVerify(signature, message, publicKey))
  }

  return verifierFrom(
    async () => ((await native) === null ? 'noble' : 'native+noble'),
    (c) => valid(c.signature, c.message, c.publicKey),
  )
}

/**
 * A whole `Ed25519Verifier` from its one essential part: `valid`, the verdict on one well-formed
 * check (native first, batched, on another thread: as the implementation likes). Malformed
 * inputs get their typed error (or `false`) without reaching `valid`; an invalid signature gets
 * SIGNATURE_INVALID; `verifyMany` asks `valid` for every check at once.
 */
export function verifierFrom(
  backend: () => Promise<Ed25519Backend>,
  valid: (check: SignatureCheck) => boolean | Promise<boolean>,
): Ed25519Verifier {
  const verdictOf = (c: SignatureCheck) => (wellFormed(c.signature, c.publicKey) ? valid(c) : false)
  async function check(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
  ): Promise<Verdict> {
    const bad = malformation(signature, publicKey)
    if (bad !== null) return { valid: false, error: bad }
    return (await valid({ signature, message, publicKey }))
      ? { valid: true }
      : { valid: false, error: INVALID() }
  }
  return {
    backend,
    check,
    async verify(signature, message, publicKey) {
      return verdictOf({ signature, message, publicKey })
    },
    async assertValid(signature, message, publicKey) {
      const verdict = await check(signature, message, publicKey)
      if (!verdict.valid) throw verdict.error
    },
    verifyMany(checks) {
      return Promise.all(checks.map(verdictOf))
    },
  }
}

/** The process-wide default verifier: native fast path when available. */
export const ed25519: Ed25519Verifier = createEd25519Verifier()

function assertSecretKey(secretKey: Uint8Array): void {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_LENGTH) {
    throw new CryptoError(
      'SECRET_KEY_LENGTH',
      `secret key must be ${SECRET_KEY_LENGTH} bytes, got ${secretKey?.length}`,
    )
  }
}

export function generateSecretKey(): Uint8Array {
  return randomBytes(SECRET_KEY_LENGTH)
}

export function getPublicKey(secretKey: Uint8Array): Uint8Array {
  assertSecretKey(secretKey)
  return ed.getPublicKey(secretKey)
}

export function generateKeyPair(): KeyPair {
  const secretKey = generateSecretKey()
  return { secretKey, publicKey: getPublicKey(secretKey) }
}

/**
 * Something that signs with one key. RFC 8032 signing is deterministic, so every correct backend
 * (noble here; a shell may supply its platform's native one) produces the same bytes.
 */
export interface Signer {
  readonly publicKey: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

/** The default signer: noble, synchronous, the same on every platform. */
export function keySigner(secretKey: Uint8Array): Signer {
  const publicKey = getPublicKey(secretKey)
  return { publicKey, sign: (message) => sign(message, secretKey) }
}

/** Deterministic RFC 8032 signing (same bytes on every platform). */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertSecretKey(secretKey)
  return ed.sign(message, secretKey)
}
