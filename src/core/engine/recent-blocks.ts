/**
 * The last committed blocks with their certificates, kept in memory to answer `BlockRequest`s
 * from members that missed a commit and to prove that a recent transaction is confirmed (older
 * blocks: block sync). Bounded in blocks and in encoded bytes (limits.ts: recentBlocks,
 * recentBlockBytes): adding a block drops the oldest ones past either bound, with the transaction
 * index entries that pointed into them.
 */
import type { Block } from '../consensus/block.ts'
import type { BlockCertificate } from '../consensus/block-certificate.ts'
import { computeTxid } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'

export interface CertifiedBlock {
  readonly block: Block
  readonly certificate: BlockCertificate
}

export class RecentBlocks {
  readonly #maxBlocks: number
  readonly #maxBytes: number
  /** Height → block, certificate and encoded size, oldest first. */
  readonly #byHeight = new Map<number, CertifiedBlock & { readonly bytes: number }>()
  /** txid (hex) → height, for transactions in the kept blocks. */
  readonly #included = new Map<string, number>()
  #bytes = 0

  constructor(maxBlocks: number, maxBytes: number) {
    this.#maxBlocks = maxBlocks
    this.#maxBytes = maxBytes
  }

  /** Keeps committed block `height` (`bytes`: its encoded size with the certificate). */
  add(height: number, committed: CertifiedBlock, txids: readonly Txid[], bytes: number): void {
    this.#byHeight.set(height, { ...committed, bytes })
    this.#bytes += bytes
    for (const txid of txids) this.#included.set(txidToHex(txid), height)
    while (
      this.#byHeight.size > this.#maxBlocks ||
      (this.#bytes > this.#maxBytes && this.#byHeight.size > 1)
    ) {
      const [oldHeight, old] = this.#byHeight.entries().next().value!
      for (const tx of old.block.transactions) {
        const id = txidToHex(computeTxid(tx))
        if (this.#included.get(id) === oldHeight) this.#included.delete(id)
      }
      this.#byHeight.delete(oldHeight)
      this.#bytes -= old.bytes
    }
  }

  at(height: number): CertifiedBlock | undefined {
    return this.#byHeight.get(height)
  }

  /** The kept block holding `txid`, with its certificate: the proof it is confirmed. */
  holding(txid: Txid): CertifiedBlock | undefined {
    const height = this.#included.get(txidToHex(txid))
    return height === undefined ? undefined : this.#byHeight.get(height)
  }

  sizes(): Record<string, number> {
    return {
      'chain.recentBlocks': this.#byHeight.size,
      'chain.recentTxs': this.#included.size,
      'chain.recentBytes': this.#bytes,
    }
  }
}
