export { type DomainTag, DomainTags } from './domain.ts'
export {
  createEd25519Verifier,
  type Ed25519Backend,
  type Ed25519Options,
  type Ed25519Verifier,
  ed25519,
  GROUP_ORDER,
  generateKeyPair,
  generateSecretKey,
  getPublicKey,
  type KeyPair,
  keySigner,
  malformation,
  nobleVerify,
  PUBLIC_KEY_LENGTH,
  SECRET_KEY_LENGTH,
  SIGNATURE_LENGTH,
  type SignatureCheck,
  type Signer,
  sign,
  type Verdict,
  verifierFrom,
} from './ed25519.ts'
export {
  assertStrongPublicKey,
  isStrongPublicKey,
  keyWeakness,
  SMALL_ORDER_KEYS,
  type WeakKeyCode,
  weakKeyError,
} from './public-key-rule.ts'
export { randomBytes } from './random.ts'
export { domainMessage, HASH_LENGTH, sha256, sha256d, taggedHash } from './sha256.ts'
export { assertVerdicts, type SignatureBundle, verifyBundle } from './signature-bundle.ts'
export {
  type BatchVerifier,
  type BatchVerifierOptions,
  type BatchVerifierStats,
  createBatchVerifier,
  DEFAULT_VERDICT_CACHE_ENTRIES,
  DEFAULT_VERIFY_BATCH,
} from './verify-queue.ts'
