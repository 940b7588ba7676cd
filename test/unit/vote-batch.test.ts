// Vote batches on their own: what signing refuses, what a receiver checks before the signature
// (count, root), and certificate entries taken out of a batch.
import { describe, expect, it } from 'vitest'
import { sha256 } from '../../src/core/crypto/sha256.ts'
import { concatBytes } from '../../src/core/encoding/bytes.ts'
import {
  certificateEntry,
  leafHash,
  MAX_BATCH_LEAVES,
  merkleRoot,
  signVoteBatch,
  type VoteBatch,
  VoteBatchCodec,
  type VoteLeaf,
  VoteLeafCodec,
  verifyVoteBatch,
  voteBatchBundle,
} from '../../src/core/index.ts'
import { batchBy, CONSENSUS_GENESIS, txidOf, voterKey } from '../support/consensus-fixture.ts'

const accept = (label: string): VoteLeaf => ({ kind: 'txAccept', txid: txidOf(label) })
const params = { epoch: 2, seq: 9, timestamp: 1_700_000_000_000 }

const errorOf = async (f: () => unknown) => {
  try {
    await f()
    return null
  } catch (e) {
    return e as { code?: string; peerAction?: unknown }
  }
}

describe('vote batches', () => {
  it(`are signed over 1 to ${MAX_BATCH_LEAVES} leaves`, async () => {
    const key = voterKey(0)
    expect((await errorOf(() => signVoteBatch([], params, key, CONSENSUS_GENESIS)))?.code).toBe(
      'BATCH_INVALID',
    )
    const leaves = Array.from({ length: MAX_BATCH_LEAVES + 1 }, (_, i) => accept(`leaf ${i}`))
    expect((await errorOf(() => signVoteBatch(leaves, params, key, CONSENSUS_GENESIS)))?.code).toBe(
      'BATCH_INVALID',
    )
    const full = signVoteBatch(leaves.slice(0, MAX_BATCH_LEAVES), params, key, CONSENSUS_GENESIS)
    expect(full.header.leafCount).toBe(MAX_BATCH_LEAVES)
    await verifyVoteBatch(full, CONSENSUS_GENESIS)
    // The key may be a secret key, a key pair or a signer: the same batch each time.
    const one = [accept('one')]
    const bySecret = signVoteBatch(one, params, key.secretKey, CONSENSUS_GENESIS)
    expect(signVoteBatch(one, params, key, CONSENSUS_GENESIS)).toEqual(bySecret)
    expect(bySecret.header).toMatchObject({ ...params, voterKey: key.publicKey, leafCount: 1 })
  })

  it('the largest batch (every leaf a Reject) is exactly the codec`s limit, and round-trips', () => {
    const leaves = Array.from(
      { length: MAX_BATCH_LEAVES },
      (_, i): VoteLeaf => ({
        kind: 'txReject',
        txid: txidOf(`rejected ${i}`),
        conflictingTxid: txidOf(`held ${i}`),
      }),
    )
    const bytes = VoteBatchCodec.encode(batchBy(0, 2, leaves))
    expect(bytes.length).toBe(VoteBatchCodec.maxSize)
    expect(VoteBatchCodec.decode(bytes).leaves).toEqual(leaves)
    // One byte more is refused by its length alone.
    const longer = new Uint8Array(bytes.length + 1)
    longer.set(bytes)
    expect(() => VoteBatchCodec.decode(longer)).toThrow(
      expect.objectContaining({ code: 'LIMIT_EXCEEDED' }),
    )
  })

  it('a leaf count that is not the number of leaves is refused before the signature', async () => {
    const batch = batchBy(0, 2, [accept('a'), accept('b'), accept('c')])
    await verifyVoteBatch(batch, CONSENSUS_GENESIS)
    // The leaves still hash to the root: only the count is wrong.
    const miscounted = { ...batch, header: { ...batch.header, leafCount: 4 } }
    const e = await errorOf(() => voteBatchBundle(miscounted, CONSENSUS_GENESIS))
    expect(e).toMatchObject({ code: 'BATCH_INVALID' })
    expect(e?.peerAction).toBeDefined()
    // No leaves at all, whatever the header says, costs the sender as well.
    for (const leafCount of [0, 3]) {
      const empty = { ...batch, header: { ...batch.header, leafCount }, leaves: [] }
      const f = await errorOf(() => voteBatchBundle(empty, CONSENSUS_GENESIS))
      expect(f).toMatchObject({ code: 'BATCH_INVALID' })
      expect(f?.peerAction).toBeDefined()
    }
  })

  it('leaves that do not hash to the signed root are refused, though the header is signed', async () => {
    const batch = batchBy(0, 2, [accept('a'), accept('b')])
    const swapped: VoteBatch = { ...batch, leaves: [accept('a'), accept('x')] }
    const e = await errorOf(() => verifyVoteBatch(swapped, CONSENSUS_GENESIS))
    expect(e).toMatchObject({ code: 'BATCH_INVALID' })
    expect(e?.peerAction).toBeDefined()
    const reordered: VoteBatch = { ...batch, leaves: [accept('b'), accept('a')] }
    expect(await errorOf(() => verifyVoteBatch(reordered, CONSENSUS_GENESIS))).toMatchObject({
      code: 'BATCH_INVALID',
    })
  })

  it('a bad signature is a signature failure that costs the sender', async () => {
    const batch = batchBy(0, 2, [accept('a')])
    const signature = batch.signature.slice()
    signature[5]! ^= 0x40
    const e = await errorOf(() => verifyVoteBatch({ ...batch, signature }, CONSENSUS_GENESIS))
    expect(e).toMatchObject({ code: 'BATCH_SIGNATURE' })
    expect(e?.peerAction).toBeDefined()
  })

  it('has no certificate entry in a batch without leaves', () => {
    const batch = batchBy(0, 2, [accept('a')])
    expect(() => certificateEntry({ ...batch, leaves: [] }, 0)).toThrow(
      expect.objectContaining({ code: 'BATCH_INVALID' }),
    )
    // The entry's path is that of the batch's own tree.
    const two = batchBy(0, 2, [accept('a'), accept('b')])
    expect(certificateEntry(two, 1)).toMatchObject({
      header: two.header,
      signature: two.signature,
      leafIndex: 1,
    })
  })

  it('a leaf of an unknown kind does not decode', () => {
    const bytes = VoteLeafCodec.encode(accept('a'))
    expect(VoteLeafCodec.decode(bytes)).toEqual(accept('a'))
    for (const kind of [4, 0xff]) {
      const unknown = bytes.slice()
      unknown[0] = kind
      expect(() => VoteLeafCodec.decode(unknown)).toThrow(
        expect.objectContaining({ code: 'INVALID_VALUE' }),
      )
    }
  })

  it('hash a leaf as H(0x00 ‖ its encoding), and refuse one with a field of the wrong size', () => {
    const hash = txidOf('block')
    const leaves: VoteLeaf[] = [
      accept('a'),
      { kind: 'txReject', txid: txidOf('b'), conflictingTxid: txidOf('c') },
      { kind: 'prevote', height: 0xffffffff, attempt: 7, blockHash: hash },
      { kind: 'precommit', height: 3, attempt: 0x01020304, blockHash: hash },
    ]
    for (const leaf of leaves) {
      const slow = sha256(concatBytes(Uint8Array.of(0), VoteLeafCodec.encode(leaf)))
      expect(leafHash(leaf)).toEqual(slow)
    }
    const short = txidOf('d').subarray(0, 31) as ReturnType<typeof txidOf>
    expect(() => leafHash({ kind: 'txAccept', txid: short })).toThrow()
    expect(() => leafHash({ kind: 'prevote', height: -1, attempt: 0, blockHash: hash })).toThrow()
  })

  it('keep the root they were signed over for later certificate entries', () => {
    const leaves = [accept('x'), accept('y'), accept('z')]
    const batch = signVoteBatch(leaves, params, voterKey(1), CONSENSUS_GENESIS)
    expect(batch.header.root).toEqual(merkleRoot(leaves.map(leafHash)))
    const entry = certificateEntry(batch, 2)
    expect(entry.leafIndex).toBe(2)
    expect(entry.path).toHaveLength(1)
  })
})
