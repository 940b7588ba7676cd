/**
 * The last RECENT_BLOCKS committed blocks with their certificates, kept in memory to answer
 * `BlockRequest`s from members that missed a commit and to prove that a recent transaction is
 * confirmed (older blocks: block sync). Bounded: adding block h drops block h − RECENT_BLOCKS and
 * the transaction index entries that pointed into it.
 */
import type { Block } from '../consensus/block.ts'
import type { BlockCertificate } from '../consensus/block-certificate.ts'
import { computeTxid } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'

/** Committed blocks kept in memory to answer BlockRequest (older ones: block sync). */
export const RECENT_BLOCKS = 1_000

export interface CertifiedBlock {
  readonly block: Block
  readonly certificate: BlockCertificate
}

export class RecentBlocks {
  readonly #byHeight = new Map<number, CertifiedBlock>()
  /** txid (hex) → height, for transactions in the kept blocks. */
  readonly #included = new Map<string, number>()

  add(height: number, committed: CertifiedBlock, txids: readonly Txid[]): void {
    this.#byHeight.set(height, committed)
    for (const txid of txids) this.#included.set(txidToHex(txid), height)
    const old = this.#byHeight.get(height - RECENT_BLOCKS)
    if (old === undefined) return
    for (const tx of old.block.transactions) this.#included.delete(txidToHex(computeTxid(tx)))
    this.#byHeight.delete(height - RECENT_BLOCKS)
  }

  at(height: number): CertifiedBlock | undefined {
    return this.#byHeight.get(height)
  }

  /** The kept block holding `txid`, with its certificate: the proof it is confirmed. */
  holding(txid: Txid): CertifiedBlock | undefined {
    const height = this.#included.get(txidToHex(txid))
    return height === undefined ? undefined : this.#byHeight.get(height)
  }
}
