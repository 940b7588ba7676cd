// The spend check's memory of input keys' address payloads: the same payload as hashing the key,
// the same typed error for a key of the wrong length, and never more than its bound of keys.
import { describe, expect, it } from 'vitest'
import { KEY_ADDRESS_ENTRIES, KeyAddresses } from '../../src/core/ledger/key-addresses.ts'
import { addressPayloadFromPublicKey } from '../../src/core/primitives/address.ts'

const key = (n: number) => {
  const k = new Uint8Array(32)
  new DataView(k.buffer).setUint32(0, n, true)
  k[31] = 7
  return k
}

const codeOf = (f: () => unknown) => {
  try {
    f()
    return null
  } catch (e) {
    return (e as { code?: string }).code
  }
}

describe('key addresses', () => {
  it('answer the hash of the key, the same on a second ask', () => {
    const addresses = new KeyAddresses()
    for (const n of [1, 2, 1, 3, 2]) {
      expect(Array.from(addresses.of(key(n)))).toEqual(
        Array.from(addressPayloadFromPublicKey(key(n))),
      )
    }
    expect(addresses.size).toBe(3)
  })

  it('refuse a key of the wrong length as the address rule does', () => {
    const addresses = new KeyAddresses()
    const short = new Uint8Array(31)
    expect(codeOf(() => addresses.of(short))).toBe('PUBLIC_KEY_LENGTH')
    expect(codeOf(() => addresses.of(short))).toBe(codeOf(() => addressPayloadFromPublicKey(short)))
    expect(addresses.size).toBe(0)
  })

  it(`hold at most ${KEY_ADDRESS_ENTRIES} keys, and stay right after starting over`, () => {
    const addresses = new KeyAddresses()
    for (let n = 0; n <= KEY_ADDRESS_ENTRIES + 10; n++) addresses.of(key(n))
    expect(addresses.size).toBeLessThanOrEqual(KEY_ADDRESS_ENTRIES)
    expect(Array.from(addresses.of(key(5)))).toEqual(
      Array.from(addressPayloadFromPublicKey(key(5))),
    )
  })
})
