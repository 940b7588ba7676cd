export { nativeSigner } from './native-signer.ts'
export { createVerifierPool, type VerifierPool } from './verifier-pool.ts'
