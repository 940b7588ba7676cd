/**
 * The registry of domain tags. Every hashed or signed object kind has exactly one tag, and no
 * tag is a prefix of another (a test checks), so `tag ‖ data` is never ambiguous across kinds.
 */
export const DomainTags = {
  /** txid = SHA-256(tag ‖ encoding of the transaction without signatures). */
  txid: 'TIMECOIN/txid/v1',
  /** An input signature covers tag ‖ genesisHash ‖ txid ‖ u32le(inputIndex). */
  txInput: 'TIMECOIN/tx-input/v1',
  /** A vote batch signature covers tag ‖ genesisHash ‖ encoded header. */
  voteBatch: 'TIMECOIN/vote-batch/v1',
  /** blockHash = SHA-256(tag ‖ encoded block header). */
  block: 'TIMECOIN/block/v1',
  /** A block's reward outputs have txid SHA-256(tag ‖ u32le(height) ‖ prevHash). */
  reward: 'TIMECOIN/reward/v1',
  /** A proposal signature covers tag ‖ genesisHash ‖ blockHash ‖ u32le(attempt) ‖ u32le(validAttempt + 1). */
  proposal: 'TIMECOIN/proposal/v1',
  /**
   * A registration proof: the masternode key signs tag ‖ genesisHash ‖ first input's outpoint ‖
   * u8 tierCode ‖ u16le collateralVout.
   */
  registration: 'TIMECOIN/mn-register/v1',
  /** A deregistration proof: tag ‖ genesisHash ‖ first input's outpoint ‖ masternodeKey. */
  deregistration: 'TIMECOIN/mn-deregister/v1',
  /** committeeHash = SHA-256(tag ‖ u32le(epoch) ‖ u32le(count) ‖ (key ‖ u64le(weight))… in key order). */
  committee: 'TIMECOIN/committee/v1',
  /** A lock report signature covers tag ‖ genesisHash ‖ encoded report body. */
  lockReport: 'TIMECOIN/lock-report/v1',
  /**
   * A wallet address's status (as Electrum's): SHA-256(tag ‖ u32le(count) ‖ (outpoint ‖ wallet
   * UTXO state)… in outpoint order): a reconnecting wallet re-reads an address only if it changed.
   */
  addressStatus: 'TIMECOIN/address-status/v1',
  /**
   * A masternode's handshake binding: its masternode key signs tag ‖ genesisHash ‖ the binary
   * multihash of its libp2p peer id, so a peer id speaks for that key only on this network.
   */
  peerBinding: 'TIMECOIN/peer-binding/v1',
  /**
   * A network's identity, the genesis hash: SHA-256(tag ‖ canonical genesis body) (src/node/genesis,
   * docs/OPERATIONS.md "Genesis"): version, network, timestamp, block interval, minimum committee,
   * the epoch-0 committeeHash and every allocation.
   */
  genesis: 'TIMECOIN/genesis/v1',
  /** The txid of the genesis allocation's outputs: SHA-256(tag ‖ genesisHash). */
  genesisTx: 'TIMECOIN/genesis-tx/v1',
} as const

export type DomainTag = (typeof DomainTags)[keyof typeof DomainTags]
