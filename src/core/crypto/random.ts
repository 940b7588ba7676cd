/**
 * Secure randomness from the platform CSPRNG (WebCrypto `getRandomValues`, present in Node ≥ 19,
 * browsers and edge runtimes). There is no fallback: without a CSPRNG we refuse to make keys.
 */
export function randomBytes(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 65536) {
    throw new RangeError(`randomBytes: length must be an integer in [0, 65536], got ${length}`)
  }
  const c = globalThis.crypto
  if (typeof c?.getRandomValues !== 'function') {
    throw new Error(
      'randomBytes: no secure random source (crypto.getRandomValues) on this platform',
    )
  }
  const out = new Uint8Array(length)
  c.getRandomValues(out)
  return out
}
