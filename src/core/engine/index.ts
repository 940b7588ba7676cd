export type { ChainConfig } from './chain.ts'
export {
  type ChainTip,
  loadChainState,
  loadCommittedBlocks,
  loadCommitteeProof,
  type StoredBlockVote,
} from './chain-store.ts'
export {
  type Decision,
  decisionOp,
  lastSeqOp,
  loadVotingState,
  type StoredVotingState,
} from './decision-store.ts'
export type { Effect, EngineEvent, UtxoStateChange } from './events.ts'
export {
  type EngineConfig,
  FinalityEngine,
  type StateSizes,
  type StoredChainState,
} from './finality-engine.ts'
export { DEFAULT_LIMITS, type EngineLimits, engineLimits } from './limits.ts'
export type { Message, MessageType, PeerId } from './messages.ts'
export { messageBundle, preverify } from './preverify.ts'
export {
  EngineRuntime,
  genesisBatch,
  type Notification,
  type OpenEngineConfig,
  openEngine,
  type RuntimePorts,
  storeWriter,
  type TimerHandle,
} from './runtime.ts'
export { VotePipeline } from './vote-pipeline.ts'
