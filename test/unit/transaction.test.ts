import { describe, expect, it } from 'vitest'
import {
  addressPayloadFromPublicKey,
  checkTransactionStructure,
  computeTxid,
  decodeTransaction,
  encodeTransaction,
  generateKeyPair,
  MAX_TX_INPUTS,
  parseAmount,
  sha256,
  signTransaction,
  type Transaction,
  type Txid,
  type UnsignedTransaction,
  utf8ToBytes,
  verifyTransactionSignatures,
} from '../../src/core/index.ts'

const genesis = sha256(utf8ToBytes('test genesis'))
const otherGenesis = sha256(utf8ToBytes('another network'))
const alice = generateKeyPair()
const bob = generateKeyPair()
const carol = generateKeyPair()

const prev = (n: number) => sha256(new Uint8Array([n])) as Txid

function payment(): UnsignedTransaction {
  return {
    version: 1,
    inputs: [
      { outpoint: { txid: prev(1), vout: 0 }, publicKey: alice.publicKey },
      { outpoint: { txid: prev(2), vout: 3 }, publicKey: bob.publicKey },
    ],
    outputs: [
      { value: parseAmount('1.5'), address: addressPayloadFromPublicKey(carol.publicKey) },
      { value: parseAmount('0.49'), address: addressPayloadFromPublicKey(alice.publicKey) },
    ],
    lockTime: 0,
    payload: { type: 'none' },
  }
}

const signed = signTransaction(payment(), [alice.secretKey, bob.secretKey], genesis)

describe('Transaction', () => {
  it('signs every input and verifies', async () => {
    await expect(verifyTransactionSignatures(signed, genesis)).resolves.toBeUndefined()
    expect(checkTransactionStructure(signed)).toBe(encodeTransaction(signed).length)
  })

  it('txid excludes signatures and commits to every other field', () => {
    const txid = computeTxid(signed)
    const resigned: Transaction = {
      ...signed,
      inputs: signed.inputs.map((i) => ({ ...i, signature: new Uint8Array(64) })),
    }
    expect(computeTxid(resigned)).toEqual(txid)
    expect(computeTxid({ ...signed, lockTime: 1 })).not.toEqual(txid)
    expect(computeTxid({ ...signed, outputs: signed.outputs.slice(0, 1) })).not.toEqual(txid)
  })

  it('decodeTransaction derives the same txid from the wire bytes', () => {
    const bytes = encodeTransaction(signed)
    const decoded = decodeTransaction(bytes)
    expect(decoded.tx).toEqual(signed)
    expect(decoded.txid).toEqual(computeTxid(signed))
    expect(decoded.size).toBe(bytes.length)
  })

  it('a signature does not verify on another network', async () => {
    await expect(verifyTransactionSignatures(signed, otherGenesis)).rejects.toMatchObject({
      code: 'TX_SIGNATURE',
      peerAction: 'low-tolerance',
    })
  })

  it('a signature cannot move to another input position', async () => {
    const swapped: Transaction = {
      ...signed,
      inputs: [
        { ...signed.inputs[0]!, signature: signed.inputs[1]!.signature },
        { ...signed.inputs[1]!, signature: signed.inputs[0]!.signature },
      ],
    }
    await expect(verifyTransactionSignatures(swapped, genesis)).rejects.toMatchObject({
      code: 'TX_SIGNATURE',
    })
  })

  it('refuses to sign with a key that does not match the input', () => {
    expect(() => signTransaction(payment(), [bob.secretKey, bob.secretKey], genesis)).toThrow(
      expect.objectContaining({ code: 'TX_KEY_MISMATCH' }),
    )
    expect(() => signTransaction(payment(), [alice.secretKey], genesis)).toThrow(
      expect.objectContaining({ code: 'TX_INPUT_INDEX' }),
    )
  })

  it.each([
    ['TX_NO_INPUTS', (t: Transaction): Transaction => ({ ...t, inputs: [] })],
    ['TX_NO_OUTPUTS', (t: Transaction): Transaction => ({ ...t, outputs: [] })],
    [
      'TX_DUPLICATE_INPUT',
      (t: Transaction): Transaction => ({ ...t, inputs: [t.inputs[0]!, t.inputs[0]!] }),
    ],
    [
      'TX_OUTPUT_VALUE',
      (t: Transaction): Transaction => ({
        ...t,
        outputs: [{ ...t.outputs[0]!, value: 0n as never }],
      }),
    ],
    [
      'TX_OUTPUT_TOTAL',
      (t: Transaction): Transaction => ({
        ...t,
        outputs: [
          { ...t.outputs[0]!, value: (2n ** 62n) as never },
          { ...t.outputs[1]!, value: (2n ** 62n) as never },
        ],
      }),
    ],
    ['TX_VERSION', (t: Transaction): Transaction => ({ ...t, version: 2 })],
    [
      'TX_TOO_MANY_INPUTS',
      (t: Transaction): Transaction => ({
        ...t,
        inputs: Array.from({ length: MAX_TX_INPUTS + 1 }, (_, i) => ({
          ...t.inputs[0]!,
          outpoint: { txid: prev(0), vout: i },
        })),
      }),
    ],
  ])('structure check refuses with %s', (code, mutate) => {
    expect(() => checkTransactionStructure(mutate(signed))).toThrow(
      expect.objectContaining({ code }),
    )
  })
})
