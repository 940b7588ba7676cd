/**
 * A committee member's record — its link, its state, its dial and backoff, its health — shared by
 * the links service and the modules that drive it (dialer.ts, streams.ts, health.ts), and the
 * small helpers they share for ending streams and typing errors.
 *
 * Invariants: a record is made Disconnected with no dial, no timer and no failures; `opener` is
 * fixed at creation (this node opens the link when its key is the lower); `key` is a copy.
 */
import type { Stream } from '@libp2p/interface'
import { type LinkError, TimeCoinError } from '../../errors.ts'
import { broken, type Link } from './link.ts'
import { LinkState, type MemberStatus } from './types.ts'

export interface Member {
  readonly key: Uint8Array
  readonly hex: string
  readonly link: Link
  /** This node opens the link (its key is the lower). */
  readonly opener: boolean
  state: LinkState
  /** Failed attempts since the link was last up: the backoff exponent. */
  failures: number
  everConnected: boolean
  timer: ReturnType<typeof setTimeout> | undefined
  dial: AbortController | undefined
  /** The connection the dial in flight is using, once it has one. */
  dialConnection: string | undefined
  /** Resolves an acceptor's wait for the member's stream. */
  inbound: (() => void) | undefined
  pinging: boolean
  pingFailures: number
  rttMs: number | undefined
  lastError: TimeCoinError | undefined
}

/** A new member record around `link` (a fresh one, or the guest link the member already had). */
export function newMember(key: Uint8Array, hex: string, link: Link, ownHex: string): Member {
  return {
    key: key.slice(),
    hex,
    link,
    opener: ownHex < hex,
    state: LinkState.Disconnected,
    failures: 0,
    everConnected: false,
    timer: undefined,
    dial: undefined,
    dialConnection: undefined,
    inbound: undefined,
    pinging: false,
    pingFailures: 0,
    rttMs: undefined,
    lastError: undefined,
  }
}

export function memberStatus(m: Member): MemberStatus {
  return {
    key: m.hex,
    state: m.state,
    peer: m.link.peer,
    queuedBytes: m.link.queue.bytes,
    rttMs: m.rttMs,
    failures: m.failures,
    lastError: m.lastError,
  }
}

export function abortError(message: string): LinkError {
  return broken(message)
}

/** Closes `stream` within a second, or aborts it. */
export function closeQuietly(stream: Stream): void {
  stream.close({ signal: AbortSignal.timeout(1_000) }).catch((error: unknown) => {
    stream.abort(error instanceof Error ? error : new Error(String(error)))
  })
}

/** `error` as a TimeCoinError (a LINK_BROKEN one naming `fallback` unless it is one already). */
export function typed(error: unknown, fallback: string): TimeCoinError {
  if (error instanceof TimeCoinError) return error
  const message = error instanceof Error ? `${fallback}: ${error.message}` : fallback
  return broken(message, error)
}
