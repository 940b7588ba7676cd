/**
 * What the chain, mempool and control RPC methods need from a node, and no more: read-only views
 * of the tip, blocks, outputs, mempool and finality, plus three actions — submit a transaction,
 * wait (bounded) for one to be final, stop. The daemon satisfies it with `EngineRpcNode`
 * (engine-node.ts) over its engine, store and runtime; tests may hand in anything that does.
 */

import type { Committee } from '../../core/consensus/committee.ts'
import type { ChainTip } from '../../core/engine/chain-store.ts'
import type { Decision } from '../../core/engine/decision-store.ts'
import type { CertifiedBlock } from '../../core/engine/recent-blocks.ts'
import type { MempoolEntry, MempoolLimits } from '../../core/ledger/mempool.ts'
import type { UtxoSummary } from '../../core/ledger/utxo-set.ts'
import type { UtxoEntry } from '../../core/ledger/utxo-state.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import type { OutPoint } from '../../core/primitives/outpoint.ts'
import type { Transaction } from '../../core/primitives/transaction.ts'
import type { Txid } from '../../core/primitives/txid.ts'

/** Where a transaction this node knows is: in its mempool, or in a committed block. */
export interface TxLocation {
  readonly tx: Transaction
  readonly mempool: MempoolEntry | undefined
  readonly block: { readonly height: number; readonly hash: Uint8Array } | undefined
}

/**
 * A transaction's finality here. `unknown`: neither in the mempool nor in a recent block (this
 * node keeps no index of older transactions); `pending`: seen, not final; `final`: a finality
 * certificate applied; `confirmed`: in a committed block.
 */
export interface FinalityStatus {
  readonly txid: Txid
  readonly status: 'unknown' | 'pending' | 'final' | 'confirmed'
  /** The current epoch, whose committee the weights below are of. */
  readonly epoch: number
  /** Accept weight counted while pending (0 once final: the certificate is then the proof). */
  readonly acceptWeight: number
  readonly threshold: number
  readonly totalWeight: number
  /** This node's own vote, if it voted. */
  readonly decision: Decision | undefined
  /** The encoded finality certificate while it is kept (until confirmation). */
  readonly certificate: Uint8Array | undefined
  readonly block: { readonly height: number; readonly hash: Uint8Array } | undefined
}

export interface MempoolView {
  readonly count: number
  readonly bytes: number
  readonly limits: MempoolLimits
  entries(): Iterable<MempoolEntry>
}

export interface RpcNode {
  readonly network: NetworkName
  readonly genesisHash: Uint8Array
  /** The txid of the genesis allocation's outputs. */
  readonly genesisTxid: Txid
  /** Seconds since the node started. */
  uptime(): number
  tip(): ChainTip
  /** The committee voting now. */
  committee(): Committee
  /** Committed block `height` with its certificate; undefined above the tip or at 0 (genesis). */
  block(height: number): Promise<CertifiedBlock | undefined>
  /** The height of the committed block with this hash (0 for the genesis hash). */
  blockHeight(hash: Uint8Array): Promise<number | undefined>
  utxo(outpoint: OutPoint): UtxoEntry | undefined
  utxoSummary(): UtxoSummary
  mempool(): MempoolView
  transaction(txid: Txid): TxLocation | undefined
  finality(txid: Txid): FinalityStatus
  /** Resolves when `txid` is final or confirmed here, or after `timeoutMs`, or on `signal`. */
  waitForFinality(txid: Txid, timeoutMs: number, signal: AbortSignal): Promise<FinalityStatus>
  /** Hands a transaction to the engine; rejects with its typed error when it is refused. */
  submit(tx: Transaction): Promise<void>
  /** Begins an orderly shutdown (called after the `stop` call is answered). */
  stop(): void
}
