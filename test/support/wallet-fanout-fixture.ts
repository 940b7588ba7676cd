// The devnet of the wallet fan-out measure, as the masternodes' process and the wallet swarm's
// both know it: four masternodes on fixed keys and a "hot" address owning the first genesis coins,
// which every wallet of the swarm watches (each payment from it is pushed to all of them).
import { COIN, MIN_FEE } from '../../src/core/index.ts'
import { engineFixture } from './engine-fixture.ts'
import { type Built, keyPair, payloadOf, spend } from './ledger-fixture.ts'

/** Genesis coins of the hot address: one per payment measured. */
export const HOT_COINS = 40
export const hot = keyPair(1_300)
export const payee = keyPair(1_301)
export const HOT = payloadOf(hot)
export const fanoutFx = engineFixture(
  'wallet fan-out devnet',
  1_310,
  Array.from({ length: HOT_COINS }, () => hot),
)

/** The hot address pays the payee 1 TIME from genesis coin `vout`, the change back to itself. */
export function hotPayment(vout: number): Built {
  const coin = fanoutFx.coin(vout)
  return spend(
    [coin],
    [
      { to: payee, value: COIN },
      { to: hot, value: coin.value - COIN - MIN_FEE },
    ],
  )
}
