/**
 * The devnet's payment demo, as any wallet would make it over JSON-RPC: the faucet's coin is split
 * into a few outputs (one payment), then payments leave at a steady rate, each from one of those
 * outputs to a fresh address with its change back to the faucet, sent to the masternodes in turn
 * (`sendrawtransaction`) and waited for (`waittransactionfinality`). A payment's finality time is
 * what its sender sees: from handing the transaction to a masternode to that masternode answering
 * that it is final — two loopback HTTP exchanges included.
 *
 * Invariants: an output is spent once — a slot's next payment spends the change of its last, and
 * only once that one is final (a final output is spendable at once); at most `slots` payments are
 * in flight; every wait is bounded.
 */
import { performance } from 'node:perf_hooks'
import { generateKeyPair, type KeyPair } from '../../core/crypto/ed25519.ts'
import { bytesToHex } from '../../core/encoding/bytes.ts'
import {
  type Address,
  addressFromPublicKey,
  addressPayloadFromPublicKey,
} from '../../core/primitives/address.ts'
import { type Amount, COIN, MIN_FEE } from '../../core/primitives/amount.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import type { OutPoint } from '../../core/primitives/outpoint.ts'
import {
  computeTxid,
  encodeTransaction,
  type Transaction,
  type TxOutput,
} from '../../core/primitives/transaction.ts'
import { signTransaction } from '../../core/primitives/transaction-signing.ts'
import { txidToHex } from '../../core/primitives/txid.ts'

/** A masternode the demo talks to: its index (for the display) and an RPC call. */
export interface DemoNode {
  readonly index: number
  readonly call: (method: string, params: readonly unknown[]) => Promise<unknown>
}

/** An output the faucet can spend. */
export interface Coin {
  readonly outpoint: OutPoint
  readonly value: Amount
}

export interface Payment {
  /** 0 for the split, then 1, 2, … */
  readonly n: number
  readonly txid: string
  readonly amount: Amount
  readonly to: Address
  /** The masternode it was sent to. */
  readonly via: number
  /** Milliseconds from sending to final, as the sender saw it. */
  readonly ms: number
}

export interface DemoOptions {
  readonly network: NetworkName
  readonly genesisHash: Uint8Array
  readonly nodes: readonly DemoNode[]
  readonly faucet: KeyPair
  /** The faucet coin the demo starts from. */
  readonly coin: Coin
  /** Payments per second. */
  readonly rate: number
  /** Seconds of payments (rate × duration payments, at least one). */
  readonly durationSeconds: number
  /** Outputs the coin is split into: payments in flight at most (default 16). */
  readonly slots?: number
  /** Each payment as it becomes final (the split first). */
  readonly onPayment?: (payment: Payment) => void
  /** How long a payment may take to be final (default 10 s). */
  readonly finalityTimeoutMs?: number
}

export interface DemoResult {
  readonly split: Payment
  readonly payments: readonly Payment[]
  /** The faucet's outputs after the demo (each final). */
  readonly coins: readonly Coin[]
}

const DEFAULT_SLOTS = 16
const DEFAULT_FINALITY_TIMEOUT_MS = 10_000

/** A payment from `coin`: `outputs` first, the change back to the faucet last. */
function spend(o: DemoOptions, coin: Coin, outputs: readonly TxOutput[]): Transaction {
  const paid = outputs.reduce((sum, out) => sum + out.value, 0n)
  const change = coin.value - paid - MIN_FEE
  if (change <= 0n) throw new Error('the faucet coin is too small for the demo')
  return signTransaction(
    {
      version: 1,
      inputs: [{ outpoint: coin.outpoint, publicKey: o.faucet.publicKey }],
      outputs: [
        ...outputs,
        {
          value: change as Amount,
          address: addressPayloadFromPublicKey(o.faucet.publicKey),
        },
      ],
      lockTime: 0,
      payload: { type: 'none' },
    },
    [o.faucet.secretKey],
    o.genesisHash,
  )
}

/** Sends `tx` to `node` and waits until that node says it is final; returns the milliseconds. */
async function sendAndWait(node: DemoNode, tx: Transaction, timeoutMs: number): Promise<number> {
  const txid = txidToHex(computeTxid(tx))
  const hex = bytesToHex(encodeTransaction(tx))
  const start = performance.now()
  await node.call('sendrawtransaction', [hex])
  const status = (await node.call('waittransactionfinality', [txid, timeoutMs])) as {
    final: boolean
    status: string
  }
  const ms = performance.now() - start
  if (!status.final)
    throw new Error(
      `payment ${txid} is not final after ${timeoutMs} ms at masternode ${node.index} (${status.status})`,
    )
  return ms
}

/** Runs the demo: the split, then the payments; rejects on the first payment that is not final. */
export async function runPaymentDemo(o: DemoOptions): Promise<DemoResult> {
  const slots = o.slots ?? DEFAULT_SLOTS
  const timeoutMs = o.finalityTimeoutMs ?? DEFAULT_FINALITY_TIMEOUT_MS
  const faucetPayload = addressPayloadFromPublicKey(o.faucet.publicKey)
  const faucetAddress = addressFromPublicKey(o.faucet.publicKey, o.network)
  // The split: `slots` outputs of a share each, the rest back as change.
  const share = (o.coin.value / BigInt(slots + 1)) as Amount
  const splitTx = spend(
    o,
    o.coin,
    Array.from({ length: slots }, () => ({ value: share, address: faucetPayload })),
  )
  const splitTxid = computeTxid(splitTx)
  const first = o.nodes[0]!
  const split: Payment = {
    n: 0,
    txid: txidToHex(splitTxid),
    amount: (share * BigInt(slots)) as Amount,
    to: faucetAddress,
    via: first.index,
    ms: await sendAndWait(first, splitTx, timeoutMs),
  }
  o.onPayment?.(split)
  const coins: Coin[] = Array.from({ length: slots }, (_, vout) => ({
    outpoint: { txid: splitTxid, vout },
    value: share,
  }))
  const count = Math.max(1, Math.round(o.rate * o.durationSeconds))
  const payments: Payment[] = []
  const busy: (Promise<void> | undefined)[] = Array.from({ length: slots })
  const start = performance.now()
  for (let n = 1; n <= count; n++) {
    const due = start + ((n - 1) * 1000) / o.rate
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const slot = (n - 1) % slots
    await busy[slot]
    const coin = coins[slot]!
    const node = o.nodes[n % o.nodes.length]!
    const payee = generateKeyPair().publicKey
    // 1 to 100 TIME, in whole hundredths.
    const amount = ((BigInt(1 + Math.floor(Math.random() * 9_900)) * COIN) / 100n) as Amount
    const tx = spend(o, coin, [{ value: amount, address: addressPayloadFromPublicKey(payee) }])
    const txid = computeTxid(tx)
    coins[slot] = { outpoint: { txid, vout: 1 }, value: tx.outputs[1]!.value }
    const sent = sendAndWait(node, tx, timeoutMs).then((ms) => {
      const payment: Payment = {
        n,
        txid: txidToHex(txid),
        amount,
        to: addressFromPublicKey(payee, o.network),
        via: node.index,
        ms,
      }
      payments.push(payment)
      o.onPayment?.(payment)
    })
    // A failure is thrown where the slot is next awaited; until then it is not "unhandled".
    sent.catch(() => {})
    busy[slot] = sent
  }
  await Promise.all(busy)
  payments.sort((a, b) => a.n - b.n)
  return { split, payments, coins }
}

/** The q-quantile (0…1) of `values` by the nearest-rank method. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}
