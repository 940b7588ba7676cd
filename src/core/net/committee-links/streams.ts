/**
 * The link streams: which of two streams is a link's (`offerStream`), and the inbound side — a
 * consensus stream is served only once its connection is handshaken and only from a masternode;
 * a member's stream is offered to its link, another masternode's to a guest link while there is
 * room, anything else is refused (and, where the peer had no right to it, charged).
 *
 * Which stream is the link: the side with the lower masternode key opens it; when two streams
 * meet, both sides keep the one opened by the lower key, or, of two opened by the same side, the
 * newer — so both ends settle on the same stream, and a restarted peer's new stream replaces its
 * dead one.
 *
 * Invariants: a stream not taken is closed or aborted, never left open; guest links ≤
 * `maxGuests`; no stream is taken after the service stopped; a stream claiming this node's own
 * key is refused.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { bytesToHex } from '../../encoding/bytes.ts'
import { LinkError, PeerAction } from '../../errors.ts'
import { PeerRole } from '../../protocol/handshake.ts'
import type { VerifiedPeer } from '../handshake/verified-peers.ts'
import type { Link } from './link.ts'
import { abortError, closeQuietly, type Member, typed } from './member.ts'
import type { CommitteeLinksComponents, FrameReceiver, LinkSettings } from './types.ts'

/**
 * Offers `stream` (opened by `opener`, hex) as `link`'s stream: taken unless the link has an open
 * stream, with the same peer, opened by a lower key (the pair's preferred opener); a stream not
 * taken is closed.
 */
export function offerStream(link: Link, stream: Stream, opener: string, peer: PeerId): void {
  // A key proved by another libp2p peer than the link's: the masternode moved (restarted with a
  // new identity); the old stream is dead or soon will be.
  const moved = link.peer !== undefined && !link.peer.equals(peer)
  if (link.open && !moved && link.opener < opener) {
    closeQuietly(stream)
    return
  }
  const old = link.detach()
  link.attach(stream, opener, peer)
  if (old !== null) closeQuietly(old)
}

/** What the inbound side needs of its service. */
export interface StreamsContext {
  readonly components: CommitteeLinksComponents
  readonly settings: LinkSettings
  /** This node's masternode key, hex. */
  readonly self: string
  started(): boolean
  member(hex: string): Member | undefined
  readonly guests: Map<string, Link>
  newLink(hex: string): Link
  up(member: Member): void
  receiver(): FrameReceiver | undefined
}

export class InboundStreams {
  readonly #ctx: StreamsContext
  #refused = 0

  constructor(ctx: StreamsContext) {
    this.#ctx = ctx
  }

  /** Streams refused (no masternode, our own key, no room for a guest). */
  get refused(): number {
    return this.#refused
  }

  /** The registrar's handler for the consensus protocol. */
  readonly onStream = (stream: Stream, connection: Connection): void => {
    void this.#accept(stream, connection)
  }

  async #accept(stream: Stream, connection: Connection): Promise<void> {
    const ctx = this.#ctx
    let peer: VerifiedPeer
    try {
      peer = await ctx.components.handshake.verified(connection, {
        signal: AbortSignal.timeout(ctx.settings.timeoutMs),
      })
    } catch (error) {
      stream.abort(typed(error, 'the connection was not handshaken'))
      return
    }
    if (!ctx.started()) {
      stream.abort(abortError('the committee links stopped'))
      return
    }
    const key = peer.masternodeKey
    if (peer.role !== PeerRole.Masternode || key === undefined) {
      this.#refuse(
        stream,
        connection.remotePeer,
        `a consensus stream from a ${peer.role}, not a masternode`,
        PeerAction.HighToleranceError,
      )
      return
    }
    const hex = bytesToHex(key)
    const member = ctx.member(hex)
    if (member !== undefined) {
      offerStream(member.link, stream, hex, connection.remotePeer)
      if (member.link.open && member.link.stream === stream) ctx.up(member)
      return
    }
    if (hex === ctx.self) {
      this.#refuse(stream, connection.remotePeer, 'a consensus stream claiming our own key')
      return
    }
    let guest = ctx.guests.get(hex)
    if (guest === undefined) {
      if (ctx.guests.size >= ctx.settings.maxGuests) {
        this.#refuse(stream, connection.remotePeer, 'the guest links are full')
        return
      }
      guest = ctx.newLink(hex)
      ctx.guests.set(hex, guest)
    }
    offerStream(guest, stream, hex, connection.remotePeer)
  }

  #refuse(stream: Stream, peer: PeerId, reason: string, action?: PeerAction): void {
    this.#refused++
    const error = new LinkError('LINK_STREAM_REFUSED', reason, action)
    stream.abort(error)
    if (action !== undefined) this.#ctx.receiver()?.misbehaved(peer, error)
  }
}
