export { nativeSigner } from './native-signer.ts'
export { createThreadVerifier, nativeVerify } from './native-verify.ts'
export { createVerifierPool, type VerifierPool } from './verifier-pool.ts'
