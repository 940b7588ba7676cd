/**
 * The links' health: every `pingIntervalMs` each connected member is pinged (the host's ping
 * service, `pingTimeoutMs` to answer); after `maxPingFailures` failures in a row its link counts
 * as dead — the stream is reset, the link is reported lost (and so re-dialled), and the member's
 * connections are closed. A ping refused here because another ping stream to the member is open
 * (libp2p's connection monitor) is no failure.
 *
 * Invariants: at most one ping in flight per member; a member's failure count is back to 0 after
 * an answer or a verdict; no verdict after the service stopped or for a member that left; the
 * timer runs exactly between `start` and `stop`.
 */

import type { TimeCoinError } from '../../errors.ts'
import type { Link } from './link.ts'
import { type Member, typed } from './member.ts'
import {
  type CommitteeLinksComponents,
  type LinkSettings,
  LinkState,
  type PingService,
} from './types.ts'

/** What the health check needs of its service. */
export interface HealthContext {
  readonly components: CommitteeLinksComponents
  readonly settings: LinkSettings
  started(): boolean
  members(): Iterable<Member>
  /** Whether `member` is still the record of its key. */
  current(member: Member): boolean
  /** The link is gone: report it and re-dial. */
  lost(link: Link, error: TimeCoinError): void
}

/** libp2p's error when a ping stream to the peer is already open (the ping limit is one). */
const BUSY_PING = 'TooManyOutboundProtocolStreamsError'

export class LinkHealth {
  readonly #ctx: HealthContext
  #timer: ReturnType<typeof setInterval> | undefined
  #failures = 0

  constructor(ctx: HealthContext) {
    this.#ctx = ctx
  }

  /** Pings that failed, over all members. */
  get failures(): number {
    return this.#failures
  }

  start(): void {
    clearInterval(this.#timer)
    this.#timer = setInterval(this.#pingAll, this.#ctx.settings.pingIntervalMs)
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  readonly #pingAll = (): void => {
    for (const member of this.#ctx.members())
      if (member.state === LinkState.Connected && !member.pinging) void this.#ping(member)
  }

  /** The ping service, if the host has one (libp2p's components throw for a missing service). */
  #pinger(): PingService | undefined {
    try {
      return this.#ctx.components.ping
    } catch {
      return undefined
    }
  }

  async #ping(member: Member): Promise<void> {
    const peer = member.link.peer
    const pinger = this.#pinger()
    if (peer === undefined || pinger === undefined) return
    const { settings } = this.#ctx
    member.pinging = true
    try {
      member.rttMs = await pinger.ping(peer, {
        signal: AbortSignal.timeout(settings.pingTimeoutMs),
      })
      member.pingFailures = 0
    } catch (error) {
      // Another ping stream to the member is open (libp2p's connection monitor pings on the same
      // protocol, one outbound stream per peer): no sign of a dead member; the next round pings.
      if ((error as Error | undefined)?.name === BUSY_PING) return
      this.#failures++
      member.pingFailures++
      if (
        this.#ctx.started() &&
        member.pingFailures >= settings.maxPingFailures &&
        this.#ctx.current(member)
      ) {
        member.pingFailures = 0
        const stream = member.link.detach()
        stream?.abort(typed(error, 'the member did not answer pings'))
        this.#ctx.lost(member.link, typed(error, 'the member did not answer pings'))
        await this.#ctx.components.connectionManager.closeConnections(peer).catch(() => {})
      }
    } finally {
      member.pinging = false
    }
  }
}
