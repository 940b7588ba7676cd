/**
 * The light client's libp2p adapter, public face: `new WalletClient({ network, client })`, then
 * `connect(connection)` on a connection to a masternode (either host). The state machine it drives
 * is `LightClient` (src/core/wallet/light-client).
 */
export {
  DEFAULT_MAX_BACKLOG,
  WalletClient,
  type WalletClientEvents,
  type WalletClientInit,
} from './wallet-client.ts'
