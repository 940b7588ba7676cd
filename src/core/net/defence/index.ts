/**
 * The defence layer's public face (DESIGN §5, "Defence"; docs/ARCHITECTURE.md §7): a `Defence`
 * made before the host (its `gater` is a host option) and joined to it as a service —
 *
 *   const guard = new Defence({ settings })
 *   createNodeHost({
 *     connectionGater: composeGaters(guard.gater, banGater(guard), committeeSlotsGater(() => links)),
 *     services: { defence: guard.service(), handshake: handshake({ bans: guard, ... }), ...,
 *                 engine: engineService({ penalties: guard, inbound: guard, ... }) },
 *   })
 *
 * plus its parts, pure and clock-injected, for tests and other services.
 */

export { composeGaters } from './compose-gaters.ts'
export {
  Defence,
  type DefenceComponents,
  type DefenceEvents,
  type DefenceInit,
  type DefenceStats,
  type PeerBan,
} from './defence-service.ts'
export {
  type CommitteeMembership,
  type InboundGate,
  MessageClass,
  messageClassOf,
} from './inbound-gate.ts'
export { ipKey, ipOf, isLoopbackKey } from './ip-address.ts'
export { IpBlacklist, type IpBlacklistInit } from './ip-blacklist.ts'
export { PeerScores, type ScoreVerdict } from './peer-scores.ts'
export { boundedLengthDecoder, frameLimits, isOversizeRead } from './read-limits.ts'
export { relayable, relayTimestamp, withinRelayAge } from './relay-age.ts'
export { DEFAULT_DEFENCE_SETTINGS, type DefenceSettings, defenceSettings } from './settings.ts'
export { type TakeResult, TokenBuckets, type TokenBucketsInit } from './token-buckets.ts'
