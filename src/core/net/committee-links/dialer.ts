/**
 * Dialling committee members and backing off: a dial reaches the member (an open handshaken
 * connection, or a new one to its addresses in the peer book), checks that the peer proved the
 * member's key, tags it, and — on the side that opens the link, or after the acceptor's wait —
 * opens the link's stream. A failed dial or a lost link waits 1, 2, 4 … 32 s before the next.
 *
 * Invariants: at most one dial and at most one backoff timer per member; a dial superseded or
 * cancelled (its controller no longer the member's) is not a failure and attaches nothing; no
 * dial starts while the service is stopped, and `cancel` ends both the dial and the timer.
 */
import type { Connection, PeerId } from '@libp2p/interface'
import { equalBytes } from '../../encoding/bytes.ts'
import { LinkError, type TimeCoinError } from '../../errors.ts'
import { abortError, type Member, typed } from './member.ts'
import type { PeerBook } from './peer-book.ts'
import { offerStream } from './streams.ts'
import { type CommitteeLinksComponents, type LinkSettings, LinkState } from './types.ts'

/** What the dialler needs of its service. */
export interface DialerContext {
  readonly components: CommitteeLinksComponents
  readonly settings: LinkSettings
  readonly peerBook: PeerBook | undefined
  /** The consensus protocol id. */
  readonly protocol: string
  /** This node's masternode key, hex. */
  readonly self: string
  started(): boolean
  /** Whether `member` is still the record of its key. */
  current(member: Member): boolean
  /** The link is up (its stream attached). */
  up(member: Member): void
  tag(peer: PeerId, on: boolean): void
}

export class MemberDialer {
  readonly #ctx: DialerContext
  #dials = 0
  #dialFailures = 0
  #reconnects = 0

  constructor(ctx: DialerContext) {
    this.#ctx = ctx
  }

  get dials(): number {
    return this.#dials
  }

  get dialFailures(): number {
    return this.#dialFailures
  }

  /** Re-dials of members after a failure or a lost link. */
  get reconnects(): number {
    return this.#reconnects
  }

  /** Starts a dial of `member` now, unless its link is up or a dial is in flight. */
  connect(member: Member): void {
    if (!this.#ctx.started() || member.link.open || member.dial !== undefined) return
    clearTimeout(member.timer)
    member.timer = undefined
    if (member.everConnected || member.failures > 0) {
      member.state = LinkState.Reconnecting
      this.#reconnects++
    } else member.state = LinkState.Connecting
    const controller = new AbortController()
    member.dial = controller
    member.dialConnection = undefined
    this.#dials++
    this.#dial(member, controller).then(
      () => {
        if (member.dial === controller) member.dial = undefined
      },
      (error: unknown) => {
        if (member.dial !== controller) return // superseded or cancelled: not a failure
        member.dial = undefined
        if (!this.#ctx.current(member) || member.link.open) return
        this.#dialFailures++
        this.failed(member, typed(error, 'dial failed'))
      },
    )
  }

  /**
   * A member's handshake completed on connection `connectionId` (it dialled us, perhaps after a
   * restart): link at once — unless the dial in flight made that very connection.
   */
  verified(member: Member, connectionId: string): void {
    if (member.link.open) return
    if (member.dial !== undefined && member.dialConnection === connectionId) return
    if (member.dial !== undefined) {
      const stale = member.dial
      member.dial = undefined
      stale.abort(abortError('superseded by a new connection'))
    }
    this.connect(member)
  }

  /** A failed dial or a lost link: Reconnecting, next dial after 1, 2, 4 … 32 s. */
  failed(member: Member, error: TimeCoinError): void {
    member.lastError = error
    member.state = LinkState.Reconnecting
    member.failures++
    if (!this.#ctx.started() || member.timer !== undefined) return
    const { backoffMinMs, backoffMaxMs } = this.#ctx.settings
    const delay = Math.min(backoffMaxMs, backoffMinMs * 2 ** Math.min(member.failures - 1, 30))
    member.timer = setTimeout(() => {
      member.timer = undefined
      this.connect(member)
    }, delay)
  }

  /** Ends a member's dial and backoff. */
  cancel(member: Member): void {
    const dial = member.dial
    member.dial = undefined
    dial?.abort(abortError('the dial was cancelled'))
    clearTimeout(member.timer)
    member.timer = undefined
  }

  async #dial(member: Member, controller: AbortController): Promise<void> {
    const { components, settings, protocol } = this.#ctx
    // Not destructured: the boundary check reads a `self` binding as the browser global.
    const ownHex = this.#ctx.self
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(settings.timeoutMs)])
    const connection = await this.#connectionTo(member, signal)
    if (member.dial === controller) member.dialConnection = connection.id
    const peer = await components.handshake.verified(connection, { signal })
    if (peer.masternodeKey === undefined || !equalBytes(peer.masternodeKey, member.key))
      throw new LinkError(
        'LINK_WRONG_PEER',
        `the address of member ${member.hex.slice(0, 16)}… reached ${
          peer.masternodeKey === undefined ? 'a peer that is no masternode' : 'another masternode'
        }`,
      )
    this.#ctx.tag(connection.remotePeer, true)
    if (member.link.open) return
    if (!member.opener) await awaitInbound(member, settings.acceptWaitMs, signal)
    if (member.link.open || member.dial !== controller) return
    const stream = await connection.newStream(protocol, { signal })
    if (member.dial !== controller || !this.#ctx.started()) {
      stream.abort(abortError('the dial was superseded'))
      return
    }
    offerStream(member.link, stream, ownHex, connection.remotePeer)
    if (member.link.open) this.#ctx.up(member)
  }

  /** An open, handshaken connection to the member, or a new one to its known addresses. */
  async #connectionTo(member: Member, signal: AbortSignal): Promise<Connection> {
    const { connectionManager, handshake } = this.#ctx.components
    const known = handshake.peerOfMasternode(member.key)
    if (known !== undefined) {
      const open = connectionManager
        .getConnections(known.peerId)
        .find((c) => c.status === 'open' && handshake.verifiedConnection(c) !== undefined)
      if (open !== undefined) return open
    }
    const addresses = this.#ctx.peerBook?.addressesOf(member.key) ?? []
    if (addresses.length > 0) return connectionManager.openConnection([...addresses], { signal })
    const peer = known?.peerId ?? member.link.peer
    if (peer !== undefined) return connectionManager.openConnection(peer, { signal })
    throw new LinkError(
      'LINK_NO_ADDRESS',
      `no address known for member ${member.hex.slice(0, 16)}…`,
    )
  }
}

/** Resolves once the member's own stream is attached, or after `ms`; rejects on abort. */
function awaitInbound(member: Member, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      if (member.inbound === done) member.inbound = undefined
      resolve()
    }
    const onAbort = () => {
      clearTimeout(timer)
      if (member.inbound === done) member.inbound = undefined
      reject(signal.reason)
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', onAbort, { once: true })
    member.inbound = done
  })
}
