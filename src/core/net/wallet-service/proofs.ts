/**
 * The proofs a masternode attaches to the outputs it reports to wallets (docs/PROTOCOL.md §19.5):
 * for a final spend the spender's finality certificate, for a confirmed one the certified block
 * and the spender's Merkle path; for an output itself the certificate or block that created it (or
 * the block's reward). Built from what the node holds in memory — the mempool's final
 * transactions, the ledger's certificates, the engine's recent blocks — and, for older blocks, the
 * store (`loadBlock`).
 *
 * Invariants: a proof is built only from data this node accepted (certificates it checked, blocks
 * it committed), so an honest node never sends one a light client refuses; the block trees kept
 * for paths are bounded (`PROOF_BLOCK_CACHE`, the newest kept).
 */
import { type Block, blockHash, rewardTxid, TX_LEAF_PREFIX } from '../../consensus/block.ts'
import { FinalityCertificateCodec } from '../../consensus/certificate.ts'
import { merkleLevels, pathInLevels } from '../../consensus/merkle.ts'
import { sha256 } from '../../crypto/sha256.ts'
import { bytesToHex, concatBytes, equalBytes } from '../../encoding/bytes.ts'
import type { UtxoStateChange } from '../../engine/events.ts'
import type { FinalityEngine } from '../../engine/finality-engine.ts'
import type { CertifiedBlock } from '../../engine/recent-blocks.ts'
import { txidKey } from '../../ledger/map-keys.ts'
import type { OutPoint } from '../../primitives/outpoint.ts'
import { computeTxid } from '../../primitives/transaction.ts'
import type { Txid } from '../../primitives/txid.ts'
import type { UtxoProof, WalletUtxoState } from '../../protocol/utxo-proofs.ts'
import { PROOF_BLOCK_CACHE } from './constants.ts'

/** A committed block and its certificate by height, from the store (older than recent blocks). */
export type BlockLoader = (height: number) => Promise<CertifiedBlock | undefined>

interface BlockTree {
  readonly levels: Uint8Array[][]
  /** txid key → index of the transaction in the block. */
  readonly index: ReadonlyMap<string, number>
}

const NONE: UtxoProof = { kind: 'none' }

export class ProofSource {
  readonly #engine: Pick<FinalityEngine, 'ledger' | 'inclusion'>
  readonly #loadBlock: BlockLoader | undefined
  /** Block hash (hex) → its transaction tree, newest last (≤ PROOF_BLOCK_CACHE). */
  readonly #trees = new Map<string, BlockTree>()

  constructor(engine: Pick<FinalityEngine, 'ledger' | 'inclusion'>, loadBlock?: BlockLoader) {
    this.#engine = engine
    this.#loadBlock = loadBlock
  }

  /** The proof of a state change as the engine reports it (synchronous: all in memory). */
  forChange(change: UtxoStateChange): UtxoProof {
    const { state, outpoint } = change
    switch (state.kind) {
      case 'SpentFinalized':
        return change.certificate === undefined
          ? this.#finality(state.txid)
          : this.#withTx(state.txid, change.certificate)
      case 'Confirmed':
        return this.#recentInclusion(state.txid)
      case 'Unspent':
        if (change.certificate !== undefined) return this.#withTx(outpoint.txid, change.certificate)
        if (change.height !== undefined) return this.#recentInclusion(outpoint.txid)
        return NONE
      default:
        return NONE
    }
  }

  /**
   * The proof of an output's state for a query answer: of the spend for a final state, of the
   * output's creation otherwise. May read an old block from the store.
   */
  async forOutput(outpoint: OutPoint, state: WalletUtxoState): Promise<UtxoProof> {
    if (state.kind === 'SpentFinalized' || state.kind === 'Confirmed') {
      const proof = this.#finalOrRecent(state.txid, state.kind === 'SpentFinalized')
      if (proof.kind !== 'none') return proof
      const now = this.#engine.ledger.utxos.get(outpoint)?.state
      const height =
        state.kind === 'Confirmed'
          ? state.height
          : now?.kind === 'Confirmed'
            ? now.height
            : undefined
      return height === undefined ? NONE : this.#storedInclusion(height, state.txid)
    }
    const proof = this.#finalOrRecent(outpoint.txid, true)
    if (proof.kind !== 'none') return proof
    const height = this.#engine.ledger.utxos.get(outpoint)?.height
    // Height 0: the genesis allocation, which the wallet knows from the genesis file.
    if (height === undefined || height === null || height === 0) return NONE
    return this.#storedCreation(height, outpoint.txid)
  }

  /** A certificate while the transaction is final and unconfirmed, else a recent block's path. */
  #finalOrRecent(txid: Txid, certificateWanted: boolean): UtxoProof {
    if (certificateWanted) {
      const proof = this.#finality(txid)
      if (proof.kind !== 'none') return proof
    }
    return this.#recentInclusion(txid)
  }

  #finality(txid: Txid): UtxoProof {
    const bytes = this.#engine.ledger.certificate(txid)
    return bytes === undefined ? NONE : this.#withTx(txid, FinalityCertificateCodec.decode(bytes))
  }

  #withTx(
    txid: Txid,
    certificate: Extract<UtxoProof, { kind: 'finality' }>['certificate'],
  ): UtxoProof {
    const tx = this.#engine.ledger.mempool.get(txid)?.tx
    return tx === undefined ? NONE : { kind: 'finality', tx, certificate }
  }

  #recentInclusion(txid: Txid): UtxoProof {
    const block = this.#engine.inclusion(txid)
    return block === undefined ? NONE : this.#inclusion(block, txid)
  }

  async #storedInclusion(height: number, txid: Txid): Promise<UtxoProof> {
    const block = await this.#loadBlock?.(height)
    return block === undefined ? NONE : this.#inclusion(block, txid)
  }

  /** An output a block created: its transaction's path, or the block's reward. */
  async #storedCreation(height: number, txid: Txid): Promise<UtxoProof> {
    const stored = await this.#loadBlock?.(height)
    if (stored === undefined) return NONE
    const { header } = stored.block
    if (equalBytes(txid, rewardTxid(header.height, header.prevHash)))
      return {
        kind: 'reward',
        header,
        blockCertificate: stored.certificate,
        reward: stored.block.reward,
      }
    return this.#inclusion(stored, txid)
  }

  #inclusion(certified: CertifiedBlock, txid: Txid): UtxoProof {
    const { block, certificate } = certified
    const tree = this.#tree(block)
    const index = tree.index.get(txidKey(txid))
    if (index === undefined) return NONE
    return {
      kind: 'inclusion',
      tx: block.transactions[index]!,
      header: block.header,
      blockCertificate: certificate,
      index,
      count: block.transactions.length,
      path: pathInLevels(tree.levels, index),
    }
  }

  #tree(block: Block): BlockTree {
    const id = bytesToHex(blockHash(block.header))
    let tree = this.#trees.get(id)
    if (tree !== undefined) return tree
    const txids = block.transactions.map(computeTxid)
    const leaves = txids.map((t) => sha256(concatBytes(Uint8Array.of(TX_LEAF_PREFIX), t)))
    tree = {
      levels: leaves.length === 0 ? [[]] : merkleLevels(leaves),
      index: new Map(txids.map((t, i) => [txidKey(t), i])),
    }
    this.#trees.set(id, tree)
    if (this.#trees.size > PROOF_BLOCK_CACHE) this.#trees.delete(this.#trees.keys().next().value!)
    return tree
  }
}
