// Prints the wire-message vectors (test/vectors/protocol-messages.json) from the fixed messages of
// test/support/message-vectors.ts. Regenerate only on a deliberate protocol change:
// `node scripts/protocol-message-vectors.ts > test/vectors/protocol-messages.json`.
import {
  bytesToHex,
  EngineMessageCodec,
  PeerExchangeCodec,
  SyncMessageCodec,
  WalletMessageCodec,
} from '../src/core/index.ts'
import { messageVectors, type Union } from '../test/support/message-vectors.ts'

const codecs: Record<Union, { encode(m: never): Uint8Array }> = {
  engine: EngineMessageCodec,
  wallet: WalletMessageCodec,
  sync: SyncMessageCodec,
  peers: PeerExchangeCodec,
}

const out = {
  description:
    'TIME Coin wire-message vectors: u8 tag ‖ body of each message (docs/PROTOCOL.md §19); each travels as one lpStream frame (unsigned-varint length ‖ these bytes)',
  messages: messageVectors().map((v) => ({
    name: v.name,
    union: v.union,
    type: v.message.type,
    hex: bytesToHex(codecs[v.union].encode(v.message as never)),
  })),
}
console.log(JSON.stringify(out, null, 2))
