// The bench wallet of `npm run bench:devnet`: many funded keys and independent payments from them,
// all signed before any clock starts, and a JSON-RPC client for the devnet's masternodes that can
// send one request or a JSON-RPC batch over one kept-alive HTTP connection pool.
//
// Funding: the faucet's coin is split into F outputs (one transaction), then each of those pays
// PER_FUNDING_TX outputs of UNIT to the keys in turn (F transactions); each funded output is then
// spent by exactly one payment: UNIT in, a quarter of it to the next key, the rest less the
// minimum fee back as change. Invariants: an outpoint is spent by at most one prepared payment;
// every amount is exact (the funding transactions have no change and pay exactly the minimum fee).
import { performance } from 'node:perf_hooks'
import {
  type Amount,
  addressPayloadFromPublicKey,
  bytesToHex,
  COIN,
  computeTxid,
  encodeTransaction,
  generateKeyPair,
  inputSigningMessage,
  type KeyPair,
  MIN_FEE,
  type OutPoint,
  type Signer,
  type Transaction,
  type TxOutput,
  txidToHex,
  type UnsignedTransaction,
} from '../../src/core/index.ts'
import { nativeSigner } from '../../src/node/crypto/native-signer.ts'
import { basicAuthorization, readCookie } from '../../src/node/rpc/auth.ts'

/** Each funded output's value. */
export const UNIT = (COIN / 10n) as Amount
/** Outputs per funding transaction (about 20 KB each, well under the 100 KB limit). */
export const PER_FUNDING_TX = 500

/** A signed transaction ready to send: its txid and its encoding, both hex. */
export interface Prepared {
  readonly txid: string
  readonly hex: string
}

export interface Owned {
  readonly outpoint: OutPoint
  readonly value: Amount
  readonly key: KeyPair
  readonly signer: Signer
}

/** One input spending `coin`, signed with node:crypto. */
export function sign(
  coin: Owned,
  outputs: readonly TxOutput[],
  genesisHash: Uint8Array,
): { tx: Transaction; prepared: Prepared } {
  const unsigned: UnsignedTransaction = {
    version: 1,
    inputs: [{ outpoint: coin.outpoint, publicKey: coin.key.publicKey }],
    outputs,
    lockTime: 0,
    payload: { type: 'none' },
  }
  const txid = computeTxid(unsigned)
  const signature = coin.signer.sign(inputSigningMessage(genesisHash, txid, 0))
  const tx: Transaction = { ...unsigned, inputs: [{ ...unsigned.inputs[0]!, signature }] }
  return { tx, prepared: { txid: txidToHex(txid), hex: bytesToHex(encodeTransaction(tx)) } }
}

export function ownedKey(key: KeyPair = generateKeyPair()): { key: KeyPair; signer: Signer } {
  return { key, signer: nativeSigner(key) }
}

export interface FundingPlan {
  /** The split of the faucet coin: send and wait for it first. */
  readonly split: Prepared
  /** Then these, each spending one output of the split. */
  readonly funding: readonly Prepared[]
  /** The funded outputs, in order. */
  readonly outputs: readonly Owned[]
}

/** Plans `count` funded outputs of UNIT over `keys` keys, from the faucet's `coin`. */
export function planFunding(
  faucet: Owned,
  count: number,
  keys: number,
  genesisHash: Uint8Array,
): FundingPlan {
  const owners = Array.from({ length: keys }, () => ownedKey())
  const txCount = Math.ceil(count / PER_FUNDING_TX)
  const each = (BigInt(PER_FUNDING_TX) * UNIT + MIN_FEE) as Amount
  const change = faucet.value - BigInt(txCount) * each - MIN_FEE
  if (change < COIN) throw new Error(`the faucet coin cannot fund ${count} payments`)
  const faucetPayload = addressPayloadFromPublicKey(faucet.key.publicKey)
  const split = sign(
    faucet,
    [
      ...Array.from({ length: txCount }, () => ({ value: each, address: faucetPayload })),
      { value: change as Amount, address: faucetPayload },
    ],
    genesisHash,
  )
  const splitTxid = computeTxid(split.tx)
  const funding: Prepared[] = []
  const outputs: Owned[] = []
  for (let t = 0; t < txCount; t++) {
    const payees = Array.from(
      { length: PER_FUNDING_TX },
      (_, k) => owners[(t * PER_FUNDING_TX + k) % keys]!,
    )
    const f = sign(
      { ...faucet, outpoint: { txid: splitTxid, vout: t }, value: each },
      payees.map((p) => ({ value: UNIT, address: addressPayloadFromPublicKey(p.key.publicKey) })),
      genesisHash,
    )
    funding.push(f.prepared)
    const txid = computeTxid(f.tx)
    payees.forEach((p, vout) => {
      outputs.push({ outpoint: { txid, vout }, value: UNIT, ...p })
    })
  }
  return { split: split.prepared, funding, outputs: outputs.slice(0, count) }
}

/** Independent payments, one per funded output; returns them and the milliseconds spent signing. */
export function preparePayments(
  funded: readonly Owned[],
  genesisHash: Uint8Array,
): { payments: Prepared[]; signMs: number } {
  const started = performance.now()
  const pay = (UNIT / 4n) as Amount
  const payments = funded.map((coin, i) => {
    const payee = funded[(i + 1) % funded.length]!.key
    return sign(
      coin,
      [
        { value: pay, address: addressPayloadFromPublicKey(payee.publicKey) },
        {
          value: (coin.value - pay - MIN_FEE) as Amount,
          address: addressPayloadFromPublicKey(coin.key.publicKey),
        },
      ],
      genesisHash,
    ).prepared
  })
  return { payments, signMs: performance.now() - started }
}

/** A JSON-RPC error the node answered, or a transport failure (`code` undefined). */
export interface RpcFailure {
  readonly code: number | undefined
  readonly message: string
}

export type RpcAnswer = { ok: true; result: unknown } | { ok: false; error: RpcFailure }

/** A client of one masternode's RPC server (the cookie read once). */
export class BenchRpc {
  readonly url: string
  readonly #authorization: string

  private constructor(url: string, authorization: string) {
    this.url = url
    this.#authorization = authorization
  }

  static async open(url: string, cookie: string): Promise<BenchRpc> {
    return new BenchRpc(url, basicAuthorization(await readCookie(cookie)))
  }

  /** One call; a node's error is thrown with its message. */
  async call(method: string, params: readonly unknown[] = [], timeoutMs = 70_000) {
    const [answer] = await this.batch([{ method, params }], timeoutMs)
    if (answer === undefined) throw new Error(`${method}: no answer`)
    if (!answer.ok) throw new Error(`${method} at ${this.url}: ${answer.error.message}`)
    return answer.result
  }

  /** One HTTP request carrying `calls` (a JSON-RPC batch when more than one), answers in order. */
  async batch(
    calls: readonly { method: string; params: readonly unknown[] }[],
    timeoutMs = 70_000,
  ): Promise<RpcAnswer[]> {
    const body =
      calls.length === 1
        ? { jsonrpc: '2.0', id: 0, ...calls[0] }
        : calls.map((c, id) => ({ jsonrpc: '2.0', id, ...c }))
    let text: string
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: this.#authorization },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      })
      text = await response.text()
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause
      const why = cause?.code ?? cause?.message ?? (e as Error).message
      const error = { code: undefined, message: `transport: ${why}` }
      return calls.map(() => ({ ok: false, error }))
    }
    type Raw = { id: number; result?: unknown; error?: { code: number; message: string } | null }
    let raw: Raw | Raw[]
    try {
      raw = JSON.parse(text) as Raw | Raw[]
    } catch {
      const error = { code: undefined, message: `not JSON-RPC: ${text.slice(0, 120)}` }
      return calls.map(() => ({ ok: false, error }))
    }
    const list = Array.isArray(raw) ? raw : [raw]
    const byId = new Map(list.map((r) => [r.id, r]))
    return calls.map((_, id): RpcAnswer => {
      const r = byId.get(id) ?? (list.length === 1 ? list[0] : undefined)
      if (r === undefined) return { ok: false, error: { code: undefined, message: 'no answer' } }
      if (r.error !== undefined && r.error !== null)
        return { ok: false, error: { code: r.error.code, message: r.error.message } }
      return { ok: true, result: r.result ?? null }
    })
  }
}
