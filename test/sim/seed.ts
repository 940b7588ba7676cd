// Seeds and replayable failures. A seed is a non-negative integer or a string; `String(seed)` is
// its identity, so `SIM_SEED=<that string>` replays the run exactly. Every failure a simulation
// raises carries `SIM_SEED=<seed>` in its message.

export type Seed = number | string

/** Environment variable that overrides a simulation's seed, to replay a failure. */
export const SEED_ENV = 'SIM_SEED'

export type Env = Readonly<Record<string, string | undefined>>

export function assertSeed(seed: Seed): void {
  if (typeof seed === 'number' && !(Number.isSafeInteger(seed) && seed >= 0)) {
    throw new RangeError(`seed must be a non-negative safe integer or a string, got ${seed}`)
  }
  if (typeof seed === 'string' && seed.length === 0) throw new RangeError('seed must not be empty')
}

/** Digits become a number so `SIM_SEED=42` replays `seed: 42`; anything else stays a string. */
export function parseSeed(text: string): Seed {
  const trimmed = text.trim()
  if (trimmed.length === 0) throw new RangeError(`${SEED_ENV} is set but empty`)
  return /^\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed)) ? Number(trimmed) : trimmed
}

/** The seed from `SIM_SEED` when set, else `fallback`. */
export function resolveSeed(fallback: Seed, env: Env = process.env): Seed {
  const text = env[SEED_ENV]
  const seed = text === undefined ? fallback : parseSeed(text)
  assertSeed(seed)
  return seed
}

/**
 * Seeds for a sweep: `count` consecutive integers from `first`, or only the `SIM_SEED` one when
 * set, so `SIM_SEED=… npx vitest run test/sim` replays a failing member of any sweep.
 */
export function simSeeds(count: number, first = 1, env: Env = process.env): Seed[] {
  const text = env[SEED_ENV]
  if (text !== undefined) return [parseSeed(text)]
  return Array.from({ length: count }, (_, i) => first + i)
}

export function replayHint(seed: Seed): string {
  return `SIM_SEED=${String(seed)}`
}

/** A simulation failure; its message always names the seed that replays it. */
export class SimFailure extends Error {
  override readonly name = 'SimFailure'
  readonly seed: Seed

  constructor(seed: Seed, message: string, options?: ErrorOptions) {
    super(`${message} [replay: ${replayHint(seed)}]`, options)
    this.seed = seed
  }
}

export function failWithSeed(seed: Seed, message: string, cause?: unknown): never {
  throw new SimFailure(seed, message, cause === undefined ? undefined : { cause })
}
