/**
 * Where a peer's misbehaviour goes: a frame that does not decode, a message whose signatures
 * fail, an engine `penalize` effect. Each is a `Penalty` with the typed error's peer action; the
 * defence layer's scoring takes them later. Until then `banOnFatal` bans on a Fatal action through
 * the handshake's `BanPolicy` (so the banned peer is refused when it comes back) and closes its
 * connections, and counts the rest.
 */
import type { PeerId } from '@libp2p/interface'
import { PeerAction, PeerError } from '../../errors.ts'
import type { BanPolicy } from '../handshake/ban-list.ts'

export interface Penalty {
  readonly peer: PeerId
  readonly action: PeerAction
  /** The judging error's code (docs/ERRORS.md). */
  readonly code: string
  readonly reason: string
}

export interface PenaltySink {
  penalize(penalty: Penalty): void
}

export type PenaltyCounts = Record<PeerAction, number>

/** Bans on Fatal (and closes the peer's connections); counts every penalty by action. */
export class FatalBans implements PenaltySink {
  readonly counts: PenaltyCounts = {
    [PeerAction.Fatal]: 0,
    [PeerAction.LowToleranceError]: 0,
    [PeerAction.MidToleranceError]: 0,
    [PeerAction.HighToleranceError]: 0,
  }
  readonly #bans: BanPolicy
  readonly #close: (peer: PeerId) => Promise<void>

  constructor(bans: BanPolicy, close: (peer: PeerId) => Promise<void>) {
    this.#bans = bans
    this.#close = close
  }

  penalize(penalty: Penalty): void {
    this.counts[penalty.action]++
    if (penalty.action !== PeerAction.Fatal) return
    const error = new PeerError(
      'PEER_PENALIZED',
      `${penalty.code}: ${penalty.reason}`,
      PeerAction.Fatal,
    )
    this.#bans.ban(penalty.peer, error)
    this.#close(penalty.peer).catch(() => {})
  }
}
