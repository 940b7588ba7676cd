/**
 * The defence layer's settings (DESIGN §5, "Defence"): every limit is one field with a documented
 * default, named as the daemon's `time.conf` key is (camelCase here, snake_case there; durations in
 * seconds). docs/ARCHITECTURE.md §7 ("Defence") lists them.
 *
 * Invariants: `defenceSettings` returns a complete, checked object — every rate, duration and
 * bound positive, costs between 0 and the ban score — or throws a RangeError naming the field.
 */

export interface DefenceSettings {
  /** `enable_rate_limiting`: per-peer token buckets on inbound frames. */
  readonly enableRateLimiting: boolean
  /** `max_requests_per_second`: frames one peer may send per second in each message class. */
  readonly maxRequestsPerSecond: number
  /**
   * `committee_max_requests_per_second`: frames per second and class a current committee member
   * may send over its committee link (the consensus protocol) — its own buckets, in place of
   * `maxRequestsPerSecond`. A member forwards every transaction, vote request, vote and lock
   * report of the committee's whole load (at 1,500 payments a second, several thousand frames a
   * second in the tx and consensus classes), which would trip a stranger's limit. Membership is
   * the handshake's proof: the peer signed over its libp2p id with a key of the current committee.
   * Its other protocols, and its garbage (penalties), are charged like anyone's.
   */
  readonly committeeRequestsPerSecond: number
  /** `rate_limit_burst_seconds`: a bucket holds this many seconds' worth of frames. */
  readonly rateLimitBurstSeconds: number
  /**
   * `rate_limit_penalty_interval_seconds`: a peer over its limit loses the frames over it, and is
   * charged (MidToleranceError) at most once per class per interval — so a short burst costs
   * little and a sustained flood is banned within ban score ÷ cost intervals.
   */
  readonly rateLimitPenaltyIntervalSeconds: number
  /**
   * `banscore`: a peer whose penalty score reaches it is banned. Costs below add up; the score
   * halves every `scoreHalfLifeSeconds`.
   */
  readonly banScore: number
  /** Cost of a LowToleranceError (malformed input, a forged signature): five of them ban. */
  readonly lowToleranceCost: number
  /** Cost of a MidToleranceError (being over a rate limit): ten ban. */
  readonly midToleranceCost: number
  /** Cost of a HighToleranceError (a request it should not make): fifty ban. */
  readonly highToleranceCost: number
  /** `score_half_life_seconds`: a penalty score halves in this time (in ten steps). */
  readonly scoreHalfLifeSeconds: number
  /** `bantime`: how long a ban lasts (the score does not decay meanwhile). */
  readonly banDurationSeconds: number
  /** Peers whose score or buckets are kept; past it the least relevant is forgotten. */
  readonly maxTrackedPeers: number
  /** `maxconnectionsperip`: connections (open or being upgraded) from one IP address. */
  readonly maxConnectionsPerIp: number
  /**
   * `exempt_loopback`: loopback addresses escape the per-IP cap and the IP blacklist (a devnet, a
   * local reverse proxy in front of the WebSocket port). Off by default.
   */
  readonly exemptLoopback: boolean
  /** `blacklist_banned_ips`: a ban also blacklists the IP addresses the peer is connected from. */
  readonly blacklistBannedIps: boolean
  /** `ip_blacklist_seconds`: how long an IP address stays blacklisted. */
  readonly ipBlacklistSeconds: number
  /** Blacklisted IP addresses held at once (the oldest goes first when full). */
  readonly maxBlacklistedIps: number
  /** `defence_cleanup_seconds`: expired blacklist entries and forgotten scores are swept this often. */
  readonly cleanupIntervalSeconds: number
  /**
   * `message_max_age_seconds`: a relayed consensus message (vote batch, certificate) whose
   * timestamp is further than this from now is not relayed — for relay and dedup only, never for
   * validity (`withinRelayAge`). The engine service applies it as its relay filter's span
   * (`relayFilter.maxAgeMs`), which the daemon sets from this.
   */
  readonly messageMaxAgeSeconds: number
}

export const DEFAULT_DEFENCE_SETTINGS: DefenceSettings = Object.freeze({
  enableRateLimiting: true,
  maxRequestsPerSecond: 1_000,
  committeeRequestsPerSecond: 20_000,
  rateLimitBurstSeconds: 1,
  rateLimitPenaltyIntervalSeconds: 1,
  banScore: 100,
  lowToleranceCost: 20,
  midToleranceCost: 10,
  highToleranceCost: 2,
  scoreHalfLifeSeconds: 600,
  banDurationSeconds: 3_600,
  maxTrackedPeers: 10_000,
  maxConnectionsPerIp: 32,
  exemptLoopback: false,
  blacklistBannedIps: true,
  ipBlacklistSeconds: 3_600,
  maxBlacklistedIps: 10_000,
  cleanupIntervalSeconds: 60,
  messageMaxAgeSeconds: 300,
})

const POSITIVE: readonly (keyof DefenceSettings)[] = [
  'maxRequestsPerSecond',
  'committeeRequestsPerSecond',
  'rateLimitBurstSeconds',
  'rateLimitPenaltyIntervalSeconds',
  'banScore',
  'scoreHalfLifeSeconds',
  'banDurationSeconds',
  'ipBlacklistSeconds',
  'cleanupIntervalSeconds',
  'messageMaxAgeSeconds',
]
const COUNTS: readonly (keyof DefenceSettings)[] = [
  'maxTrackedPeers',
  'maxConnectionsPerIp',
  'maxBlacklistedIps',
]
const COSTS: readonly (keyof DefenceSettings)[] = [
  'lowToleranceCost',
  'midToleranceCost',
  'highToleranceCost',
]

/** The defaults with `overrides` applied, checked. */
export function defenceSettings(overrides: Partial<DefenceSettings> = {}): DefenceSettings {
  const s: DefenceSettings = { ...DEFAULT_DEFENCE_SETTINGS, ...overrides }
  for (const key of POSITIVE) {
    const v = s[key] as number
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`defence: ${key} must be positive`)
  }
  for (const key of COUNTS) {
    const v = s[key] as number
    if (!(Number.isSafeInteger(v) && v >= 1))
      throw new RangeError(`defence: ${key} must be a whole number ≥ 1`)
  }
  for (const key of COSTS) {
    const v = s[key] as number
    if (!(Number.isFinite(v) && v >= 0 && v <= s.banScore))
      throw new RangeError(`defence: ${key} must be between 0 and banScore`)
  }
  return Object.freeze(s)
}
