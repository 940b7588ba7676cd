/**
 * A set of signatures to check, plus the typed error to raise for the first bad one. Validation
 * code builds bundles synchronously (structure errors throw while building); verifying them is
 * the only asynchronous step, so callers may verify many bundles at once, natively, or — in the
 * simulator — with a synchronous verifier.
 */
import type { TimeCoinError } from '../errors.ts'
import type { Ed25519Verifier, SignatureCheck } from './ed25519.ts'
import { ed25519 } from './ed25519.ts'

export interface SignatureBundle {
  readonly checks: readonly SignatureCheck[]
  /** The error for check `index` failing. */
  failure(index: number): TimeCoinError
}

/** Throws the bundle's failure for the first false verdict. */
export function assertVerdicts(bundle: SignatureBundle, verdicts: readonly boolean[]): void {
  const bad = verdicts.indexOf(false)
  if (bad !== -1) throw bundle.failure(bad)
}

export async function verifyBundle(
  bundle: SignatureBundle,
  verifier: Ed25519Verifier = ed25519,
): Promise<void> {
  if (bundle.checks.length === 0) return
  assertVerdicts(bundle, await verifier.verifyMany(bundle.checks))
}

/** A bundle with nothing to verify. */
export const NO_SIGNATURES: SignatureBundle = {
  checks: [],
  failure: (i) => {
    throw new RangeError(`no signature check ${i}`)
  },
}

/**
 * Several bundles as one: checks in order, each failure reported by the bundle it came from.
 * When at most one of them has checks it is returned as is (the common case on the hot path: a
 * plain payment has no payload proof and no evidence).
 */
export function joinBundles(bundles: readonly SignatureBundle[]): SignatureBundle {
  const withChecks = bundles.filter((b) => b.checks.length > 0)
  if (withChecks.length <= 1) return withChecks[0] ?? bundles[0] ?? NO_SIGNATURES
  return {
    checks: bundles.flatMap((b) => b.checks),
    failure: (i) => {
      let k = i
      for (const b of bundles) {
        if (k < b.checks.length) return b.failure(k)
        k -= b.checks.length
      }
      throw new RangeError(`no signature check ${i}`)
    },
  }
}
