// The devnet the Chromium wallet test talks to, as both sides know it: four masternodes on fixed
// keys (their committee is the page's genesis committee), genesis coins for fixed owners (the page
// signs a payment from one), and blocks a few times a second. Pure: the page imports it too.
import { COIN, MIN_FEE } from '../../src/core/index.ts'
import { engineFixture } from './engine-fixture.ts'
import { type Built, keyPair, spend } from './ledger-fixture.ts'

export const browserOwners = Array.from({ length: 4 }, (_, i) => keyPair(1_200 + i))
export const browserFx = engineFixture('browser wallet devnet', 1_210, browserOwners)

/** Blocks a few times a second, so a payment is confirmed within the test. */
export const BROWSER_CHAIN = {
  intervalMs: 250,
  timeouts: { proposeMs: 1_000, prevoteMs: 1_000, precommitMs: 1_000, growthMs: 250 },
}

/** Owner 0 pays owner 1 `amount` TIME from genesis coin 0, the change back. */
export function browserPayment(amount = 2n): Built {
  const coin = browserFx.coin(0)
  return spend(
    [coin],
    [
      { to: browserOwners[1]!, value: amount * COIN },
      { to: coin.owner, value: coin.value - amount * COIN - MIN_FEE },
    ],
  )
}
