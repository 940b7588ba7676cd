/**
 * The wire protocol (docs/PROTOCOL.md §19): protocol ids, one codec per message of every
 * protocol, and the table of protocols with their frame limits and timeouts. Pure: bytes in,
 * objects out; the libp2p services that carry the frames are src/core/net.
 */
export {
  decodeMessage,
  ENGINE_MESSAGE_TAGS,
  EngineMessageCodec,
  encodeMessage,
  MAX_BLOCK_MESSAGE_SIZE,
} from './engine-messages.ts'
export {
  GOSSIP_MAX_MESSAGE_BYTES,
  GOSSIP_TOPICS,
  type GossipTopicKey,
  type GossipTopicSpec,
  gossipTopic,
  gossipTopics,
} from './gossip-topics.ts'
export {
  HANDSHAKE_VERSION,
  type Hello,
  HelloCodec,
  helloVersion,
  MAX_HELLO_SIZE,
  MAX_NETWORK_NAME_LENGTH,
  PeerRole,
  peerBindingBundle,
  peerBindingMessage,
  signPeerBinding,
} from './handshake.ts'
export {
  decodePeerExchange,
  type ExchangedPeer,
  encodePeerExchange,
  MAX_EXCHANGED_PEERS,
  MAX_MULTIADDR_BYTES,
  MAX_PEER_ADDRS,
  MAX_PEER_ID_BYTES,
  PEERS_ANSWER_FRAMES,
  PEERS_REQUEST_FRAMES,
  PeerExchangeCodec,
  type PeerExchangeMessage,
} from './peer-exchange.ts'
export {
  PROTOCOL_NAMES,
  PROTOCOL_VERSIONS,
  type ProtocolName,
  protocolId,
  protocolIds,
} from './protocol-ids.ts'
export { PROTOCOLS, type ProtocolKey, type ProtocolSpec, protocolIdOf } from './protocols.ts'
export {
  type CertifiedBlock,
  decodeSyncMessage,
  encodeSyncMessage,
  MAX_BLOCKS_PER_RANGE,
  MAX_RANGE_ANSWER_SIZE,
  MAX_SNAPSHOT_RECORDS,
  rangeAnswer,
  type SnapshotRecord,
  SYNC_ANSWER_FRAMES,
  SYNC_REQUEST_FRAMES,
  type SyncMessage,
  SyncMessageCodec,
  type SyncMessageType,
} from './sync-messages.ts'
export type { FrameCodec, UnionCodec } from './tagged-union.ts'
export {
  addressStatus,
  MAX_TX_PATH,
  type UtxoProof,
  UtxoProofCodec,
  type WalletUtxo,
  type WalletUtxoState,
  WalletUtxoStateCodec,
  walletUtxoState,
} from './utxo-proofs.ts'
export {
  type AddressStatus,
  decodeWalletMessage,
  encodeWalletMessage,
  MAX_PROOF_STEPS_PER_ANSWER,
  MAX_UTXOS_PER_ANSWER,
  MAX_WALLET_ADDRESSES,
  WALLET_CLIENT_FRAMES,
  WALLET_CLIENT_MESSAGES,
  WALLET_SERVER_FRAMES,
  WALLET_SERVER_MESSAGES,
  type WalletMessage,
  WalletMessageCodec,
  type WalletMessageType,
  type WalletRequest,
  type WalletResponse,
} from './wallet-messages.ts'
export {
  fitText,
  MAX_ERROR_CODE_LENGTH,
  MAX_ERROR_MESSAGE_BYTES,
  type WireError,
  wireError,
} from './wire-fields.ts'
