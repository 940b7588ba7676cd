/**
 * The chain's help across heights: the recent committed blocks (answers to `BlockRequest`s and
 * the proof that a recent transaction is confirmed), asking a peer seen ahead for the block we
 * missed, and sending a member still voting on a height we committed the blocks it lacks.
 *
 * Invariants: a block request goes out at most once a second, always for the height after the
 * tip; a lagging member is sent at most `HELP_BLOCKS` blocks at once and at most once per
 * `HELP_EVERY_MS`; the members remembered as helped are dropped once that interval passed, at
 * each commit (so the map holds at most the members that voted behind within a second); the
 * recent blocks are bounded in number and bytes (recent-blocks.ts).
 */
import type { Block } from '../consensus/block.ts'
import type { BlockCertificate } from '../consensus/block-certificate.ts'
import type { Txid } from '../primitives/txid.ts'
import type { EngineLimits } from './limits.ts'
import type { Message, PeerId } from './messages.ts'
import { type CertifiedBlock, RecentBlocks } from './recent-blocks.ts'

/** Blocks sent at once to a member found voting on a height we already committed. */
const HELP_BLOCKS = 8
/** A lagging member is sent blocks at most this often. */
const HELP_EVERY_MS = 1_000
/** Blocks are asked of a peer ahead of us at most this often. */
const REQUEST_EVERY_MS = 1_000

/** What catching up needs of the chain: the time, its tip's height, a way to send. */
export interface CatchUpPort {
  now(): number
  tipHeight(): number
  send(to: PeerId, message: Message): void
}

export class CatchUp {
  readonly #port: CatchUpPort
  readonly #recent: RecentBlocks
  #lastBlockRequest = -Infinity
  /** When each lagging member was last sent the blocks it missed. */
  readonly #helped = new Map<string, number>()
  /** The last peer seen ahead of us (asked for the next block after each catch-up commit). */
  #aheadPeer: PeerId | null = null

  constructor(port: CatchUpPort, limits: EngineLimits) {
    this.#port = port
    this.#recent = new RecentBlocks(limits.recentBlocks, limits.recentBlockBytes)
  }

  sizes(): Record<string, number> {
    return { 'chain.helped': this.#helped.size, ...this.#recent.sizes() }
  }

  /** The recent committed block holding `txid`, with its certificate: the proof it is final. */
  inclusion(txid: Txid): { block: Block; certificate: BlockCertificate } | undefined {
    return this.#recent.holding(txid)
  }

  /**
   * Others vote or commit above our next height (or in a later epoch): we missed a commit; ask
   * `peer` for it (at most once a second). Each block that arrives this way asks for the next.
   */
  behind(peer: PeerId): void {
    this.#aheadPeer = peer
    const now = this.#port.now()
    if (now - this.#lastBlockRequest < REQUEST_EVERY_MS) return
    this.#lastBlockRequest = now
    this.#port.send(peer, { type: 'BlockRequest', height: this.#port.tipHeight() + 1 })
  }

  /** A block from a peer extended the tip: catching up, ask for the next one at once. */
  caughtUpOne(): void {
    const ahead = this.#aheadPeer
    if (ahead === null) return
    this.#aheadPeer = null
    this.#lastBlockRequest = -Infinity
    this.behind(ahead)
  }

  /**
   * A member still voting on `height`, which we committed, missed the commit (and, after a
   * committee change, may have no one left voting at its height to tell it): send it the blocks
   * it lacks, a few at a time, at most once a second per member.
   */
  helpBehind(peer: PeerId, height: number): void {
    const now = this.#port.now()
    if (now - (this.#helped.get(peer) ?? -Infinity) < HELP_EVERY_MS) return
    this.#helped.set(peer, now)
    const tip = this.#port.tipHeight()
    for (let h = height; h <= Math.min(tip, height + HELP_BLOCKS - 1); h++) this.answer(h, peer)
  }

  /** Sends committed block `height` to `from`, if it is still kept. */
  answer(height: number, from: PeerId): void {
    const c = this.#recent.at(height)
    if (c !== undefined)
      this.#port.send(from, { type: 'BlockCommit', block: c.block, certificate: c.certificate })
  }

  /** Block `height` committed: it is kept among the recent ones. */
  committed(
    height: number,
    committed: CertifiedBlock,
    txids: readonly Txid[],
    bytes: number,
  ): void {
    this.#recent.add(height, committed, txids, bytes)
  }

  /** Forgets the members helped at least `HELP_EVERY_MS` ago. */
  forgetHelped(): void {
    const now = this.#port.now()
    for (const [peer, at] of this.#helped) if (now - at >= HELP_EVERY_MS) this.#helped.delete(peer)
  }
}
