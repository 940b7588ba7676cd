/**
 * Context-free transaction rules: what can be judged from the transaction alone, before any
 * UTXO lookup, including the payload's (payload.ts: checkPayload) and the strong-key rule for
 * every input key and masternode key (crypto/public-key-rule.ts). Fees, dust and spendability
 * need the ledger and live there.
 */
import { weakKeyError } from '../crypto/public-key-rule.ts'
import { bytes32Key } from '../encoding/bytes.ts'
import { PeerAction, TransactionError } from '../errors.ts'
import { MAX_AMOUNT } from './amount.ts'
import { outPointToString } from './outpoint.ts'
import { checkPayload } from './payload.ts'
import {
  MAX_TX_INPUTS,
  MAX_TX_OUTPUTS,
  MAX_TX_SIZE,
  type Transaction,
  TX_VERSION,
  transactionSize,
} from './transaction.ts'

function reject(code: TransactionError['code'], message: string): never {
  throw new TransactionError(code, message, PeerAction.LowToleranceError)
}

/** TX_WEAK_KEY, caused by the key's CryptoError, unless `key` is strong (PROTOCOL.md §3.1). */
function requireStrongKey(key: Uint8Array, what: string): void {
  const weak = weakKeyError(key, what)
  if (weak === null) return
  throw new TransactionError('TX_WEAK_KEY', weak.message, PeerAction.LowToleranceError, {
    cause: weak,
  })
}

/** Throws a TransactionError for the first broken rule; returns the encoded size otherwise. */
export function checkTransactionStructure(tx: Transaction): number {
  if (tx.version !== TX_VERSION) reject('TX_VERSION', `unsupported version ${tx.version}`)
  if (tx.inputs.length === 0) reject('TX_NO_INPUTS', 'transaction has no inputs')
  if (tx.outputs.length === 0) reject('TX_NO_OUTPUTS', 'transaction has no outputs')
  if (tx.inputs.length > MAX_TX_INPUTS)
    reject('TX_TOO_MANY_INPUTS', `${tx.inputs.length} inputs > ${MAX_TX_INPUTS}`)
  if (tx.outputs.length > MAX_TX_OUTPUTS) {
    reject('TX_TOO_MANY_OUTPUTS', `${tx.outputs.length} outputs > ${MAX_TX_OUTPUTS}`)
  }
  const seen = new Set<string>()
  for (let i = 0; i < tx.inputs.length; i++) {
    const input = tx.inputs[i]!
    const key = bytes32Key(
      input.outpoint.txid,
      input.outpoint.vout & 0xffff,
      input.outpoint.vout >>> 16,
    )
    if (seen.has(key)) {
      reject('TX_DUPLICATE_INPUT', `input ${outPointToString(input.outpoint)} spent twice`)
    }
    seen.add(key)
    requireStrongKey(input.publicKey, `input ${i} public key`)
  }
  const payload = tx.payload
  if (payload.type === 'register' || payload.type === 'deregister') {
    requireStrongKey(payload.masternodeKey, `${payload.type} payload's masternode key`)
  }
  let total = 0n
  for (const [i, output] of tx.outputs.entries()) {
    if (output.value <= 0n || output.value > MAX_AMOUNT) {
      reject('TX_OUTPUT_VALUE', `output ${i} value ${output.value} not in [1, ${MAX_AMOUNT}]`)
    }
    total += output.value
  }
  if (total > MAX_AMOUNT) reject('TX_OUTPUT_TOTAL', `outputs total ${total} exceeds ${MAX_AMOUNT}`)
  checkPayload(tx)
  const size = transactionSize(tx)
  if (size > MAX_TX_SIZE) reject('TX_TOO_LARGE', `${size} bytes > ${MAX_TX_SIZE}`)
  return size
}
