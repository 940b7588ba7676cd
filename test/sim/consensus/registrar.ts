// Committee changes in the simulator: an operator's wallet that registers standby masternodes
// (honest nodes that follow the chain without voting) and later deregisters them, so the
// committee changes every few blocks while payments, faults and Byzantine members go on. Only
// honest nodes join or leave, so the Byzantine share of the weight stays below a third in every
// epoch (it can only shrink).
import type { KeyPair, RegistrableTier } from '../../../src/core/index.ts'
import type { Prng } from '../prng.ts'
import type { SimWallet } from './sim-wallet.ts'
import type { SimWorld } from './world.ts'

const TIERS: readonly RegistrableTier[] = ['bronze', 'silver', 'gold']
const POLL_MS = 1_000

export class Registrar {
  /** Registrations and deregistrations issued. */
  issued = 0
  readonly #world: SimWorld
  readonly #wallet: SimWallet
  readonly #standby: readonly KeyPair[]
  readonly #prng: Prng
  readonly #registered = new Set<number>()
  #inFlight: string | null = null
  #nextHeight: number

  readonly #tiers: readonly RegistrableTier[]

  constructor(
    world: SimWorld,
    wallet: SimWallet,
    standby: readonly KeyPair[],
    prng: Prng,
    tiers: readonly RegistrableTier[] = TIERS,
  ) {
    this.#tiers = tiers
    this.#world = world
    this.#wallet = wallet
    this.#standby = standby
    this.#prng = prng
    this.#nextHeight = prng.intIn(1, 3)
  }

  /** Acts every few blocks until `until` (simulated ms). */
  start(until: number): void {
    const timers = this.#world.sim.timers(this.#wallet.id)
    const poll = () => {
      this.#step()
      if (this.#world.sim.scheduler.now() + POLL_MS < until) timers.after(POLL_MS, poll)
    }
    timers.after(POLL_MS, poll)
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
    const unregistered = this.#standby.map((_, i) => i).filter((i) => !this.#registered.has(i))
    const register =
      unregistered.length > 0 && (this.#registered.size === 0 || this.#prng.chance(0.6))
    const index = register ? this.#prng.pick(unregistered) : this.#prng.pick([...this.#registered])
    const key = this.#standby[index]!
    const tx = register
      ? this.#wallet.special(key, this.#prng.pick(this.#tiers))
      : this.#wallet.special(key)
    if (tx === null) return
    if (register) this.#registered.add(index)
    else this.#registered.delete(index)
    this.issued++
    this.#inFlight = [...this.#wallet.issued.keys()].at(-1)!
  }
}
