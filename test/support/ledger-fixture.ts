// Builds ledgers and signed transactions over known keys, for ledger tests and benchmarks.
import {
  type AddressPayload,
  type Amount,
  addressPayloadFromPublicKey,
  COIN,
  computeTxid,
  encodeTransaction,
  getPublicKey,
  type KeyPair,
  Ledger,
  type LedgerOptions,
  type OutPoint,
  sha256,
  signTransaction,
  type Transaction,
  type Txid,
  type TxOutput,
  utf8ToBytes,
} from '../../src/core/index.ts'

export const GENESIS_HASH = sha256(utf8ToBytes('ledger test genesis'))
export const GENESIS_TXID = sha256(utf8ToBytes('ledger test allocations')) as Txid

export function keyPair(i: number): KeyPair {
  const secretKey = sha256(utf8ToBytes(`ledger test key ${i}`))
  return { secretKey, publicKey: getPublicKey(secretKey) }
}

export function payloadOf(key: KeyPair): AddressPayload {
  return addressPayloadFromPublicKey(key.publicKey)
}

export interface Coin {
  readonly outpoint: OutPoint
  readonly value: bigint
  readonly owner: KeyPair
}

export interface Built {
  readonly tx: Transaction
  readonly txid: Txid
  readonly size: number
}

/** Signs a transaction spending `coins` into `outputs` (each an owner and an amount). */
export function spend(
  coins: readonly Coin[],
  outputs: readonly { readonly to: KeyPair; readonly value: bigint }[],
  lockTime = 0,
): Built {
  const tx = signTransaction(
    {
      version: 1,
      inputs: coins.map((c) => ({ outpoint: c.outpoint, publicKey: c.owner.publicKey })),
      outputs: outputs.map(
        (o): TxOutput => ({ value: o.value as Amount, address: payloadOf(o.to) }),
      ),
      lockTime,
      payload: { type: 'none' },
    },
    coins.map((c) => c.owner.secretKey),
    GENESIS_HASH,
  )
  return { tx, txid: computeTxid(tx), size: encodeTransaction(tx).length }
}

/** The coins a built transaction creates, owned by the given keys in output order. */
export function coinsOf(built: Built, owners: readonly KeyPair[]): Coin[] {
  return built.tx.outputs.map((o, vout) => ({
    outpoint: { txid: built.txid, vout },
    value: o.value,
    owner: owners[vout]!,
  }))
}

/** A ledger with `count` genesis coins of `value` each, coin i owned by keyPair(i % keys). */
export function genesisLedger(
  count: number,
  value: bigint = 10n * COIN,
  keys = count,
  opts: Partial<LedgerOptions> = {},
): { ledger: Ledger; coins: Coin[]; genesisOps: ReturnType<Ledger['createOutputs']>['ops'] } {
  const ledger = new Ledger({ genesisHash: GENESIS_HASH, ...opts })
  const owners = Array.from({ length: count }, (_, i) => keyPair(i % keys))
  const outputs = owners.map((o): TxOutput => ({ value: value as Amount, address: payloadOf(o) }))
  const { ops } = ledger.createOutputs(GENESIS_TXID, outputs, 0)
  const coins = owners.map((owner, vout) => ({
    outpoint: { txid: GENESIS_TXID, vout },
    value,
    owner,
  }))
  return { ledger, coins, genesisOps: ops }
}
