export { nativeSigner } from './native-signer.ts'
