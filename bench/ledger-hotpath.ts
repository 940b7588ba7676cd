// The ledger's share of one payment on the consensus path, per masternode: checkSpend (the
// engine's decision), admit (locks, mempool, batch), finalize (inputs spent, outputs created,
// commitment updated, batch), and the UTXO-set commitment's (LtHash16) per-element cost. Prints
// JSON. bench/results/ledger-hotpath.json records a before/after comparison made with an earlier
// version of this script, which also measured the MuHash3072 accumulator since removed.
//
//   node bench/ledger-hotpath.ts [transactions=20000]
//
// Transactions carry zero signatures: no signature is checked on this path (the shell verifies
// before the engine sees a transaction).
import {
  type Amount,
  COIN,
  computeTxid,
  encodeTransaction,
  Ledger,
  LtHash,
  MIN_FEE,
  type SpendCheck,
  sha256,
  type Transaction,
  type Txid,
  type TxOutput,
  utf8ToBytes,
} from '../src/core/index.ts'
import { commitmentElement } from '../src/core/ledger/utxo-codec.ts'
import { GENESIS_HASH, GENESIS_TXID, keyPair, payloadOf } from '../test/support/ledger-fixture.ts'

const N = Number(process.argv[2] ?? 20_000)
const round = (x: number, digits = 2) => Number(x.toFixed(digits))

function perSecond(f: (i: number) => void, ms = 600): number {
  for (let i = 0; i < 200; i++) f(i)
  let n = 0
  const start = performance.now()
  while (performance.now() - start < ms) for (let k = 0; k < 50; k++) f(n++)
  return Math.round((n * 1000) / (performance.now() - start))
}

const owners = Array.from({ length: 64 }, (_, i) => payloadOf(keyPair(i)))
const keys = Array.from({ length: 64 }, (_, i) => keyPair(i).publicKey)
const value = 10n * COIN
const genesis = Array.from(
  { length: N },
  (_, i): TxOutput => ({ value: value as Amount, address: owners[i % 64]! }),
)
const txs = Array.from({ length: N }, (_, i) => {
  const tx: Transaction = {
    version: 1,
    inputs: [
      {
        outpoint: { txid: GENESIS_TXID, vout: i },
        publicKey: keys[i % 64]!,
        signature: new Uint8Array(64),
      },
    ],
    outputs: [
      { value: (6n * COIN) as Amount, address: owners[(i + 1) % 64]! },
      { value: (4n * COIN - MIN_FEE) as Amount, address: owners[i % 64]! },
    ],
    lockTime: 0,
    payload: { type: 'none' },
  }
  return { tx, txid: computeTxid(tx) as Txid, size: encodeTransaction(tx).length }
})
const certificate = sha256(utf8ToBytes('certificate')).slice(0, 32)
const certBytes = new Uint8Array(400).fill(7)
certBytes.set(certificate)

async function ledgerPath() {
  const fresh = new Ledger({ genesisHash: GENESIS_HASH })
  const ledger = fresh
  ledger.createOutputs(GENESIS_TXID, genesis, 0)
  let ops = 0
  let opBytes = 0
  const count = (t: { ops: readonly { type: string; value?: Uint8Array }[] }) => {
    ops += t.ops.length
    for (const op of t.ops) opBytes += op.value?.length ?? 0
  }
  const gc0 = performance.now()
  const start = performance.now()
  const checks: SpendCheck[] = new Array(N)
  for (let i = 0; i < N; i++) checks[i] = ledger.checkSpend(txs[i]!.tx, txs[i]!.txid)
  const checked = performance.now()
  for (let i = 0; i < N; i++) {
    const { tx, txid, size } = txs[i]!
    // An older ledger ignores the sixth argument and checks again.
    const admit = ledger.admit as (...a: unknown[]) => ReturnType<Ledger['admit']>
    // Re-check right before admit, as the engine does (the memo is the last check only).
    const check = ledger.checkSpend(tx, txid)
    count(admit.call(ledger, tx, txid, size, i, true, check))
  }
  const admitted = performance.now()
  for (let i = 0; i < N; i++) {
    const { tx, txid, size } = txs[i]!
    count(ledger.finalize(tx, txid, certBytes, size, i))
  }
  const finalized = performance.now()
  void gc0
  const us = (a: number, b: number) => round(((b - a) * 1000) / N)
  return {
    transactions: N,
    microsPerTx: {
      checkSpend: us(start, checked),
      checkSpendThenAdmit: us(checked, admitted),
      finalize: us(admitted, finalized),
      path: round(us(checked, admitted) + us(admitted, finalized)),
    },
    batchOpsPerTx: round(ops / N),
    batchValueBytesPerTx: round(opBytes / N, 0),
  }
}

function commitment() {
  const elements = txs.slice(0, 4096).map(({ txid }, i) =>
    commitmentElement({
      outpoint: { txid, vout: i & 1 },
      output: genesis[i]!,
      height: null,
      state: { kind: 'Unspent' },
    }),
  )
  const acc = new LtHash()
  return {
    LtHash16: {
      addPerSec: perSecond((i) => acc.add(elements[i % elements.length]!)),
      removePerSec: perSecond((i) => acc.remove(elements[i % elements.length]!)),
      serializePerSec: perSecond(() => acc.serialize()),
      stateBytes: acc.serialize().length,
    },
  }
}

const result = { commitment: commitment(), ledger: await ledgerPath() }
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
