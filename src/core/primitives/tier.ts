/**
 * Masternode collateral tiers: the collateral a registration locks and the voting weight it buys
 * (docs/PROTOCOL.md §10). Free nodes relay and serve wallets; they never vote and cannot register.
 */
import { type Amount, COIN } from './amount.ts'

export type Tier = 'free' | 'bronze' | 'silver' | 'gold'

/** The tiers a registration transaction may name. */
export type RegistrableTier = Exclude<Tier, 'free'>

export interface TierRule {
  readonly collateral: Amount
  readonly weight: number
}

/**
 * Collateral and weight by tier (docs/PROTOCOL.md §10). Free nodes relay and serve wallets; they
 * never vote.
 */
export const TIERS: Readonly<Record<Tier, TierRule>> = {
  free: { collateral: 0n as Amount, weight: 0 },
  bronze: { collateral: (1_000n * COIN) as Amount, weight: 10 },
  silver: { collateral: (10_000n * COIN) as Amount, weight: 100 },
  gold: { collateral: (100_000n * COIN) as Amount, weight: 1_000 },
}

/** The u8 code of each registrable tier in a registration payload. */
export const TIER_CODES: Readonly<Record<RegistrableTier, number>> = {
  bronze: 1,
  silver: 2,
  gold: 3,
}

/** The registrable tier with u8 code `code`, or undefined (0 and anything above 3). */
export function tierFromCode(code: number): RegistrableTier | undefined {
  for (const [tier, c] of Object.entries(TIER_CODES) as [RegistrableTier, number][]) {
    if (c === code) return tier
  }
  return undefined
}
