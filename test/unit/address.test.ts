import { base58 } from '@scure/base'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  addressFromPublicKey,
  addressPayloadFromPublicKey,
  decodeAddress,
  encodeAddress,
  generateKeyPair,
  isValidAddress,
} from '../../src/core/index.ts'

describe('Address', () => {
  const { publicKey } = generateKeyPair()
  const mainnet = addressFromPublicKey(publicKey, 'mainnet')
  const testnet = addressFromPublicKey(publicKey, 'testnet')

  it('uses TIME1 on mainnet and TIME0 on testnet and devnet', () => {
    expect(mainnet.startsWith('TIME1')).toBe(true)
    expect(testnet.startsWith('TIME0')).toBe(true)
    expect(addressFromPublicKey(publicKey, 'devnet')).toBe(testnet)
  })

  it('decodes back to the payload of the key', () => {
    const decoded = decodeAddress(mainnet, 'mainnet')
    expect(decoded.payload).toEqual(addressPayloadFromPublicKey(publicKey))
    expect(decoded.networkClass).toBe('mainnet')
    expect(decodeAddress(testnet, 'devnet').networkClass).toBe('test')
  })

  it('gives a wrong network its own code', () => {
    expect(() => decodeAddress(testnet, 'mainnet')).toThrow(
      expect.objectContaining({ code: 'ADDRESS_NETWORK' }),
    )
    expect(() => decodeAddress(`TIME7${mainnet.slice(5)}`)).toThrow(
      expect.objectContaining({ code: 'ADDRESS_NETWORK' }),
    )
  })

  it('gives a bad checksum its own code', () => {
    const body = base58.decode(mainnet.slice(5))
    body[23]! ^= 1
    const corrupted = `TIME1${base58.encode(body)}`
    expect(() => decodeAddress(corrupted)).toThrow(
      expect.objectContaining({ code: 'ADDRESS_CHECKSUM' }),
    )
  })

  it('distinguishes prefix, base58 and length errors', () => {
    expect(() => decodeAddress(`BTC1${mainnet.slice(5)}`)).toThrow(
      expect.objectContaining({ code: 'ADDRESS_PREFIX' }),
    )
    expect(() => decodeAddress('TIME1O0Il')).toThrow(
      expect.objectContaining({ code: 'ADDRESS_BASE58' }),
    )
    expect(() => decodeAddress(`TIME1${base58.encode(new Uint8Array(23))}`)).toThrow(
      expect.objectContaining({ code: 'ADDRESS_LENGTH' }),
    )
    expect(() => encodeAddress(new Uint8Array(19), 'mainnet')).toThrow(
      expect.objectContaining({ code: 'ADDRESS_LENGTH' }),
    )
  })

  it('detects every single-character substitution', () => {
    const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: mainnet.length - 1 }),
        fc.constantFrom(...alphabet),
        (pos, ch) => {
          fc.pre(mainnet[pos] !== ch)
          const typo = mainnet.slice(0, pos) + ch + mainnet.slice(pos + 1)
          expect(isValidAddress(typo)).toBe(false)
        },
      ),
    )
  })
})
