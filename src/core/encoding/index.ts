export {
  bytesToHex,
  compareBytes,
  concatBytes,
  equalBytes,
  fromHex,
  u32le,
  utf8ToBytes,
} from './bytes.ts'
export { type Codec, classifyError, codec, fail } from './codec.ts'
export * as fields from './fields.ts'
