/**
 * The wallet protocol's masternode side, public face: `walletService(init)` is a libp2p service
 * factory (`services: { handshake, committeeLinks, engine, wallet: walletService({ ... }) }`,
 * after the engine service it listens to). docs/ARCHITECTURE.md §7 describes the design,
 * docs/PROTOCOL.md §19.5 the protocol.
 */
import {
  WalletService,
  type WalletServiceComponents,
  type WalletServiceInit,
} from './wallet-service.ts'

export { AddressIndex, AddressView, type ViewOutput } from './address-index.ts'
export * from './constants.ts'
export { type BlockLoader, ProofSource } from './proofs.ts'
export {
  WalletService,
  type WalletServiceComponents,
  type WalletServiceInit,
  type WalletServiceStats,
} from './wallet-service.ts'

export function walletService(
  init: WalletServiceInit,
): (components: WalletServiceComponents) => WalletService {
  return (components) => new WalletService(components, init)
}
