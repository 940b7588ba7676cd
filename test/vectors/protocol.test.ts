// The project's own protocol vectors (test/vectors/protocol.json, quoted in docs/PROTOCOL.md).
import { describe, expect, it } from 'vitest'
import protocolDoc from '../../docs/PROTOCOL.md?raw'
import {
  addressFromPublicKey,
  addressPayloadFromPublicKey,
  BlockCodec,
  BlockHeaderCodec,
  batchSigningMessage,
  blockHash,
  bytesToHex,
  Committee,
  chainStateAfter,
  chainUtxoState,
  committeeHash,
  computeTxid,
  DomainTags,
  decodeAddress,
  decodeTransaction,
  encodeTransaction,
  FinalityCertificateCodec,
  fromHex,
  getPublicKey,
  inputSigningMessage,
  LockReportCodec,
  LTHASH_BYTES,
  LtHash,
  leafHash,
  lockReportSigningMessage,
  lockReportsBundle,
  ltHashElement,
  merklePath,
  merkleRoot,
  registrationMessage,
  rewardTxid,
  sha256,
  TransactionCodec,
  UnsignedTransactionCodec,
  VoteBatchCodec,
  VoteBatchHeaderCodec,
  VoteLeafCodec,
  verifyBundle,
  verifyCertificate,
  verifyTransaction,
  verifyTransactionSignatures,
  verifyVoteBatch,
} from '../../src/core/index.ts'
import { LTHASH_ELEMENT_KEY } from '../../src/core/ledger/lthash.ts'
import { commitmentElement } from '../../src/core/ledger/utxo-codec.ts'
import { encodingCodeOf } from '../support/error-code.ts'
import vectors from './protocol.json' with { type: 'json' }

const t = vectors.transaction
const genesis = fromHex(t.genesisHash)

const codeOf = encodingCodeOf

describe('protocol vectors', () => {
  it('keys give their exact public keys, payloads and addresses', () => {
    for (const k of vectors.keys) {
      const publicKey = getPublicKey(fromHex(k.secretKey))
      expect(bytesToHex(publicKey)).toBe(k.publicKey)
      expect(bytesToHex(addressPayloadFromPublicKey(publicKey))).toBe(k.payload)
      expect(addressFromPublicKey(publicKey, 'mainnet')).toBe(k.mainnet)
      expect(addressFromPublicKey(publicKey, 'testnet')).toBe(k.testnet)
      expect(bytesToHex(decodeAddress(k.mainnet, 'mainnet').payload)).toBe(k.payload)
    }
  })

  it('the payment decodes, re-encodes, and has the exact txid and messages', async () => {
    const { tx, txid } = decodeTransaction(fromHex(t.signed))
    expect(bytesToHex(encodeTransaction(tx))).toBe(t.signed)
    expect(bytesToHex(UnsignedTransactionCodec.encode(tx))).toBe(t.unsigned)
    expect(bytesToHex(txid)).toBe(t.txid)
    expect(bytesToHex(computeTxid(tx))).toBe(t.txid)
    tx.inputs.forEach((input, i) => {
      expect(bytesToHex(inputSigningMessage(genesis, txid, i))).toBe(t.signingMessages[i])
      expect(bytesToHex(input.signature)).toBe(t.signatures[i])
    })
    await verifyTransactionSignatures(tx, genesis)
  })

  it('refuses the listed bad encodings with their codes', () => {
    const unsigned = fromHex(t.unsigned)
    const empty = fromHex('01000000000000000000')
    const edit = (bytes: Uint8Array, at: number, hex: string) => {
      const out = bytes.slice()
      out.set(fromHex(hex), at)
      return out
    }
    const decode = (b: Uint8Array) => () => UnsignedTransactionCodec.decode(b)
    expect(codeOf(decode(Uint8Array.from([...unsigned, 0])))).toBe('TRAILING_BYTES')
    expect(codeOf(decode(unsigned.subarray(0, -1)))).toBe('TRUNCATED')
    expect(codeOf(decode(edit(unsigned, 0, '0200')))).toBe('INVALID_VALUE')
    expect(codeOf(decode(edit(unsigned, unsigned.length - 1, '04')))).toBe('INVALID_VALUE')
    expect(codeOf(decode(edit(empty, 2, 'ffff')))).toBe('LIMIT_EXCEEDED')
    // first output value sits after version, 2 inputs of 68 bytes and the output count
    expect(codeOf(decode(edit(unsigned, 2 + 2 + 2 * 68 + 2, 'ffffffffffffffff')))).toBe(
      'OUT_OF_RANGE',
    )
    expect(codeOf(() => TransactionCodec.decode(new Uint8Array(100_001)))).toBe('LIMIT_EXCEEDED')
  })

  it('the registration decodes, re-encodes, has its exact proof and txid, and verifies', async () => {
    const r = vectors.registration
    const { tx, txid } = decodeTransaction(fromHex(r.signed))
    expect(bytesToHex(encodeTransaction(tx))).toBe(r.signed)
    expect(bytesToHex(UnsignedTransactionCodec.encode(tx))).toBe(r.unsigned)
    expect(bytesToHex(txid)).toBe(r.txid)
    expect(bytesToHex(computeTxid(tx))).toBe(r.txid)
    const keys = vectors.keys
    expect(tx.payload).toEqual({
      type: 'register',
      tier: 'bronze',
      masternodeKey: fromHex(keys[1]!.publicKey),
      collateralVout: 1,
      proof: fromHex(r.proof),
    })
    expect(tx.outputs[1]!.value).toBe(100_000_000_000n)
    const proofMessage = registrationMessage(genesis, tx.inputs[0]!.outpoint, 'bronze', 1)
    expect(bytesToHex(proofMessage)).toBe(r.proofMessage)
    expect(bytesToHex(inputSigningMessage(genesis, txid, 0))).toBe(r.signingMessage)
    expect(bytesToHex(tx.inputs[0]!.signature)).toBe(r.signature)
    await verifyTransaction(tx, txid, genesis)

    // byte 135 is the tier code; output 1's value is one unit short of Bronze collateral
    const unsigned = fromHex(r.unsigned)
    for (const code of [0, 4]) {
      const bad = unsigned.slice()
      bad[135] = code
      expect(codeOf(() => UnsignedTransactionCodec.decode(bad))).toBe('INVALID_VALUE')
    }
    const short = {
      ...tx,
      outputs: [tx.outputs[0]!, { ...tx.outputs[1]!, value: (100_000_000_000n - 1n) as never }],
    }
    await expect(verifyTransaction(short, computeTxid(short), genesis)).rejects.toMatchObject({
      code: 'TX_PAYLOAD',
    })
  })

  it('docs/PROTOCOL.md quotes every vector', () => {
    const quoted = [
      // The whole batch is header ‖ signature ‖ count ‖ leaves, all quoted separately.
      ...Object.entries(vectors.votes)
        .filter(([k]) => k !== 'batch')
        .flatMap(([, v]) => [v].flat(2)),
      vectors.certificate.encoded,
      ...Object.values(vectors.certificate.sizes).flatMap((s) =>
        [s.oneLeafBatches, s.sixteenLeafBatches].map((n) => n.toLocaleString('en-US')),
      ),
      ...vectors.keys.flatMap((k) => Object.values(k)),
      t.genesisHash,
      t.txid,
      ...t.signingMessages,
      ...t.signatures,
      ...Object.entries(vectors.registration)
        .filter(([k]) => k !== 'signed' && k !== 'unsigned')
        .map(([, v]) => v),
      vectors.certificate.committeeHash,
      ...Object.values(vectors.lockReport),
      vectors.utxoCommitment.elementKey,
      ...vectors.utxoCommitment.elements.flatMap((e) => Object.values(e)),
      vectors.utxoCommitment.emptyDigest,
      ...vectors.utxoCommitment.sets.flatMap((s) => [s.stateSha256, s.digest]),
      vectors.block.header,
      vectors.block.utxoCommitment,
      vectors.block.blockHash,
    ]
    expect(quoted.filter((v) => !protocolDoc.includes(v))).toEqual([])
    // The annotated unsigned layout, with its spacing removed, is the unsigned encoding.
    const annotated = /Unsigned encoding, annotated:\n\n```\n([\s\S]*?)```/.exec(protocolDoc)
    const hex = annotated?.[1]
      ?.split('\n')
      .map((line) => /^[0-9a-f]+/.exec(line)?.[0] ?? '')
      .join('')
    expect(hex).toBe(t.unsigned)
    const registration = /Registration unsigned encoding, annotated:\n\n```\n([\s\S]*?)```/.exec(
      protocolDoc,
    )
    const registrationHex = registration?.[1]
      ?.split('\n')
      .map((line) => /^[0-9a-f]+/.exec(line)?.[0] ?? '')
      .join('')
    expect(registrationHex).toBe(vectors.registration.unsigned)
  })

  it('vote leaves, Merkle root and paths, batch header and signature are exact', async () => {
    const v = vectors.votes
    const batch = VoteBatchCodec.decode(fromHex(v.batch))
    expect(batch.leaves.map((l) => bytesToHex(VoteLeafCodec.encode(l)))).toEqual(v.leaves)
    const hashes = batch.leaves.map(leafHash)
    expect(hashes.map(bytesToHex)).toEqual(v.leafHashes)
    expect(bytesToHex(merkleRoot(hashes))).toBe(v.root)
    expect(hashes.map((_, i) => merklePath(hashes, i).map(bytesToHex))).toEqual(v.paths)
    expect(bytesToHex(VoteBatchHeaderCodec.encode(batch.header))).toBe(v.header)
    expect(bytesToHex(batchSigningMessage(genesis, batch.header))).toBe(v.signingMessage)
    expect(bytesToHex(batch.signature)).toBe(v.signature)
    expect(bytesToHex(VoteBatchCodec.encode(batch))).toBe(v.batch)
    await verifyVoteBatch(batch, genesis)
  })

  it('the certificate vector verifies against its committee', async () => {
    const c = vectors.certificate
    const cert = FinalityCertificateCodec.decode(fromHex(c.encoded))
    const committee = new Committee(
      c.committee.epoch,
      vectors.keys
        .slice(0, 3)
        .map((k, i) => ({ key: fromHex(k.publicKey), weight: c.committee.weights[i]! })),
    )
    expect(committee.threshold).toBe(c.committee.threshold)
    expect(
      await verifyCertificate(cert, committee, { genesisHash: genesis, currentEpoch: 3 }),
    ).toEqual({ weight: 30 })
    expect(bytesToHex(cert.txid)).toBe(t.txid)
    expect(bytesToHex(FinalityCertificateCodec.encode(cert))).toBe(c.encoded)
  })

  it('the committee hash and the lock report are exact, and the report verifies', async () => {
    const committee = new Committee(
      3,
      vectors.keys.slice(0, 3).map((k) => ({ key: fromHex(k.publicKey), weight: 10 })),
    )
    expect(bytesToHex(committeeHash(committee))).toBe(vectors.certificate.committeeHash)
    const l = vectors.lockReport
    const report = LockReportCodec.decode(fromHex(l.encoded))
    expect(report).toMatchObject({ epoch: 3, height: 42 })
    expect(report.txids.map(bytesToHex)).toEqual([t.txid, vectors.registration.txid])
    expect(bytesToHex(report.voterKey)).toBe(vectors.keys[0]!.publicKey)
    expect(bytesToHex(lockReportSigningMessage(report, genesis))).toBe(l.signingMessage)
    expect(bytesToHex(report.signature)).toBe(l.signature)
    expect(bytesToHex(LockReportCodec.encode(report))).toBe(l.encoded)
    await verifyBundle(lockReportsBundle([report], genesis))
  })

  it('the UTXO commitment (LtHash16): exact elements, vectors, states and digests', () => {
    const u = vectors.utxoCommitment
    expect(bytesToHex(LTHASH_ELEMENT_KEY)).toBe(u.elementKey)
    // The elements are the payment's two outputs and the registration's collateral output.
    const { tx, txid } = decodeTransaction(fromHex(t.signed))
    const reg = decodeTransaction(fromHex(vectors.registration.signed))
    const outputs = [
      { txid, vout: 0, output: tx.outputs[0]! },
      { txid, vout: 1, output: tx.outputs[1]! },
      { txid: reg.txid, vout: 1, output: reg.tx.outputs[1]! },
    ]
    const elements = outputs.map(({ txid, vout, output }) =>
      commitmentElement({
        outpoint: { txid, vout },
        output,
        height: null,
        state: { kind: 'Unspent' },
      }),
    )
    expect(elements.map(bytesToHex)).toEqual(u.elements.map((e) => e.element))
    for (const [i, element] of elements.entries()) {
      const vector = ltHashElement(element)
      expect(vector.length).toBe(LTHASH_BYTES)
      expect(bytesToHex(vector.subarray(0, 32))).toBe(u.elements[i]!.vectorHead)
      expect(bytesToHex(sha256(vector))).toBe(u.elements[i]!.vectorSha256)
    }
    expect(bytesToHex(new LtHash().digest())).toBe(u.emptyDigest)
    for (const set of u.sets) {
      const acc = new LtHash()
      for (const i of set.live) acc.add(elements[i]!)
      expect(bytesToHex(sha256(acc.serialize()))).toBe(set.stateSha256)
      expect(bytesToHex(acc.digest())).toBe(set.digest)
    }
    // Spending output 1 of the first set (a subtraction) gives the second set's state.
    const spent = new LtHash()
    for (const e of elements) spent.add(e)
    spent.remove(elements[1]!)
    expect(bytesToHex(spent.digest())).toBe(u.sets[1]!.digest)
  })

  it('the block header is exact, carries the UTXO commitment applying the block yields, and hashes', () => {
    const b = vectors.block
    const block = BlockCodec.decode(fromHex(b.block))
    expect(bytesToHex(BlockCodec.encode(block))).toBe(b.block)
    expect(bytesToHex(BlockHeaderCodec.encode(block.header))).toBe(b.header)
    expect(BlockHeaderCodec.decode(fromHex(b.header))).toEqual(block.header)
    expect(bytesToHex(blockHash(block.header))).toBe(b.blockHash)
    // Before the block the chain's UTXO set holds exactly the payment's inputs; after it, the
    // payment's outputs and the reward.
    const before = b.spentBefore.map((u) => ({
      outpoint: { txid: fromHex(u.txid) as never, vout: u.vout },
      output: { value: BigInt(u.value) as never, address: fromHex(u.address) as never },
    }))
    const after = chainStateAfter(
      chainUtxoState(before),
      {
        transactions: block.transactions.map((tx) => ({ tx, txid: computeTxid(tx) })),
        rewardTxid: rewardTxid(block.header.height, block.header.prevHash),
        reward: block.reward,
      },
      (o) => before.find((u) => bytesToHex(u.outpoint.txid) === bytesToHex(o.txid))?.output,
    )
    expect(bytesToHex(after.digest())).toBe(b.utxoCommitment)
    expect(bytesToHex(block.header.utxoCommitment)).toBe(b.utxoCommitment)
    const { txid } = decodeTransaction(fromHex(t.signed))
    const created = [
      ...block.transactions[0]!.outputs.map((output, vout) => ({
        outpoint: { txid, vout },
        output,
      })),
      ...block.reward.map((output, vout) => ({
        outpoint: { txid: rewardTxid(42, block.header.prevHash), vout },
        output,
      })),
    ]
    expect(chainUtxoState(created).equals(after)).toBe(true)
  })

  it('no domain tag is a prefix of another', () => {
    const tags = Object.values(DomainTags)
    expect(new Set(tags).size).toBe(tags.length)
    for (const a of tags) for (const b of tags) if (a !== b) expect(b.startsWith(a)).toBe(false)
  })
})
