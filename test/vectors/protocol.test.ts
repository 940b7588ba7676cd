// The project's own protocol vectors (test/vectors/protocol.json, quoted in docs/PROTOCOL.md).
import { describe, expect, it } from 'vitest'
import protocolDoc from '../../docs/PROTOCOL.md?raw'
import {
  addressFromPublicKey,
  addressPayloadFromPublicKey,
  bytesToHex,
  computeTxid,
  DomainTags,
  decodeAddress,
  decodeTransaction,
  EncodingError,
  encodeTransaction,
  fromHex,
  getPublicKey,
  inputSigningMessage,
  TransactionCodec,
  UnsignedTransactionCodec,
  verifyTransactionSignatures,
} from '../../src/core/index.ts'
import vectors from './protocol.json' with { type: 'json' }

const t = vectors.transaction
const genesis = fromHex(t.genesisHash)

function codeOf(f: () => unknown): string | undefined {
  try {
    f()
    return undefined
  } catch (e) {
    return e instanceof EncodingError ? e.code : `not an EncodingError: ${e}`
  }
}

describe('protocol vectors', () => {
  it('keys give their exact public keys, payloads and addresses', () => {
    for (const k of vectors.keys) {
      const publicKey = getPublicKey(fromHex(k.secretKey))
      expect(bytesToHex(publicKey)).toBe(k.publicKey)
      expect(bytesToHex(addressPayloadFromPublicKey(publicKey))).toBe(k.payload)
      expect(addressFromPublicKey(publicKey, 'mainnet')).toBe(k.mainnet)
      expect(addressFromPublicKey(publicKey, 'testnet')).toBe(k.testnet)
      expect(bytesToHex(decodeAddress(k.mainnet, 'mainnet').payload)).toBe(k.payload)
    }
  })

  it('the payment decodes, re-encodes, and has the exact txid and messages', async () => {
    const { tx, txid } = decodeTransaction(fromHex(t.signed))
    expect(bytesToHex(encodeTransaction(tx))).toBe(t.signed)
    expect(bytesToHex(UnsignedTransactionCodec.encode(tx))).toBe(t.unsigned)
    expect(bytesToHex(txid)).toBe(t.txid)
    expect(bytesToHex(computeTxid(tx))).toBe(t.txid)
    tx.inputs.forEach((input, i) => {
      expect(bytesToHex(inputSigningMessage(genesis, txid, i))).toBe(t.signingMessages[i])
      expect(bytesToHex(input.signature)).toBe(t.signatures[i])
    })
    await verifyTransactionSignatures(tx, genesis)
  })

  it('refuses the listed bad encodings with their codes', () => {
    const unsigned = fromHex(t.unsigned)
    const empty = fromHex('01000000000000000000')
    const edit = (bytes: Uint8Array, at: number, hex: string) => {
      const out = bytes.slice()
      out.set(fromHex(hex), at)
      return out
    }
    const decode = (b: Uint8Array) => () => UnsignedTransactionCodec.decode(b)
    expect(codeOf(decode(Uint8Array.from([...unsigned, 0])))).toBe('TRAILING_BYTES')
    expect(codeOf(decode(unsigned.subarray(0, -1)))).toBe('TRUNCATED')
    expect(codeOf(decode(edit(unsigned, 0, '0200')))).toBe('INVALID_VALUE')
    expect(codeOf(decode(edit(unsigned, unsigned.length - 1, '01')))).toBe('INVALID_VALUE')
    expect(codeOf(decode(edit(empty, 2, 'ffff')))).toBe('LIMIT_EXCEEDED')
    // first output value sits after version, 2 inputs of 68 bytes and the output count
    expect(codeOf(decode(edit(unsigned, 2 + 2 + 2 * 68 + 2, 'ffffffffffffffff')))).toBe(
      'OUT_OF_RANGE',
    )
    expect(codeOf(() => TransactionCodec.decode(new Uint8Array(100_001)))).toBe('LIMIT_EXCEEDED')
  })

  it('docs/PROTOCOL.md quotes every vector', () => {
    const quoted = [
      ...vectors.keys.flatMap((k) => Object.values(k)),
      t.genesisHash,
      t.txid,
      ...t.signingMessages,
      ...t.signatures,
    ]
    expect(quoted.filter((v) => !protocolDoc.includes(v))).toEqual([])
    // The annotated unsigned layout, with its spacing removed, is the unsigned encoding.
    const annotated = /Unsigned encoding, annotated:\n\n```\n([\s\S]*?)```/.exec(protocolDoc)
    const hex = annotated?.[1]
      ?.split('\n')
      .map((line) => /^[0-9a-f]+/.exec(line)?.[0] ?? '')
      .join('')
    expect(hex).toBe(t.unsigned)
  })

  it('no domain tag is a prefix of another', () => {
    const tags = Object.values(DomainTags)
    expect(new Set(tags).size).toBe(tags.length)
    for (const a of tags) for (const b of tags) if (a !== b) expect(b.startsWith(a)).toBe(false)
  })
})
