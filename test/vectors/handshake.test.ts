// The handshake's vectors (test/vectors/handshake.json, quoted in docs/PROTOCOL.md "Handshake")
// and its strict decoding. Pure core: runs in Node and in Chromium.
import { describe, expect, it } from 'vitest'
import protocolDoc from '../../docs/PROTOCOL.md?raw'
import {
  bytesToHex,
  fromHex,
  type Hello,
  HelloCodec,
  helloVersion,
  keySigner,
  MAX_HELLO_SIZE,
  PeerRole,
  peerBindingBundle,
  peerBindingMessage,
  SMALL_ORDER_KEYS,
  signPeerBinding,
  verifyBundle,
} from '../../src/core/index.ts'
import { encodingCodeOf } from '../support/error-code.ts'
import v from './handshake.json' with { type: 'json' }

const genesis = fromHex(v.genesisHash)
const peerIdBytes = fromHex(v.peerIdBytes)
const signer = keySigner(fromHex(v.masternodeSecretKey))

const masternodeHello: Hello = {
  version: 1,
  network: v.masternodeHello.network,
  genesisHash: genesis,
  tipHeight: v.masternodeHello.tipHeight,
  tipHash: fromHex(v.masternodeHello.tipHash),
  role: PeerRole.Masternode,
  masternodeKey: signer.publicKey,
  bindingSignature: fromHex(v.bindingSignature),
}

describe('handshake vectors', () => {
  it('the binding message and signature', () => {
    expect(bytesToHex(signer.publicKey)).toBe(v.masternodeKey)
    expect(bytesToHex(peerBindingMessage(genesis, peerIdBytes))).toBe(v.bindingMessage)
    expect(bytesToHex(signPeerBinding(signer, genesis, peerIdBytes))).toBe(v.bindingSignature)
  })

  it('a masternode hello and a light client hello encode exactly', () => {
    expect(bytesToHex(HelloCodec.encode(masternodeHello))).toBe(v.masternodeHello.encoded)
    const light: Hello = {
      version: 1,
      network: v.lightClientHello.network,
      genesisHash: genesis,
      tipHeight: 0,
      tipHash: new Uint8Array(32),
      role: PeerRole.LightClient,
    }
    expect(bytesToHex(HelloCodec.encode(light))).toBe(v.lightClientHello.encoded)
    expect(HelloCodec.decode(fromHex(v.lightClientHello.encoded))).toEqual(light)
    expect(HelloCodec.decode(fromHex(v.masternodeHello.encoded))).toEqual(masternodeHello)
    expect(fromHex(v.masternodeHello.encoded).length).toBe(MAX_HELLO_SIZE - 16 + 7)
  })

  it('docs/PROTOCOL.md quotes every vector', () => {
    const quoted = [
      v.peerIdBytes,
      v.bindingSignature,
      v.masternodeHello.encoded,
      v.lightClientHello.encoded,
    ]
    expect(quoted.filter((hex) => !protocolDoc.includes(hex))).toEqual([])
  })

  it('the binding verifies for its peer id only', async () => {
    const bundle = peerBindingBundle(masternodeHello, genesis, peerIdBytes)
    expect(bundle).not.toBeNull()
    await verifyBundle(bundle!)
    const other = peerIdBytes.slice()
    other[other.length - 1]! ^= 1
    await expect(verifyBundle(peerBindingBundle(masternodeHello, genesis, other)!)).rejects.toThrow(
      expect.objectContaining({ code: 'HANDSHAKE_BINDING', peerAction: 'fatal' }),
    )
    const otherGenesis = genesis.slice()
    otherGenesis[0]! ^= 1
    await expect(
      verifyBundle(peerBindingBundle(masternodeHello, otherGenesis, peerIdBytes)!),
    ).rejects.toMatchObject({ code: 'HANDSHAKE_BINDING' })
  })

  it('refuses a small-order masternode key before any signature, and binds nothing for other roles', () => {
    const weak = { ...masternodeHello, masternodeKey: fromHex(SMALL_ORDER_KEYS[0]!) }
    expect(() => peerBindingBundle(weak, genesis, peerIdBytes)).toThrow(
      expect.objectContaining({ code: 'HANDSHAKE_BINDING', peerAction: 'fatal' }),
    )
    const full: Hello = { ...masternodeHello, role: PeerRole.FullNode }
    expect(peerBindingBundle(full, genesis, peerIdBytes)).toBeNull()
    expect(() => peerBindingMessage(genesis, new Uint8Array(0))).toThrow()
    expect(() => peerBindingMessage(genesis.subarray(1), peerIdBytes)).toThrow()
  })
})

describe('hello decoding is strict', () => {
  const good = fromHex(v.masternodeHello.encoded)
  const light = fromHex(v.lightClientHello.encoded)
  const codeOf = (bytes: Uint8Array) => encodingCodeOf(() => HelloCodec.decode(bytes))

  it('the version is readable alone, and only version 1 decodes', () => {
    expect(helloVersion(good)).toBe(1)
    expect(helloVersion(Uint8Array.of(1))).toBeNull()
    const v2 = good.slice()
    v2[0] = 2
    expect(helloVersion(v2)).toBe(2)
    expect(codeOf(v2)).toBe('INVALID_VALUE')
  })

  it('refuses trailing bytes, truncation, an unknown role, and a masternode without its proof', () => {
    expect(codeOf(Uint8Array.of(...good, 0))).toBe('TRAILING_BYTES')
    expect(codeOf(good.subarray(0, good.length - 1))).toBe('TRUNCATED')
    const roleAt = light.length - 1
    const badRole = light.slice()
    badRole[roleAt] = 3
    expect(codeOf(badRole)).toBe('INVALID_VALUE')
    const bareMasternode = light.slice()
    bareMasternode[roleAt] = 2
    expect(codeOf(bareMasternode)).toBe('TRUNCATED')
    const lightWithProof = Uint8Array.of(...light, ...new Uint8Array(96))
    expect(codeOf(lightWithProof)).toBe('TRAILING_BYTES')
  })

  it('refuses network names that are empty, too long or not [a-z0-9-]', () => {
    const withName = (name: number[]) =>
      Uint8Array.of(1, 0, name.length, ...name, ...light.subarray(3 + 7))
    expect(codeOf(withName([]))).toBe('LIMIT_EXCEEDED')
    expect(codeOf(withName(new Array(17).fill(0x61)))).toBe('LIMIT_EXCEEDED')
    expect(codeOf(withName([0x54, 0x45, 0x53, 0x54]))).toBe('INVALID_VALUE') // "TEST"
    expect(HelloCodec.decode(withName([0x61, 0x2d, 0x31])).network).toBe('a-1')
    expect(() => HelloCodec.encode({ ...masternodeHello, network: 'Main' })).toThrow()
  })

  it('refuses input over the size limit before parsing', () => {
    expect(codeOf(new Uint8Array(MAX_HELLO_SIZE + 1))).toBe('LIMIT_EXCEEDED')
  })
})
