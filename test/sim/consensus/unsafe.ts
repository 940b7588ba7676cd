// Breakage the simulator injects for its self-tests without touching the protocol code: a rule the
// engine takes from its ConsensusRules object is set there (run.ts, rulesOf); a host's fault is
// the simulator's own port (sim-masternode.ts: a store that acknowledges early, a verifier that
// skips a check); and one rule that lives inside TimeLock's state machine is broken by wrapping
// its public entry points for the duration of one run. Each returns the function that undoes it.
import { TimeLockHeight } from '../../../src/core/index.ts'
import type { UnsafeRule } from './scenario.ts'

type Entry = 'onProposal' | 'onPrevote' | 'onPrecommit' | 'onTimeout'

/**
 * TimeLock with its lock ignored when prevoting: every input is handled as if the node held no
 * lock (a lock taken during the call is kept, an older one is restored afterwards, so the node
 * still reports it). Precommitting and deciding are untouched. With `reproposals`, only the rule
 * for a re-proposal (one naming an earlier valid attempt) ignores it: the lock is shown as older
 * than any attempt (−½) but on the same block, so a fresh proposal still meets it.
 */
function prevoteIgnoresLock(reproposals: boolean): () => void {
  const proto = TimeLockHeight.prototype as unknown as Record<
    Entry,
    (this: TimeLockHeight, ...args: unknown[]) => unknown
  >
  const originals = new Map<Entry, (this: TimeLockHeight, ...args: unknown[]) => unknown>()
  for (const name of ['onProposal', 'onPrevote', 'onPrecommit', 'onTimeout'] as const) {
    const original = proto[name]
    originals.set(name, original)
    proto[name] = function (this: TimeLockHeight, ...args: unknown[]) {
      const value = this.lockedValue
      const attempt = this.lockedAttempt
      const hidden = reproposals ? -0.5 : -1
      if (!reproposals) this.lockedValue = null
      if (attempt >= 0) this.lockedAttempt = hidden
      try {
        return original.apply(this, args)
      } finally {
        if (this.lockedAttempt === hidden) {
          this.lockedValue = value
          this.lockedAttempt = attempt
        }
      }
    }
  }
  return () => {
    for (const [name, original] of originals) proto[name] = original
  }
}

/** Installs the in-process part of `unsafe` (if any) and returns what undoes it. */
export function installUnsafe(unsafe: UnsafeRule | null): () => void {
  if (unsafe === 'prevote-ignores-lock') return prevoteIgnoresLock(false)
  if (unsafe === 'reproposal-ignores-lock') return prevoteIgnoresLock(true)
  return () => {}
}
