/**
 * The gossipsub topics full nodes follow the chain by (docs/PROTOCOL.md §22.3): their names,
 * `/timecoin/<network>/<name>/<version>`, built by `gossipTopic` and nowhere else, and the one
 * engine message each carries with its codec and size limit. A topic string lives in gossipsub's
 * namespace, not libp2p's protocol table: `/timecoin/devnet/tx/1` the topic and
 * `/timecoin/devnet/tx/1` the stream protocol are different things of the same name.
 *
 * Invariants: a topic's codec refuses every message type but its own (PROTOCOL_UNEXPECTED_MESSAGE)
 * and any payload over its `maxDataLength`; the largest gossipsub message is the largest of them.
 */
import type { Message } from '../engine/messages.ts'
import { ProtocolError } from '../errors.ts'
import { isNetworkName, type NetworkName } from '../primitives/network.ts'
import { EngineMessageCodec } from './engine-messages.ts'
import { type FrameCodec, frameCodec } from './tagged-union.ts'

export interface GossipTopicSpec<T extends Message> {
  readonly name: string
  readonly version: number
  /** The message the topic carries, with its limit. */
  readonly codec: FrameCodec<T>
}

/**
 * - `tx`: a final transaction with its certificate (`FinalityCertificate`), published by the
 *   masternodes that saw it final;
 * - `block`: a committed block with its certificate (`BlockCommit`), published by the masternodes
 *   that decided it.
 */
export const GOSSIP_TOPICS = {
  tx: {
    name: 'tx',
    version: 1,
    codec: frameCodec('tx topic', EngineMessageCodec, ['FinalityCertificate']),
  },
  block: {
    name: 'block',
    version: 1,
    codec: frameCodec('block topic', EngineMessageCodec, ['BlockCommit']),
  },
} as const satisfies Record<string, GossipTopicSpec<Message>>

export type GossipTopicKey = keyof typeof GOSSIP_TOPICS

/** The largest message of any topic: gossipsub's inbound limit adds its envelope to it. */
export const GOSSIP_MAX_MESSAGE_BYTES = Math.max(
  ...Object.values(GOSSIP_TOPICS).map((t) => t.codec.maxDataLength),
)

/** `/timecoin/<network>/<name>/<version>` of a topic. */
export function gossipTopic(network: NetworkName, key: GossipTopicKey): string {
  if (!isNetworkName(network))
    throw new ProtocolError('PROTOCOL_ID_INVALID', `unknown network ${String(network)}`)
  const spec = GOSSIP_TOPICS[key]
  if (spec === undefined) throw new ProtocolError('PROTOCOL_ID_INVALID', `unknown topic ${key}`)
  return `/timecoin/${network}/${spec.name}/${spec.version}`
}

/** Every topic of `network` (gossipsub's `allowedTopics`). */
export function gossipTopics(network: NetworkName): string[] {
  return (Object.keys(GOSSIP_TOPICS) as GossipTopicKey[]).map((k) => gossipTopic(network, k))
}
