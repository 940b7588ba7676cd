/**
 * The light client's public face: the wallet protocol's client half as a sans-I/O state machine
 * (`LightClient`) and the proof checks it runs on every output (`checkUtxoProof`). The network
 * adapter that drives it over libp2p is `src/core/net/wallet-client`.
 */
export {
  DEFAULT_MAX_CLIENT_REQUESTS,
  DEFAULT_MAX_COMMITTEES,
  DEFAULT_RESYNC_DELAY_MS,
  type HeldUtxo,
  LightClient,
  type LightClientCommand,
  type LightClientConfig,
  type LightClientEvent,
  type LightClientInput,
} from './light-client.ts'
export { checkUtxoProof, isFinalState, proofEpoch } from './utxo-proof-check.ts'
