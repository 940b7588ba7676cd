// The setting most engine tests share: four masternodes of equal weight on fixed keys, their
// committee, a genesis of 10-TIME coins for the given owners, and the coins as spendable inputs.
import {
  type Amount,
  COIN,
  Committee,
  computeTxid,
  encodeTransaction,
  type KeyPair,
  MIN_FEE,
  provePayload,
  type RegistrableTier,
  sha256,
  signTransaction,
  TIERS,
  type Txid,
  type TxOutput,
  utf8ToBytes,
} from '../../src/core/index.ts'
import { type Built, type Coin, GENESIS_HASH, keyPair, payloadOf } from './ledger-fixture.ts'

/** Block timings short enough for tests that fire the chain's timers by hand. */
export const TEST_CHAIN = {
  intervalMs: 1_000,
  timeouts: { proposeMs: 500, prevoteMs: 500, precommitMs: 500, growthMs: 100 },
}

/**
 * Masternodes `keyPair(keyBase)` … `keyPair(keyBase + 3)`, weight 10 each, and a genesis (its txid
 * hashed from `label`, so every test file has its own) paying 10 TIME to each of `owners` in turn.
 */
export function engineFixture(label: string, keyBase: number, owners: readonly KeyPair[]) {
  const masternodes = [0, 1, 2, 3].map((i) => keyPair(keyBase + i))
  const committee = new Committee(
    0,
    masternodes.map((k) => ({ key: k.publicKey, weight: 10 })),
  )
  const txid = sha256(utf8ToBytes(label)) as Txid
  const outputs: TxOutput[] = owners.map((k) => ({
    value: (10n * COIN) as Amount,
    address: payloadOf(k),
  }))
  /** Genesis output `vout` as an input its owner can spend. */
  const coin = (vout: number): Coin => ({
    outpoint: { txid, vout },
    value: 10n * COIN,
    owner: owners[vout]!,
  })
  return { masternodes, committee, genesis: { txid, outputs }, coin }
}

/**
 * A registration (with `tier`, its collateral as output 0) or, without a tier, a deregistration of
 * `masternode`, paid from `coin` with the minimum fee (the change goes back to the coin's owner).
 */
export function membershipTx(coin: Coin, masternode: KeyPair, tier?: RegistrableTier): Built {
  const collateral: Amount = tier === undefined ? (0n as Amount) : TIERS[tier].collateral
  const owner = payloadOf(coin.owner)
  const change = { value: (coin.value - collateral - MIN_FEE) as Amount, address: owner }
  const proof = new Uint8Array(64)
  const unsigned = provePayload(
    {
      version: 1,
      inputs: [{ outpoint: coin.outpoint, publicKey: coin.owner.publicKey }],
      outputs: tier === undefined ? [change] : [{ value: collateral, address: owner }, change],
      lockTime: 0,
      payload:
        tier === undefined
          ? { type: 'deregister', masternodeKey: masternode.publicKey, proof }
          : {
              type: 'register',
              tier,
              masternodeKey: masternode.publicKey,
              collateralVout: 0,
              proof,
            },
    },
    masternode.secretKey,
    GENESIS_HASH,
  )
  const tx = signTransaction(unsigned, [coin.owner.secretKey], GENESIS_HASH)
  return { tx, txid: computeTxid(tx), size: encodeTransaction(tx).length }
}
