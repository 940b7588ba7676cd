// The wire-message vectors (test/vectors/protocol-messages.json): the encoders still produce
// exactly these bytes, the decoders read them back to the same messages, and docs/PROTOCOL.md §19
// quotes every one of them.
import { describe, expect, it } from 'vitest'
import protocolDoc from '../../docs/PROTOCOL.md?raw'
import {
  bytesToHex,
  EngineMessageCodec,
  fromHex,
  PeerExchangeCodec,
  SyncMessageCodec,
  WalletMessageCodec,
} from '../../src/core/index.ts'
import { messageVectors, type Union } from '../support/message-vectors.ts'
import vectors from './protocol-messages.json' with { type: 'json' }

const codecs: Record<Union, { encode(m: never): Uint8Array; decode(b: Uint8Array): unknown }> = {
  engine: EngineMessageCodec,
  wallet: WalletMessageCodec,
  sync: SyncMessageCodec,
  peers: PeerExchangeCodec,
}

describe('wire-message vectors', () => {
  const built = messageVectors()

  it('list the same messages as the builder, in order', () => {
    expect(vectors.messages.map((v) => [v.name, v.union, v.type])).toEqual(
      built.map((b) => [b.name, b.union, b.message.type]),
    )
  })

  it.each(built.map((b, i) => [b.name, b, vectors.messages[i]!.hex] as const))(
    '%s: encodes to the vector and decodes back',
    (_name, b, hex) => {
      const codec = codecs[b.union]
      expect(bytesToHex(codec.encode(b.message as never))).toBe(hex)
      expect(codec.decode(fromHex(hex))).toEqual(b.message)
    },
  )

  it('are quoted in docs/PROTOCOL.md', () => {
    const doc = protocolDoc.replace(/\s+/g, '')
    expect(vectors.messages.filter((v) => !doc.includes(v.hex)).map((v) => v.name)).toEqual([])
  })
})
