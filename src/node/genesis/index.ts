/**
 * Public face of genesis tooling: the typed genesis and its hash (genesis-spec.ts), the genesis
 * file (genesis-file.ts: strict JSON, recorded hash, the loader whose result `openEngine` takes)
 * and making new ones (genesis-builder.ts: generated or seeded keys, the deterministic devnet).
 */
export {
  DEFAULT_BLOCK_INTERVAL_MS,
  DEFAULT_FAUCET,
  DEFAULT_MASTERNODE_FUNDS,
  type DevnetGenesisOptions,
  devnetGenesis,
  type NewGenesis,
  type NewGenesisOptions,
  newGenesis,
  type WrittenGenesis,
  writeNewGenesis,
} from './genesis-builder.ts'
export {
  GENESIS_FILE_FORMAT,
  type GenesisExpectation,
  genesisJson,
  type LoadedGenesis,
  loadGenesis,
  loadGenesisFile,
  MAX_GENESIS_FILE_BYTES,
  parseGenesisJson,
  writeGenesisFile,
} from './genesis-file.ts'
export {
  checkGenesis,
  DEFAULT_TIMELOCK_TIMEOUTS,
  GENESIS_VERSION,
  type GenesisEngineConfig,
  type GenesisMember,
  type GenesisSpec,
  genesisBody,
  genesisEngineConfig,
  genesisHash,
  genesisTxid,
  MAX_BLOCK_INTERVAL_MS,
  MAX_GENESIS_ALLOCATIONS,
  MIN_BLOCK_INTERVAL_MS,
} from './genesis-spec.ts'
