/**
 * Gossip's public face: `gossip(init)` is a libp2p service factory for masternodes and full nodes
 * (`services: { handshake, …, engine, gossip: gossip({ network, genesisHash, publish }) }`, after
 * the engine service it feeds; the host must run gossipsub as `pubsub`). A publishing masternode
 * opens its engine with `followers: [GOSSIP_FOLLOWER]`. docs/PROTOCOL.md §22.3 has the topics and
 * the validators' rules.
 */
import { type GossipComponents, type GossipInit, GossipService } from './gossip-service.ts'

export {
  DEFAULT_HANDSHAKE_WAIT_MS,
  DEFAULT_MAX_EARLY_BLOCKS,
  GOSSIP_FOLLOWER,
  type GossipComponents,
  type GossipInit,
  GossipService,
  type GossipStats,
  type PubSub,
  type PubSubMessage,
  type TopicValidator,
  TopicVerdict,
} from './gossip-service.ts'

export function gossip(init: GossipInit): (components: GossipComponents) => GossipService {
  return (components) => new GossipService(components, init)
}
