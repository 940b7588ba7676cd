// What certificate.test.ts leaves out about quorum proofs: which epochs a finality certificate
// may be of, the order of the epoch checks, block certificates against another epoch's committee,
// and the size limits of both certificate codecs, which the largest valid certificate must meet
// exactly.
import { describe, expect, it } from 'vitest'
import {
  type BlockCertificate,
  BlockCertificateCodec,
  type CertificateEntry,
  certificateEntry,
  checkBlockCertificate,
  checkCertificate,
  type FinalityCertificate,
  FinalityCertificateCodec,
  MAX_COMMITTEE_SIZE,
  MAX_ENTRY_SIZE,
  MAX_PATH_LENGTH,
  sha256,
} from '../../src/core/index.ts'
import {
  batchBy,
  certificateFrom,
  committeeOf,
  txidOf,
  voterKey,
} from '../support/consensus-fixture.ts'

const txid = txidOf('quorum proof payment')
const committee = committeeOf(3, [10, 10, 10, 10]) // threshold 27

const codeOf = (f: () => unknown) => {
  try {
    f()
    return 'valid'
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

describe('finality certificate epochs', () => {
  const cert = certificateFrom(txid, 3, [0, 1, 2])

  it('is of the current epoch or the one before, never of a later one', () => {
    expect(checkCertificate(cert, committee, 3)).toBe(30)
    expect(checkCertificate(cert, committee, 4)).toBe(30)
    expect(codeOf(() => checkCertificate(cert, committee, 5))).toBe('CERT_STALE_EPOCH')
    expect(codeOf(() => checkCertificate(cert, committee, 2))).toBe('CERT_STALE_EPOCH')
    expect(codeOf(() => checkCertificate(cert, committee, 0))).toBe('CERT_STALE_EPOCH')
    // Without a current epoch (a block's own certificates) any epoch goes.
    expect(checkCertificate(cert, committee)).toBe(30)
    expect(checkCertificate(certificateFrom(txid, 3, [0, 1, 2, 3]), committee)).toBe(40)
  })

  it('names the committee mismatch first, whatever the current epoch', () => {
    const other = committeeOf(4, [10, 10, 10, 10])
    for (const current of [undefined, 4, 6, 2]) {
      expect(codeOf(() => checkCertificate(cert, other, current))).toBe('CERT_EPOCH_MISMATCH')
    }
  })
})

describe('block certificates', () => {
  const blockHash = sha256(Uint8Array.of(42))
  const precommit = { kind: 'precommit', height: 8, attempt: 1, blockHash } as const
  const cert: BlockCertificate = {
    height: 8,
    attempt: 1,
    blockHash,
    epoch: 3,
    entries: [0, 1, 2].map((v) => certificateEntry(batchBy(v, 3, [precommit]), 0)),
  }

  it('are checked against the committee of their own epoch only', () => {
    expect(checkBlockCertificate(cert, committee)).toBe(30)
    expect(codeOf(() => checkBlockCertificate(cert, committeeOf(4, [10, 10, 10, 10])))).toBe(
      'CERT_EPOCH_MISMATCH',
    )
    // Entries of another epoch than the certificate names.
    expect(codeOf(() => checkBlockCertificate({ ...cert, epoch: 4 }, committee))).toBe(
      'CERT_EPOCH_MISMATCH',
    )
    expect(codeOf(() => checkBlockCertificate({ ...cert, height: 9 }, committee))).toBe(
      'CERT_ROOT_MISMATCH',
    )
    expect(
      codeOf(() => checkBlockCertificate({ ...cert, blockHash: sha256(blockHash) }, committee)),
    ).toBe('CERT_ROOT_MISMATCH')
  })
})

describe('certificate size limits', () => {
  // The largest entry: a path of MAX_PATH_LENGTH hashes, as from a batch of 4096 leaves.
  const entry: CertificateEntry = {
    header: {
      epoch: 3,
      voterKey: voterKey(0).publicKey,
      seq: 2 ** 40,
      leafCount: 4096,
      root: sha256(Uint8Array.of(1)),
      timestamp: 1_700_000_000_000,
    },
    signature: new Uint8Array(64).fill(7),
    leafIndex: 4095,
    path: Array.from({ length: MAX_PATH_LENGTH }, (_, i) => sha256(Uint8Array.of(i))),
  }
  const entries = Array<CertificateEntry>(MAX_COMMITTEE_SIZE).fill(entry)

  it('the largest finality certificate is exactly the codec`s limit, and round-trips', () => {
    const largest: FinalityCertificate = { txid, epoch: 3, entries }
    const bytes = FinalityCertificateCodec.encode(largest)
    expect(bytes.length).toBe(32 + 4 + 2 + MAX_COMMITTEE_SIZE * MAX_ENTRY_SIZE)
    expect(bytes.length).toBe(FinalityCertificateCodec.maxSize)
    expect(FinalityCertificateCodec.decode(bytes)).toEqual(largest)
    expect(MAX_ENTRY_SIZE).toBe(88 + 64 + 4 + 1 + 32 * 12)
  })

  it('the largest block certificate is exactly the codec`s limit, and round-trips', () => {
    const largest: BlockCertificate = {
      height: 0xffff_ffff,
      attempt: 7,
      blockHash: sha256(Uint8Array.of(2)),
      epoch: 3,
      entries,
    }
    const bytes = BlockCertificateCodec.encode(largest)
    expect(bytes.length).toBe(4 + 4 + 32 + 4 + 2 + MAX_COMMITTEE_SIZE * MAX_ENTRY_SIZE)
    expect(bytes.length).toBe(BlockCertificateCodec.maxSize)
    expect(BlockCertificateCodec.decode(bytes)).toEqual(largest)
  })
})
