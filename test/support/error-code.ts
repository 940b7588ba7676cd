import { EncodingError } from '../../src/core/index.ts'

/** The EncodingError code `f` throws, undefined if it returns, a marker for any other throw. */
export function encodingCodeOf(f: () => unknown): string | undefined {
  try {
    f()
    return undefined
  } catch (e) {
    return e instanceof EncodingError ? e.code : `not an EncodingError: ${e}`
  }
}
