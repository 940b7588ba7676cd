export {
  type ChainBlockChanges,
  type ChainUtxo,
  chainStateAfter,
  chainUtxoState,
  chainUtxos,
  inChain,
} from './chain-utxos.ts'
export { checkGenesisAllocation, type GenesisAllocation } from './genesis.ts'
export {
  type BlockReward,
  type BlockTransaction,
  Ledger,
  type LedgerOptions,
  LOCK_EXPIRY_MS,
  type SpendCheck,
  type Transition,
} from './ledger.ts'
export { LTHASH_BYTES, LTHASH_LANES, LtHash, ltHashElement } from './lthash.ts'
export {
  DEFAULT_MEMPOOL_LIMITS,
  Mempool,
  type MempoolChange,
  type MempoolEntry,
  type MempoolLimits,
  type MempoolStatus,
} from './mempool.ts'
export { transactionBundle, verifyTransaction } from './tx-verify.ts'
export { UtxoSet, type UtxoSummary } from './utxo-set.ts'
export { isLive, type UtxoEntry, type UtxoState, type UtxoStateKind } from './utxo-state.ts'
