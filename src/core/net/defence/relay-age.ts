/**
 * The timestamp age limit on relayed consensus messages (DESIGN §5, `message_max_age_seconds`): a
 * vote batch or certificate whose timestamp is further than the age limit from now is not passed on
 * to third parties. For relay and dedup only — never for validity: such a message is still counted
 * if valid, and a node that holds it may still serve it to whoever asks.
 *
 * Where it applies: wherever a node forwards another node's signed consensus message to a peer
 * that did not ask for it — gossip relay (issue 10, point 6) and the relay's "already relayed"
 * filter, which only needs to remember a message for the age limit. Both clocks are milliseconds
 * since the Unix epoch.
 *
 * Invariants: pure; the age limit is symmetric (a timestamp too far in the future is outside too).
 */
import type { Message } from '../../engine/messages.ts'

/** Whether a message stamped `timestamp` may be relayed at `now` (both ms since the Unix epoch). */
export function withinRelayAge(now: number, timestamp: number, maxAgeSeconds: number): boolean {
  return Math.abs(now - timestamp) <= maxAgeSeconds * 1000
}

/**
 * The timestamp the age limit judges a relayed message by: a vote batch's own, a certificate's
 * newest entry's (it formed when its last vote was cast); undefined for messages the age limit
 * leaves alone.
 */
export function relayTimestamp(message: Message): number | undefined {
  switch (message.type) {
    case 'InstantFinalityVote':
      return message.batch.header.timestamp
    case 'FinalityCertificate': {
      let newest: number | undefined
      for (const e of message.certificate.entries)
        if (newest === undefined || e.header.timestamp > newest) newest = e.header.timestamp
      return newest
    }
    default:
      return undefined
  }
}

/** Whether `message` may be relayed at `now`: outside the age limit only if it has a timestamp. */
export function relayable(message: Message, now: number, maxAgeSeconds: number): boolean {
  const timestamp = relayTimestamp(message)
  return timestamp === undefined || withinRelayAge(now, timestamp, maxAgeSeconds)
}
