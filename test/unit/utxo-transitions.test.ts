// Every move of an output's state through the UTXO set, allowed or refused, one by one
// (docs/ARCHITECTURE.md §3.6): forward only, the spender named by a lock kept unless a
// certificate or a block overrides it, a voted lock kept voted, two final spends an alarm.
import { describe, expect, it } from 'vitest'
import {
  type Amount,
  COIN,
  type OutPoint,
  sha256,
  type Txid,
  type TxOutput,
  UtxoSet,
  type UtxoState,
  utf8ToBytes,
} from '../../src/core/index.ts'
import { keyPair, payloadOf } from '../support/ledger-fixture.ts'

const A = sha256(utf8ToBytes('transition spender A')) as Txid
const B = sha256(utf8ToBytes('transition spender B')) as Txid
const coin: OutPoint = { txid: sha256(utf8ToBytes('transition coin')) as Txid, vout: 3 }
const output: TxOutput = { value: (5n * COIN) as Amount, address: payloadOf(keyPair(0)) }

const U: UtxoState = { kind: 'Unspent' }
const locked = (txid: Txid, voted = false): UtxoState => ({
  kind: 'Locked',
  txid,
  lockedAt: 1_000,
  voted,
})
const pending = (txid: Txid, votes = 2, voted = false): UtxoState => ({
  kind: 'SpentPending',
  txid,
  votes,
  voted,
})
const final = (txid: Txid): UtxoState => ({ kind: 'SpentFinalized', txid })
const confirmed = (txid: Txid, height = 5): UtxoState => ({ kind: 'Confirmed', txid, height })

type Outcome = 'ok' | 'LEDGER_TRANSITION' | 'LEDGER_DOUBLE_FINALITY'

/** Moves a fresh output to `from` (allowed steps only), then tries `to`. */
function move(from: UtxoState, to: UtxoState): Outcome {
  const set = new UtxoSet()
  set.create(coin, output, 1)
  if (from.kind !== 'Unspent') set.setState(coin, from)
  try {
    set.setState(coin, to)
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === 'LEDGER_TRANSITION' || code === 'LEDGER_DOUBLE_FINALITY') {
      // A refused move changes nothing.
      expect(set.get(coin)?.state).toEqual(from)
      return code
    }
    throw e
  }
  expect(set.get(coin)?.state).toEqual(to)
  return 'ok'
}

const cases: readonly [string, UtxoState, UtxoState, Outcome][] = [
  // Back to Unspent: only an unvoted lock is released.
  ['Unspent → Unspent', U, U, 'ok'],
  ['unvoted lock released', locked(A), U, 'ok'],
  ['voted lock released', locked(A, true), U, 'LEDGER_TRANSITION'],
  ['SpentPending → Unspent', pending(A), U, 'LEDGER_TRANSITION'],
  ['SpentFinalized → Unspent', final(A), U, 'LEDGER_TRANSITION'],
  ['Confirmed → Unspent', confirmed(A), U, 'LEDGER_TRANSITION'],
  // From Unspent anything forward.
  ['Unspent → Locked', U, locked(A), 'ok'],
  ['Unspent → SpentPending', U, pending(A), 'ok'],
  ['Unspent → SpentFinalized', U, final(A), 'ok'],
  ['Unspent → Confirmed', U, confirmed(A), 'ok'],
  // Locks.
  ['lock taken again', locked(A), locked(A), 'ok'],
  ['lock marked voted', locked(A), locked(A, true), 'ok'],
  ['voted lock stays voted', locked(A, true), locked(A), 'LEDGER_TRANSITION'],
  ['voted lock again', locked(A, true), locked(A, true), 'ok'],
  ['lock taken by another', locked(A), locked(B), 'LEDGER_TRANSITION'],
  ['voted lock taken by another', locked(A, true), locked(B, true), 'LEDGER_TRANSITION'],
  ['lock to pending', locked(A), pending(A), 'ok'],
  ['voted lock to pending', locked(A, true), pending(A, 2, true), 'ok'],
  ['lock to another`s pending', locked(A), pending(B), 'LEDGER_TRANSITION'],
  ['a certificate overrides a lock', locked(A), final(B), 'ok'],
  ['a certificate overrides a voted lock', locked(A, true), final(B), 'ok'],
  ['a block overrides a lock', locked(A), confirmed(B), 'ok'],
  ['lock finalized', locked(A), final(A), 'ok'],
  // SpentPending.
  ['pending back to a lock', pending(A), locked(A), 'LEDGER_TRANSITION'],
  ['pending gains votes', pending(A, 2), pending(A, 3), 'ok'],
  ['pending taken by another', pending(A), pending(B), 'LEDGER_TRANSITION'],
  ['pending finalized', pending(A), final(A), 'ok'],
  ['a certificate overrides pending', pending(A), final(B), 'ok'],
  ['a block overrides pending', pending(A, 2, true), confirmed(B), 'ok'],
  // Final spends.
  ['certificate again', final(A), final(A), 'ok'],
  ['final confirmed', final(A), confirmed(A), 'ok'],
  ['final back to pending', final(A), pending(A), 'LEDGER_TRANSITION'],
  ['final back to a lock', final(A), locked(A), 'LEDGER_TRANSITION'],
  ['another certificate', final(A), final(B), 'LEDGER_DOUBLE_FINALITY'],
  ['another block after a certificate', final(A), confirmed(B), 'LEDGER_DOUBLE_FINALITY'],
  ['a lock by another after a certificate', final(A), locked(B), 'LEDGER_TRANSITION'],
  ['confirmed again', confirmed(A, 5), confirmed(A, 5), 'ok'],
  ['confirmed at another height', confirmed(A, 5), confirmed(A, 6), 'LEDGER_TRANSITION'],
  ['confirmed back to final', confirmed(A), final(A), 'LEDGER_TRANSITION'],
  ['a certificate against a confirmed spend', confirmed(A), final(B), 'LEDGER_DOUBLE_FINALITY'],
  ['another block', confirmed(A, 5), confirmed(B, 5), 'LEDGER_DOUBLE_FINALITY'],
]

describe('UTXO state transitions', () => {
  it.each(cases)('%s', (_, from, to, outcome) => {
    expect(move(from, to)).toBe(outcome)
  })

  it('a missing output has no state to move', () => {
    const set = new UtxoSet()
    expect(() => set.setState(coin, locked(A))).toThrow(
      expect.objectContaining({ code: 'LEDGER_MISSING_INPUT' }),
    )
    expect(set.size).toBe(0)
  })
})
