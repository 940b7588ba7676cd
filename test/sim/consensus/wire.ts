// The simulator's wire mode for engine messages: every message between two nodes is encoded with
// the protocol's codec when sent and decoded anew at each delivery (network.ts), so no node ever
// shares an object with another and every message a run exchanges must have a wire encoding.
import { decodeMessage, encodeMessage, type Message } from '../../../src/core/index.ts'
import type { WireCodec } from '../network.ts'

/**
 * The two objects that determine a message's bytes: engines wrap one batch, proposal or
 * transaction in a new message per peer, and these objects are immutable, so caches (encodings
 * here, verdicts in sync-verifier.ts) key on them. The two transaction messages differ only in their
 * tag: each has its own marker as the second key.
 */
export function messageParts(message: Message): [object, object] {
  switch (message.type) {
    case 'TransactionBroadcast':
    case 'InstantFinalityRequest':
      return [message.tx, TX_KINDS[message.type]]
    case 'InstantFinalityVote':
      return [message.batch, message.batch]
    case 'FinalityCertificate':
      return [message.certificate, message.tx]
    case 'BlockProposal':
      return [message.proposal, message.proposal]
    case 'BlockCommit':
      return [message.block, message.certificate]
    case 'LockReport':
      return [message.report, message.txs]
    case 'TransactionRequest':
    case 'BlockRequest':
      return [message, message]
  }
}
const TX_KINDS = { TransactionBroadcast: {}, InstantFinalityRequest: {} }

/** Encodings by a message's parts: a broadcast to every peer is encoded once. */
const encoded = new WeakMap<object, WeakMap<object, Uint8Array>>()

/** The frame each decoded message was read from (the sync verifier keeps its verdicts by it). */
const frames = new WeakMap<Message, Uint8Array>()

/** The bytes `message` was decoded from, if it came over the simulated wire. */
export function frameOf(message: Message): Uint8Array | undefined {
  return frames.get(message)
}

export const messageWire: WireCodec<Message> = {
  encode(message) {
    const [outer, inner] = messageParts(message)
    let byInner = encoded.get(outer)
    if (byInner === undefined) {
      byInner = new WeakMap()
      encoded.set(outer, byInner)
    }
    let bytes = byInner.get(inner)
    if (bytes === undefined) {
      bytes = encodeMessage(message)
      byInner.set(inner, bytes)
    }
    return bytes
  },
  decode(bytes) {
    const message = decodeMessage(bytes)
    frames.set(message, bytes)
    return message
  },
}
