import { describe, expect, it } from 'vitest'
import {
  Committee,
  certificateEntry,
  type FinalityCertificate,
  FinalityCertificateCodec,
  quorumThreshold,
  sha256,
  VoteBatchCodec,
  verifyCertificate,
  verifyVoteBatch,
} from '../../src/core/index.ts'
import {
  batchBy,
  CONSENSUS_GENESIS,
  certificateFrom,
  committeeOf,
  txidOf,
  voterKey,
} from '../support/consensus-fixture.ts'

const txid = txidOf('a payment')
const committee = committeeOf(3, [10, 10, 10, 10]) // W = 40, threshold 27: three voters
const check = { genesisHash: CONSENSUS_GENESIS, currentEpoch: 3 }

async function codeOf(cert: FinalityCertificate, c: Committee = committee, opts = check) {
  try {
    await verifyCertificate(cert, c, opts)
    return 'valid'
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

describe('committee', () => {
  it('threshold is ⌊2W/3⌋ + 1 of weight, and any two quorums overlap by more than W/3', () => {
    for (const w of [1, 3, 4, 30, 40, 1110, 3000]) {
      const t = quorumThreshold(w)
      expect(t).toBe(Math.floor((2 * w) / 3) + 1)
      expect(2 * t - w).toBeGreaterThan(w / 3)
    }
  })

  it('free-tier members weigh nothing; finality halts below the minimum committee', () => {
    const c = committeeOf(0, [10, 0, 10])
    expect(c.totalWeight).toBe(20)
    expect(c.voters.length).toBe(2)
    expect(c.canFinalize('devnet')).toBe(false)
    expect(committeeOf(0, [10, 10, 10]).canFinalize('devnet')).toBe(true)
    expect(committeeOf(0, Array(9).fill(10)).canFinalize('mainnet')).toBe(false)
  })

  it('refuses duplicate members', () => {
    const k = voterKey(0).publicKey
    expect(
      () =>
        new Committee(0, [
          { key: k, weight: 1 },
          { key: k, weight: 2 },
        ]),
    ).toThrow(expect.objectContaining({ code: 'COMMITTEE_INVALID' }))
  })
})

describe('vote batches', () => {
  it('round-trips on the wire and verifies', async () => {
    const batch = batchBy(0, 3, [
      { kind: 'txAccept', txid },
      { kind: 'txReject', txid: txidOf('x'), conflictingTxid: txidOf('y') },
      { kind: 'prevote', height: 7, attempt: 0, blockHash: sha256(Uint8Array.of(7)) },
    ])
    const decoded = VoteBatchCodec.decode(VoteBatchCodec.encode(batch))
    expect(decoded).toEqual(batch)
    await verifyVoteBatch(decoded, CONSENSUS_GENESIS)
    await expect(verifyVoteBatch(decoded, sha256(Uint8Array.of(1)))).rejects.toMatchObject({
      code: 'BATCH_SIGNATURE',
    })
    await expect(
      verifyVoteBatch({ ...decoded, leaves: decoded.leaves.slice(1) }, CONSENSUS_GENESIS),
    ).rejects.toMatchObject({ code: 'BATCH_INVALID' })
  })
})

describe('finality certificates', () => {
  const good = certificateFrom(txid, 3, [0, 1, 2])

  it('a quorum of Accepts verifies, standalone, and survives the wire', async () => {
    expect(await verifyCertificate(good, committee, check)).toEqual({ weight: 30 })
    const wire = FinalityCertificateCodec.decode(FinalityCertificateCodec.encode(good))
    expect(await codeOf(wire)).toBe('valid')
    // From the previous epoch it is still acceptable for an unconfirmed transaction.
    expect(await codeOf(good, committee, { ...check, currentEpoch: 4 })).toBe('valid')
  })

  it('counts weight, not heads', async () => {
    const weighted = committeeOf(3, [1000, 10, 10, 10]) // threshold 687: voter 0 alone suffices
    expect(await codeOf(certificateFrom(txid, 3, [0]), weighted)).toBe('valid')
    expect(await codeOf(certificateFrom(txid, 3, [1, 2, 3]), weighted)).toBe(
      'CERT_INSUFFICIENT_WEIGHT',
    )
  })

  it('rejects too little weight', async () => {
    expect(await codeOf(certificateFrom(txid, 3, [0, 1]))).toBe('CERT_INSUFFICIENT_WEIGHT')
  })

  it('rejects a duplicate voter (one voter counted twice)', async () => {
    const twice = { ...good, entries: [good.entries[0]!, good.entries[1]!, good.entries[0]!] }
    expect(await codeOf(twice)).toBe('CERT_DUPLICATE_VOTER')
  })

  it('rejects mixed epochs', async () => {
    const old = certificateFrom(txid, 2, [2])
    const mixed = { ...good, entries: [good.entries[0]!, good.entries[1]!, old.entries[0]!] }
    expect(await codeOf(mixed)).toBe('CERT_MIXED_EPOCHS')
  })

  it('rejects an inner node presented as a leaf (a path one level short)', async () => {
    const e = good.entries[0]!
    expect(e.path.length).toBeGreaterThan(1)
    const shortened = { ...e, leafIndex: e.leafIndex >> 1, path: e.path.slice(1) }
    expect(await codeOf({ ...good, entries: [shortened, ...good.entries.slice(1)] })).toBe(
      'CERT_PATH_LENGTH',
    )
  })

  it('rejects a block leaf counted as a tx Accept', async () => {
    const blockHash = sha256(Uint8Array.of(9))
    const entries = [0, 1, 2].map((v) =>
      certificateEntry(
        batchBy(v, 3, [
          { kind: 'prevote', height: 1, attempt: 0, blockHash },
          { kind: 'txAccept', txid: txidOf('other') },
        ]),
        0,
      ),
    )
    expect(await codeOf({ txid, epoch: 3, entries })).toBe('CERT_ROOT_MISMATCH')
  })

  it('rejects a txReject leaf counted as an Accept', async () => {
    const entries = [0, 1, 2].map((v) =>
      certificateEntry(
        batchBy(v, 3, [{ kind: 'txReject', txid, conflictingTxid: txidOf('c') }]),
        0,
      ),
    )
    expect(await codeOf({ txid, epoch: 3, entries })).toBe('CERT_ROOT_MISMATCH')
  })

  it('rejects a wrong path length', async () => {
    const e = good.entries[1]!
    const padded = { ...e, path: [...e.path, sha256(new Uint8Array(1))] }
    expect(await codeOf({ ...good, entries: [good.entries[0]!, padded, good.entries[2]!] })).toBe(
      'CERT_PATH_LENGTH',
    )
  })

  it('rejects a leaf index beyond the batch', async () => {
    const e = good.entries[1]!
    const beyond = { ...e, leafIndex: e.header.leafCount }
    expect(await codeOf({ ...good, entries: [good.entries[0]!, beyond, good.entries[2]!] })).toBe(
      'CERT_LEAF_INDEX',
    )
  })

  it('rejects signatures made for another genesis', async () => {
    expect(
      await codeOf(good, committee, { ...check, genesisHash: sha256(utf8('another network')) }),
    ).toBe('CERT_SIGNATURE')
  })

  it('rejects an epoch older than the previous one', async () => {
    expect(await codeOf(good, committee, { ...check, currentEpoch: 5 })).toBe('CERT_STALE_EPOCH')
  })

  it('rejects being checked against another epoch`s committee', async () => {
    expect(
      await codeOf(good, committeeOf(4, [10, 10, 10, 10]), { ...check, currentEpoch: 4 }),
    ).toBe('CERT_EPOCH_MISMATCH')
  })

  it('rejects a voter outside the committee', async () => {
    const outsider = certificateFrom(txid, 3, [7])
    expect(
      await codeOf({ ...good, entries: [...good.entries.slice(0, 2), outsider.entries[0]!] }),
    ).toBe('CERT_UNKNOWN_VOTER')
  })

  it('rejects a forged signature', async () => {
    const e = good.entries[2]!
    const sig = e.signature.slice()
    sig[0]! ^= 1
    expect(
      await codeOf({ ...good, entries: [...good.entries.slice(0, 2), { ...e, signature: sig }] }),
    ).toBe('CERT_SIGNATURE')
  })
})

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}
