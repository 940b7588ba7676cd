// Committee changes in the simulator: an operator's wallet that registers standby masternodes
// (honest nodes that follow the chain without voting) and later deregisters them, so the
// committee changes every few blocks while payments, faults and Byzantine members go on. With
// `cheap` keys it also plays the cheap-registration attacker: Bronze registrations of keys no node
// runs (silent weight), as many as keep the Byzantine weight below a third of every committee it
// leads to — weight costs collateral, so buying a third of the committee costs a third of its
// stake. Honest nodes leave only while that bound still holds without them.
import type { KeyPair, RegistrableTier } from '../../../src/core/index.ts'
import type { Prng } from '../prng.ts'
import type { SimWallet } from './sim-wallet.ts'
import type { SimWorld } from './world.ts'

const TIERS: readonly RegistrableTier[] = ['bronze', 'silver', 'gold']
const POLL_MS = 1_000
const TIER_WEIGHTS = { bronze: 10, silver: 100, gold: 1_000 } as const
const BRONZE = TIER_WEIGHTS.bronze

export class Registrar {
  /** Registrations and deregistrations issued. */
  issued = 0
  readonly #world: SimWorld
  readonly #wallet: SimWallet
  readonly #standby: readonly KeyPair[]
  readonly #prng: Prng
  readonly #registered = new Set<number>()
  readonly #cheap: readonly KeyPair[]
  #cheapRegistered = 0
  /** Byzantine and total weight of the committee this registrar's changes lead to. */
  #byzantine: number
  #total: number
  readonly #weights = new Map<number, number>()
  #inFlight: string | null = null
  #nextHeight: number

  readonly #tiers: readonly RegistrableTier[]

  constructor(
    world: SimWorld,
    wallet: SimWallet,
    standby: readonly KeyPair[],
    prng: Prng,
    weight: { readonly byzantine: number; readonly total: number },
    tiers: readonly RegistrableTier[] = TIERS,
    cheap: readonly KeyPair[] = [],
  ) {
    this.#tiers = tiers
    this.#cheap = cheap
    this.#byzantine = weight.byzantine
    this.#total = weight.total
    this.#world = world
    this.#wallet = wallet
    this.#standby = standby
    this.#prng = prng
    this.#nextHeight = prng.intIn(1, 3)
  }

  /** Acts every few blocks until `until` (simulated ms). */
  start(until: number): void {
    this.#world.every(this.#wallet.id, POLL_MS, until, () => this.#step())
  }

  #step(): void {
    const height = this.#world.oracle.height
    if (this.#inFlight !== null) {
      if (!this.#wallet.final.has(this.#inFlight)) return
      this.#inFlight = null
      // The change is confirmed by the next block and applied by the one after.
      this.#nextHeight = height + this.#prng.intIn(2, 5)
    }
    if (height < this.#nextHeight) return
    const cheapKey = this.#cheap[this.#cheapRegistered]
    if (
      cheapKey !== undefined &&
      3 * (this.#byzantine + BRONZE) < this.#total + BRONZE &&
      this.#prng.chance(0.4)
    ) {
      if (this.#wallet.special(cheapKey, 'bronze') === null) return
      this.#cheapRegistered++
      this.#byzantine += BRONZE
      this.#total += BRONZE
    } else {
      const unregistered = this.#standby.map((_, i) => i).filter((i) => !this.#registered.has(i))
      // An honest node may leave only while the Byzantine weight stays below a third without it.
      const leavable = [...this.#registered].filter(
        (i) => 3 * this.#byzantine < this.#total - this.#weights.get(i)!,
      )
      const register = unregistered.length > 0 && (leavable.length === 0 || this.#prng.chance(0.6))
      if (!register && leavable.length === 0) return
      const index = register ? this.#prng.pick(unregistered) : this.#prng.pick(leavable)
      const key = this.#standby[index]!
      const tier = this.#prng.pick(this.#tiers)
      const tx = register ? this.#wallet.special(key, tier) : this.#wallet.special(key)
      if (tx === null) return
      if (register) {
        this.#registered.add(index)
        this.#weights.set(index, TIER_WEIGHTS[tier])
        this.#total += TIER_WEIGHTS[tier]
      } else {
        this.#registered.delete(index)
        this.#total -= this.#weights.get(index)!
      }
    }
    this.issued++
    this.#inFlight = [...this.#wallet.issued.keys()].at(-1)!
  }
}
