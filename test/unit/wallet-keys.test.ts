// Wallet keys (src/core/wallet/keys.ts): BIP39 seeds and SLIP-10 ed25519 derivation give the
// published vectors' bytes (BIP39's TREZOR vector, SLIP-10 test vector 1 for ed25519); a mnemonic
// with a wrong checksum is refused with WALLET_MNEMONIC_INVALID; the project's path derives
// distinct strong keys. Runs in Node and Chromium.
import { describe, expect, it } from 'vitest'
import { getPublicKey } from '../../src/core/crypto/ed25519.ts'
import { isStrongPublicKey } from '../../src/core/crypto/public-key-rule.ts'
import { bytesToHex, fromHex } from '../../src/core/encoding/bytes.ts'
import {
  COIN_TYPE,
  deriveKeyPair,
  deriveSecretKey,
  formatPath,
  generateMnemonic,
  isValidMnemonic,
  keyPath,
  mnemonicToSeed,
} from '../../src/core/wallet/keys.ts'
import { typedErrorOf } from '../support/error-code.ts'

const ABANDON = `${'abandon '.repeat(11)}about`

describe('wallet keys', () => {
  it('BIP39: the TREZOR vector gives its seed', () => {
    expect(bytesToHex(mnemonicToSeed(ABANDON, 'TREZOR'))).toBe(
      'c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04',
    )
  })

  it('BIP39: a wrong checksum word or an unknown word is refused', () => {
    expect(isValidMnemonic(ABANDON)).toBe(true)
    expect(isValidMnemonic('abandon '.repeat(12).trim())).toBe(false)
    expect(typedErrorOf(() => mnemonicToSeed('abandon '.repeat(12).trim()))).toBe(
      'WalletError:WALLET_MNEMONIC_INVALID',
    )
    expect(typedErrorOf(() => mnemonicToSeed(`${'abandon '.repeat(11)}bitcoinz`))).toBe(
      'WalletError:WALLET_MNEMONIC_INVALID',
    )
    const fresh = generateMnemonic()
    expect(fresh.split(' ')).toHaveLength(24)
    expect(isValidMnemonic(fresh)).toBe(true)
  })

  it('SLIP-10 ed25519: test vector 1', () => {
    const seed = fromHex('000102030405060708090a0b0c0d0e0f')
    expect(bytesToHex(deriveSecretKey(seed, []))).toBe(
      '2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7',
    )
    expect(bytesToHex(deriveSecretKey(seed, [0]))).toBe(
      '68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3',
    )
    const deep = deriveSecretKey(seed, [0, 1, 2, 2, 1_000_000_000])
    expect(bytesToHex(deep)).toBe(
      '8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793',
    )
    expect(bytesToHex(getPublicKey(deep))).toBe(
      '3c24da049451555d51a7014a37337aa4e12d41e485abccfa46b47dfb2af54b7a',
    )
    expect(() => deriveSecretKey(seed, [2 ** 31])).toThrow(RangeError)
  })

  it('the wallet path derives distinct, strong keys', () => {
    expect(formatPath(keyPath(0, 7))).toBe(`m/44'/${COIN_TYPE}'/0'/0'/7'`)
    const seed = mnemonicToSeed(ABANDON)
    const keys = [0, 1, 2].map((i) => deriveKeyPair(seed, 0, i))
    expect(new Set(keys.map((k) => bytesToHex(k.publicKey))).size).toBe(3)
    for (const k of keys) expect(isStrongPublicKey(k.publicKey)).toBe(true)
    expect(bytesToHex(deriveKeyPair(seed, 1, 0).publicKey)).not.toBe(bytesToHex(keys[0]!.publicKey))
  })
})
