/**
 * The node wallet as the daemon wires it: its file in the data directory's keys folder, its view
 * of the node's engine (ledger outputs, mempool, the registry's spend rules and membership), and
 * its RPC methods. The daemon calls `nodeWalletMethods` once and adds the methods to its registry.
 * Invariants: the view only reads the engine; everything the wallet sends goes through the RPC
 * node's `submit` (the same checks as `sendrawtransaction`).
 */
import { join } from 'node:path'
import type { KeyPair } from '../../core/crypto/ed25519.ts'
import { equalBytes } from '../../core/encoding/bytes.ts'
import type { FinalityEngine } from '../../core/engine/finality-engine.ts'
import type { Notification } from '../../core/engine/runtime.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import type { RpcMethod } from '../rpc/registry.ts'
import type { RpcNode } from '../rpc/rpc-node.ts'
import { walletMethods } from '../rpc/wallet-methods.ts'
import { NodeWallet, type WalletChainView } from './node-wallet.ts'
import { openWalletFile } from './wallet-file.ts'

export type { WalletBalance, WalletChainView, WalletOutput } from './node-wallet.ts'
export {
  MAX_WALLET_ADDRESSES,
  MAX_WALLET_INPUTS,
  NodeWallet,
  RESCAN_INTERVAL_MS,
  tierNamed,
} from './node-wallet.ts'
export * from './wallet-file.ts'

/** The wallet file's name in the keys folder. */
export const WALLET_FILE_NAME = 'wallet.json'

/** The wallet's view of a running engine. */
export function engineWalletView(engine: FinalityEngine, network: NetworkName): WalletChainView {
  const ledger = engine.ledger
  return {
    network,
    genesisHash: ledger.genesisHash,
    outputs: () => ledger.utxos.entries(),
    utxo: (o) => ledger.utxos.get(o),
    mempool: () => ledger.mempool.entries(),
    mempoolSpender: (o) => ledger.mempool.spenderOf(o),
    spendRule: (o) => engine.registry.spendRule(o),
    tipHeight: () => engine.tip?.height ?? 0,
  }
}

/** Whether `key` is a member, its registration is confirmed (pending), or one is in the mempool. */
export function registeredIn(engine: FinalityEngine, key: Uint8Array): boolean {
  const registry = engine.registry
  if (registry.isMember(key)) return true
  if (registry.state.pending.some((c) => c.kind === 'add' && equalBytes(c.member.key, key)))
    return true
  for (const m of engine.ledger.mempool.entries())
    if (m.tx.payload.type === 'register' && equalBytes(m.tx.payload.masternodeKey, key)) return true
  return false
}

export interface NodeWalletOptions {
  /** The data directory's keys folder (0700). */
  readonly keysDir: string
  readonly engine: FinalityEngine
  readonly node: RpcNode
  readonly masternodeKey: KeyPair | undefined
}

/** Opens (or makes) the node wallet and answers its RPC methods. */
export async function nodeWalletMethods(options: NodeWalletOptions): Promise<{
  readonly methods: RpcMethod[]
  readonly wallet: NodeWallet
  readonly path: string
  readonly created: boolean
  /** Hand it every runtime notification: the wallet learns its new outputs from them. */
  readonly observe: (notification: Notification) => void
}> {
  const path = join(options.keysDir, WALLET_FILE_NAME)
  const { wallet: file, created } = await openWalletFile(path, options.node.network)
  const imported = options.masternodeKey === undefined ? [] : [options.masternodeKey]
  const wallet = new NodeWallet(
    path,
    file,
    engineWalletView(options.engine, options.node.network),
    imported,
  )
  const methods = walletMethods({
    wallet,
    node: options.node,
    masternodeKey: options.masternodeKey,
    registered: (key) => registeredIn(options.engine, key),
  })
  const observe = (n: Notification): void => {
    if (n.type === 'utxoState') wallet.observe(n)
  }
  return { methods, wallet, path, created, observe }
}
