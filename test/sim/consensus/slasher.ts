// Slashing in the simulator: an honest node that watches every signature (as any node may) and,
// when a member signed Accepts for two transactions spending one output, reports it in a
// slashing transaction. The next blocks remove the offender from the committee.
import { bytesToHex, type Transaction } from '../../../src/core/index.ts'
import type { SimWallet } from './sim-wallet.ts'
import type { SimWorld } from './world.ts'

const POLL_MS = 2_000

export class Slasher {
  /** Slashing transactions issued, with the epoch of their evidence. */
  readonly reports: { readonly tx: Transaction; readonly epoch: number }[] = []
  readonly #world: SimWorld
  readonly #wallet: SimWallet
  readonly #reported = new Set<string>()

  constructor(world: SimWorld, wallet: SimWallet) {
    this.#world = world
    this.#wallet = wallet
  }

  /** Watches every `POLL_MS` of simulated time until `until`. */
  start(until: number): void {
    this.#world.every(this.#wallet.id, POLL_MS, until, () => this.#step())
  }

  #step(): void {
    const latest = Math.max(...this.#world.oracle.committees.keys())
    for (const evidence of this.#world.oracle.equivocations(this.#reported)) {
      const epoch = evidence.entryA.header.epoch
      // Evidence is judged by the committee of its epoch: only the current or previous one, and
      // only a voting member of it can be slashed (a wrong-epoch signer proves nothing).
      const committee = this.#world.oracle.committees.get(epoch)
      if (epoch + 1 < latest || !(committee?.weightOf(evidence.entryA.header.voterKey) ?? 0))
        continue
      const tx = this.#wallet.slash(evidence)
      if (tx === null) return
      this.#reported.add(bytesToHex(evidence.entryA.header.voterKey))
      this.reports.push({ tx, epoch })
      return
    }
  }
}
