// This node's vote decisions and batch sequence as store records (docs/STORAGE.md, buckets 0x20
// and 0x21): their bytes, and that a store gives back exactly what was written.
import { describe, expect, it } from 'vitest'
import {
  bytesToHex,
  type Decision,
  decisionOp,
  fromHex,
  lastSeqOp,
  loadVotingState,
  MemoryStore,
  type Txid,
} from '../../src/core/index.ts'
import { txidOf } from '../support/consensus-fixture.ts'

const accepted: Decision = { kind: 'accept', txid: txidOf('decided accept'), epoch: 7 }
const rejected: Decision = {
  kind: 'reject',
  txid: txidOf('decided reject'),
  epoch: 0x0102_0304,
  conflictingTxid: txidOf('the other spender'),
}
const invalid: Decision = {
  kind: 'reject',
  txid: txidOf('decided invalid'),
  epoch: 0,
  conflictingTxid: new Uint8Array(32) as Txid,
}

const recordOf = (d: Decision) => {
  const op = decisionOp(d)
  if (op.type !== 'put') throw new Error('a decision is a put')
  return op
}

describe('decision records', () => {
  it('are 0x20 ‖ txid → kind u8 ‖ epoch u32le (‖ conflicting txid for a Reject)', () => {
    const a = recordOf(accepted)
    expect(bytesToHex(a.key)).toBe(`20${bytesToHex(accepted.txid)}`)
    expect(bytesToHex(a.value)).toBe('0007000000')
    const r = recordOf(rejected)
    expect(bytesToHex(r.key)).toBe(`20${bytesToHex(rejected.txid)}`)
    expect(bytesToHex(r.value)).toBe(`0104030201${bytesToHex(txidOf('the other spender'))}`)
  })

  it('load back exactly as written, with the last batch seq (0 when none)', async () => {
    const store = new MemoryStore()
    expect(await loadVotingState(store)).toEqual({ decisions: [], lastSeq: 0 })
    await store.write([decisionOp(accepted), decisionOp(rejected), decisionOp(invalid)])
    await store.write([lastSeqOp(2 ** 40 + 3)])
    const loaded = await loadVotingState(store)
    expect(loaded.lastSeq).toBe(2 ** 40 + 3)
    const byTxid = new Map(loaded.decisions.map((d) => [bytesToHex(d.txid), d]))
    expect(byTxid.size).toBe(3)
    for (const d of [accepted, rejected, invalid]) expect(byTxid.get(bytesToHex(d.txid))).toEqual(d)
  })

  it('refuses a record of an unknown kind, a short one and one under a malformed key', async () => {
    // Kind 2 is refused as a kind, also when it is as long as a Reject record.
    for (const value of ['02 07000000', `02 07000000 ${'ab'.repeat(32)}`]) {
      const store = new MemoryStore()
      const bytes = fromHex(value.replaceAll(' ', ''))
      await store.write([{ type: 'put', key: recordOf(accepted).key, value: bytes }])
      await expect(loadVotingState(store)).rejects.toMatchObject({
        name: 'EncodingError',
        code: 'INVALID_VALUE',
      })
    }
    for (const value of ['00 070000', '01 07000000 00']) {
      const store = new MemoryStore()
      const bytes = fromHex(value.replaceAll(' ', ''))
      await store.write([{ type: 'put', key: recordOf(accepted).key, value: bytes }])
      await expect(loadVotingState(store)).rejects.toMatchObject({ name: 'EncodingError' })
    }
    const store = new MemoryStore()
    const key = recordOf(accepted).key
    await store.write([{ type: 'put', key: key.subarray(0, 32), value: recordOf(accepted).value }])
    await expect(loadVotingState(store)).rejects.toMatchObject({
      name: 'EncodingError',
      code: 'INVALID_VALUE',
    })
  })
})
