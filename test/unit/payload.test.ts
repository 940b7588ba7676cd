// Special-transaction payloads: encoding, strict decoding, proofs of possession, context-free
// rules, and the evidence codec that slash payloads carry.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TIERS as committeeTiers } from '../../src/core/consensus/committee.ts'
import {
  type AddressPayload,
  type Amount,
  addressPayloadFromPublicKey,
  bytesToHex,
  COIN,
  certificateEntry,
  checkTransactionStructure,
  computeTxid,
  DomainTags,
  decodeTransaction,
  deregistrationMessage,
  type Evidence,
  EvidenceCodec,
  encodeTransaction,
  getPublicKey,
  MAX_EVIDENCE_SIZE,
  type OutPoint,
  OutPointCodec,
  payloadSignatureBundle,
  provePayload,
  type RegistrableTier,
  registrationMessage,
  sha256,
  sign,
  signDeregistration,
  signRegistration,
  signTransaction,
  TIER_CODES,
  TIERS,
  type Transaction,
  TransactionCodec,
  type Txid,
  type TxPayload,
  TxPayloadCodec,
  tierFromCode,
  type UnsignedTransaction,
  UnsignedTransactionCodec,
  utf8ToBytes,
  verifyEvidence,
  verifyTransaction,
} from '../../src/core/index.ts'
import { arbBytes, arbTransaction } from '../support/arbitraries.ts'
import { batchBy, CONSENSUS_GENESIS, committeeOf, voterKey } from '../support/consensus-fixture.ts'
import { encodingCodeOf } from '../support/error-code.ts'
import { genesisLedger, keyPair, spend } from '../support/ledger-fixture.ts'

const genesis = sha256(utf8ToBytes('payload test genesis'))
const otherGenesis = sha256(utf8ToBytes('another network'))
const key = (label: string) => {
  const secretKey = sha256(utf8ToBytes(`payload test ${label}`))
  return { secretKey, publicKey: getPublicKey(secretKey) }
}
const owner = key('owner')
const masternode = key('masternode')
const stranger = key('stranger')
const prev = (n: number): OutPoint => ({ txid: sha256(Uint8Array.of(n)) as Txid, vout: n })
const payTo = (k: { publicKey: Uint8Array }) => addressPayloadFromPublicKey(k.publicKey)
const NO_PROOF = new Uint8Array(64)

const codeOf = encodingCodeOf

/** An unproven registration: change at output 0, the collateral at output 1. */
function registration(tier: RegistrableTier = 'bronze', collateral?: bigint): UnsignedTransaction {
  return {
    version: 1,
    inputs: [
      { outpoint: prev(1), publicKey: owner.publicKey },
      { outpoint: prev(2), publicKey: owner.publicKey },
    ],
    outputs: [
      { value: (5n * COIN) as Amount, address: payTo(owner) },
      { value: (collateral ?? TIERS[tier].collateral) as Amount, address: payTo(owner) },
    ],
    lockTime: 0,
    payload: {
      type: 'register',
      tier,
      masternodeKey: masternode.publicKey,
      collateralVout: 1,
      proof: NO_PROOF,
    },
  }
}

function deregistration(): UnsignedTransaction {
  return {
    version: 1,
    inputs: [{ outpoint: prev(3), publicKey: owner.publicKey }],
    outputs: [{ value: (1_000n * COIN) as Amount, address: payTo(owner) }],
    lockTime: 0,
    payload: { type: 'deregister', masternodeKey: masternode.publicKey, proof: NO_PROOF },
  }
}

/** Signs the inputs of `unsigned` (all owned by `owner`) for `genesis`. */
function signed(unsigned: UnsignedTransaction): Transaction {
  return signTransaction(
    unsigned,
    unsigned.inputs.map(() => owner.secretKey),
    genesis,
  )
}

function withPayload(tx: UnsignedTransaction, payload: TxPayload): UnsignedTransaction {
  return { ...tx, payload }
}

const verify = (tx: Transaction) => verifyTransaction(tx, computeTxid(tx), genesis)

const samplePayloads: [string, TxPayload][] = [
  ['none', { type: 'none' }],
  [
    'register',
    {
      type: 'register',
      tier: 'gold',
      masternodeKey: masternode.publicKey,
      collateralVout: 0x1234,
      proof: new Uint8Array(64).fill(7),
    },
  ],
  ['deregister', { type: 'deregister', masternodeKey: masternode.publicKey, proof: NO_PROOF }],
  ['slash', { type: 'slash', evidence: Uint8Array.of(1, 2, 3), reporter: payTo(stranger) }],
]

describe('tiers', () => {
  it('live in primitives and are re-exported by the committee module', () => {
    expect(committeeTiers).toBe(TIERS)
    expect(TIERS.bronze).toEqual({ collateral: 1_000n * COIN, weight: 10 })
    expect(TIERS.gold).toEqual({ collateral: 100_000n * COIN, weight: 1_000 })
    expect(TIER_CODES).toEqual({ bronze: 1, silver: 2, gold: 3 })
    expect([0, 1, 2, 3, 4].map(tierFromCode)).toEqual([
      undefined,
      'bronze',
      'silver',
      'gold',
      undefined,
    ])
  })
})

describe('payload encoding', () => {
  it.each(samplePayloads)('%s round-trips alone and inside a transaction', (_, payload) => {
    const bytes = TxPayloadCodec.encode(payload)
    expect(TxPayloadCodec.decode(bytes)).toEqual(payload)
    const tx = signed(withPayload(registration(), payload))
    const wire = encodeTransaction(tx)
    const decoded = decodeTransaction(wire)
    expect(decoded.tx).toEqual(tx)
    expect(decoded.txid).toEqual(computeTxid(tx))
    // The payload is the last field of the unsigned encoding.
    const unsigned = UnsignedTransactionCodec.encode(tx)
    expect(unsigned.subarray(unsigned.length - bytes.length)).toEqual(bytes)
  })

  it('lays out every kind as specified', () => {
    const hex = (p: TxPayload) => bytesToHex(TxPayloadCodec.encode(p))
    const keyHex = bytesToHex(masternode.publicKey)
    expect(hex({ type: 'none' })).toBe('00')
    expect(
      hex({
        type: 'register',
        tier: 'silver',
        masternodeKey: masternode.publicKey,
        collateralVout: 0x0102,
        proof: NO_PROOF,
      }),
    ).toBe(`0102${keyHex}0201${'00'.repeat(64)}`)
    expect(hex({ type: 'deregister', masternodeKey: masternode.publicKey, proof: NO_PROOF })).toBe(
      `02${keyHex}${'00'.repeat(64)}`,
    )
    const reporter = new Uint8Array(20).fill(0xab) as AddressPayload
    expect(hex({ type: 'slash', evidence: Uint8Array.of(0xee, 0xff), reporter })).toBe(
      `0302000000eeff${'ab'.repeat(20)}`,
    )
  })

  it('takes evidence of exactly MAX_EVIDENCE_SIZE bytes', () => {
    expect(MAX_EVIDENCE_SIZE).toBe(65_536)
    const payload: TxPayload = {
      type: 'slash',
      evidence: new Uint8Array(MAX_EVIDENCE_SIZE).fill(1),
      reporter: payTo(stranger),
    }
    expect(TxPayloadCodec.decode(TxPayloadCodec.encode(payload))).toEqual(payload)
  })

  it('refuses unknown kinds, unregistrable tiers and bad evidence lengths', () => {
    const register = TxPayloadCodec.encode(samplePayloads[1]![1])
    const withTier = (code: number) => {
      const b = register.slice()
      b[1] = code
      return b
    }
    const slash = (length: number, body = 0) => {
      const b = new Uint8Array(5 + body + 20)
      b[0] = 3
      new DataView(b.buffer).setUint32(1, length, true)
      return b
    }
    const decode = (b: Uint8Array) => () => TxPayloadCodec.decode(b)
    expect(codeOf(decode(Uint8Array.of(4)))).toBe('INVALID_VALUE')
    expect(codeOf(decode(Uint8Array.of(0xff)))).toBe('INVALID_VALUE')
    expect(codeOf(decode(withTier(0)))).toBe('INVALID_VALUE')
    expect(codeOf(decode(withTier(4)))).toBe('INVALID_VALUE')
    expect(codeOf(decode(withTier(1)))).toBeUndefined()
    expect(codeOf(decode(slash(0)))).toBe('INVALID_VALUE')
    expect(codeOf(decode(slash(MAX_EVIDENCE_SIZE + 1)))).toBe('LIMIT_EXCEEDED')
    expect(codeOf(decode(slash(0xffff_ffff)))).toBe('LIMIT_EXCEEDED')
    expect(codeOf(decode(slash(1, 1)))).toBeUndefined()
    expect(codeOf(decode(Uint8Array.from([...register, 0])))).toBe('TRAILING_BYTES')
    expect(codeOf(decode(register.subarray(0, -1)))).toBe('TRUNCATED')
    // The same refusals inside a transaction.
    const tx = UnsignedTransactionCodec.encode(registration())
    const at = tx.length - register.length
    const edited = tx.slice()
    edited[at] = 4
    expect(codeOf(() => UnsignedTransactionCodec.decode(edited))).toBe('INVALID_VALUE')
    edited[at] = 1
    edited[at + 1] = 0
    expect(codeOf(() => UnsignedTransactionCodec.decode(edited))).toBe('INVALID_VALUE')
  })

  it('refuses to encode what it could not decode', () => {
    const reporter = payTo(stranger)
    expect(
      codeOf(() => TxPayloadCodec.encode({ type: 'slash', evidence: new Uint8Array(0), reporter })),
    ).toBe('INVALID_VALUE')
    expect(
      codeOf(() =>
        TxPayloadCodec.encode({
          type: 'slash',
          evidence: new Uint8Array(MAX_EVIDENCE_SIZE + 1),
          reporter,
        }),
      ),
    ).toBe('LIMIT_EXCEEDED')
    const free = { ...samplePayloads[1]![1], tier: 'free' } as unknown as TxPayload
    expect(codeOf(() => TxPayloadCodec.encode(free))).toBe('INVALID_VALUE')
    const unknown = { type: 'bonus' } as unknown as TxPayload
    expect(codeOf(() => TxPayloadCodec.encode(unknown))).toBe('INVALID_VALUE')
  })

  it('round-trips any payload, alone and in any transaction (property)', () => {
    const arbPayload: fc.Arbitrary<TxPayload> = fc.oneof(
      fc.constant({ type: 'none' as const }),
      fc.record({
        type: fc.constant('register' as const),
        tier: fc.constantFrom<RegistrableTier>('bronze', 'silver', 'gold'),
        masternodeKey: arbBytes(32),
        collateralVout: fc.nat({ max: 0xffff }),
        proof: arbBytes(64),
      }),
      fc.record({
        type: fc.constant('deregister' as const),
        masternodeKey: arbBytes(32),
        proof: arbBytes(64),
      }),
      fc.record({
        type: fc.constant('slash' as const),
        evidence: fc.uint8Array({ minLength: 1, maxLength: 2_000 }),
        reporter: arbBytes(20).map((b) => b as AddressPayload),
      }),
    )
    fc.assert(
      fc.property(arbPayload, arbTransaction(3, 3), (payload, tx) => {
        expect(TxPayloadCodec.decode(TxPayloadCodec.encode(payload))).toEqual(payload)
        const withIt: Transaction = { ...tx, payload }
        expect(TransactionCodec.decode(TransactionCodec.encode(withIt))).toEqual(withIt)
      }),
      { numRuns: 200 },
    )
  })
})

describe('proofs of possession', () => {
  const proven = provePayload(registration(), masternode.secretKey, genesis)
  const tx = signed(proven)

  it('a proven and signed registration verifies, from memory and from the wire', async () => {
    await expect(verify(tx)).resolves.toBeUndefined()
    const { tx: decoded, txid } = decodeTransaction(encodeTransaction(tx))
    await expect(verifyTransaction(decoded, txid, genesis)).resolves.toBeUndefined()
    expect(checkTransactionStructure(tx)).toBe(encodeTransaction(tx).length)
  })

  it('the proof signs tag ‖ genesis ‖ first outpoint ‖ tier code ‖ u16le vout', () => {
    const expected = Uint8Array.from([
      ...utf8ToBytes('TIMECOIN/mn-register/v1'),
      ...genesis,
      ...OutPointCodec.encode(prev(1)),
      1,
      0x01,
      0x00,
    ])
    expect(registrationMessage(genesis, prev(1), 'bronze', 1)).toEqual(expected)
    expect(DomainTags.registration).toBe('TIMECOIN/mn-register/v1')
    expect(DomainTags.deregistration).toBe('TIMECOIN/mn-deregister/v1')
    expect(registrationMessage(genesis, prev(1), 'gold', 0x0302).subarray(-3)).toEqual(
      Uint8Array.of(3, 0x02, 0x03),
    )
    expect(deregistrationMessage(genesis, prev(3), masternode.publicKey)).toEqual(
      Uint8Array.from([
        ...utf8ToBytes('TIMECOIN/mn-deregister/v1'),
        ...genesis,
        ...OutPointCodec.encode(prev(3)),
        ...masternode.publicKey,
      ]),
    )
    const bundle = payloadSignatureBundle(tx, genesis)
    expect(bundle.checks).toEqual([
      {
        signature: proven.payload.type === 'register' ? proven.payload.proof : undefined,
        message: expected,
        publicKey: masternode.publicKey,
      },
    ])
  })

  it.each([
    [
      'another key',
      () => sign(registrationMessage(genesis, prev(1), 'bronze', 1), stranger.secretKey),
    ],
    [
      'another genesis',
      () => sign(registrationMessage(otherGenesis, prev(1), 'bronze', 1), masternode.secretKey),
    ],
    [
      'another first input',
      () => sign(registrationMessage(genesis, prev(2), 'bronze', 1), masternode.secretKey),
    ],
    [
      'another tier',
      () => sign(registrationMessage(genesis, prev(1), 'silver', 1), masternode.secretKey),
    ],
    [
      'another collateral output',
      () => sign(registrationMessage(genesis, prev(1), 'bronze', 0), masternode.secretKey),
    ],
  ])('a registration proof made for %s fails', async (_, proof) => {
    const base = registration()
    const bad = signed({
      ...base,
      payload: { ...(base.payload as Extract<TxPayload, { type: 'register' }>), proof: proof() },
    })
    await expect(verify(bad)).rejects.toMatchObject({
      code: 'TX_PAYLOAD_SIGNATURE',
      peerAction: 'low-tolerance',
    })
  })

  it('a proof cannot be replayed in a transaction that spends other inputs', async () => {
    const replay = signed({
      ...proven,
      inputs: [{ outpoint: prev(7), publicKey: owner.publicKey }, ...proven.inputs],
    })
    await expect(verify(replay)).rejects.toMatchObject({ code: 'TX_PAYLOAD_SIGNATURE' })
    // Reordering the inputs changes which outpoint is first.
    const reordered = signed({ ...proven, inputs: [...proven.inputs].reverse() })
    await expect(verify(reordered)).rejects.toMatchObject({ code: 'TX_PAYLOAD_SIGNATURE' })
  })

  it('input signatures are still checked, and reported before the proof', async () => {
    const bad: Transaction = {
      ...tx,
      inputs: tx.inputs.map((i) => ({ ...i, signature: new Uint8Array(64) })),
    }
    await expect(verify(bad)).rejects.toMatchObject({ code: 'TX_SIGNATURE' })
    await expect(verifyTransaction(tx, computeTxid(tx), otherGenesis)).rejects.toMatchObject({
      code: 'TX_SIGNATURE',
    })
  })

  it('a deregistration verifies only with its masternode key, network and first input', async () => {
    const ok = signed(provePayload(deregistration(), masternode.secretKey, genesis))
    await expect(verify(ok)).resolves.toBeUndefined()
    const forged = signed(
      withPayload(deregistration(), {
        type: 'deregister',
        masternodeKey: masternode.publicKey,
        proof: sign(
          deregistrationMessage(genesis, prev(3), masternode.publicKey),
          stranger.secretKey,
        ),
      }),
    )
    await expect(verify(forged)).rejects.toMatchObject({ code: 'TX_PAYLOAD_SIGNATURE' })
    const elsewhere = signed(provePayload(deregistration(), masternode.secretKey, otherGenesis))
    await expect(verify(elsewhere)).rejects.toMatchObject({ code: 'TX_PAYLOAD_SIGNATURE' })
    const moved = signed({
      ...provePayload(deregistration(), masternode.secretKey, genesis),
      inputs: [{ outpoint: prev(4), publicKey: owner.publicKey }],
    })
    await expect(verify(moved)).rejects.toMatchObject({ code: 'TX_PAYLOAD_SIGNATURE' })
  })

  it('signing helpers refuse a key that is not the payload masternode key', () => {
    const base = registration()
    const payload = base.payload as Extract<TxPayload, { type: 'register' }>
    expect(() => signRegistration({ ...base, payload }, stranger.secretKey, genesis)).toThrow(
      expect.objectContaining({ code: 'TX_KEY_MISMATCH' }),
    )
    const dereg = deregistration().payload as Extract<TxPayload, { type: 'deregister' }>
    expect(() =>
      signDeregistration(
        { inputs: [{ outpoint: prev(3) }], payload: dereg },
        stranger.secretKey,
        genesis,
      ),
    ).toThrow(expect.objectContaining({ code: 'TX_KEY_MISMATCH' }))
    expect(() => signRegistration({ inputs: [], payload }, masternode.secretKey, genesis)).toThrow(
      expect.objectContaining({ code: 'TX_NO_INPUTS' }),
    )
    expect(() =>
      provePayload(withPayload(base, { type: 'none' }), masternode.secretKey, genesis),
    ).toThrow(expect.objectContaining({ code: 'TX_PAYLOAD' }))
  })

  it('payments and slash payloads carry no proof', async () => {
    expect(
      payloadSignatureBundle(withPayload(registration(), { type: 'none' }), genesis).checks,
    ).toEqual([])
    const slash = withPayload(registration(), {
      type: 'slash',
      evidence: Uint8Array.of(1),
      reporter: payTo(stranger),
    })
    expect(payloadSignatureBundle(slash, genesis).checks).toEqual([])
    await expect(verify(signed(slash))).resolves.toBeUndefined()
  })
})

describe('context-free registration rules', () => {
  const prove = (u: UnsignedTransaction) => signed(provePayload(u, masternode.secretKey, genesis))

  it.each(['bronze', 'silver', 'gold'] as const)(
    '%s collateral of exactly the tier amount passes',
    async (tier) => {
      await expect(verify(prove(registration(tier)))).resolves.toBeUndefined()
    },
  )

  it.each([
    ['one unit short', registration('bronze', TIERS.bronze.collateral - 1n)],
    ['one unit over', registration('bronze', TIERS.bronze.collateral + 1n)],
    ['another tier', registration('bronze', TIERS.silver.collateral)],
    [
      'a collateral output out of range',
      (() => {
        const u = registration()
        const p = u.payload as Extract<TxPayload, { type: 'register' }>
        return withPayload(u, { ...p, collateralVout: u.outputs.length })
      })(),
    ],
  ])('%s fails with TX_PAYLOAD', async (_, unsigned) => {
    const tx = prove(unsigned)
    expect(() => checkTransactionStructure(tx)).toThrow(
      expect.objectContaining({ code: 'TX_PAYLOAD', peerAction: 'low-tolerance' }),
    )
    await expect(verify(tx)).rejects.toMatchObject({ code: 'TX_PAYLOAD' })
  })

  it('deregistration and slashing have no further context-free rule', () => {
    const slash = signed(
      withPayload(registration(), {
        type: 'slash',
        evidence: Uint8Array.of(1),
        reporter: payTo(stranger),
      }),
    )
    expect(() => checkTransactionStructure(slash)).not.toThrow()
    expect(() => checkTransactionStructure(signed(deregistration()))).not.toThrow()
  })
})

describe('EvidenceCodec', () => {
  const committee = committeeOf(2, [10, 10, 10, 10])
  const { coins } = genesisLedger(2)
  const a = spend([coins[0]!], [{ to: keyPair(5), value: 9n * COIN }])
  const b = spend([coins[0]!], [{ to: keyPair(6), value: 9n * COIN }])
  const accept = (txid: Txid, seq: number) =>
    certificateEntry(batchBy(0, 2, [{ kind: 'txAccept', txid }], seq), 0)
  const accepts: Evidence = {
    kind: 'conflictingAccepts',
    txA: a.tx,
    txB: b.tx,
    entryA: accept(a.txid, 1),
    entryB: accept(b.txid, 2),
  }
  const hashA = sha256(utf8ToBytes('block A'))
  const hashB = sha256(utf8ToBytes('block B'))
  const precommit = (blockHash: Uint8Array) =>
    ({ kind: 'precommit', height: 7, attempt: 1, blockHash }) as const
  const precommits: Evidence = {
    kind: 'conflictingPrecommits',
    height: 7,
    attempt: 1,
    blockHashA: hashA,
    blockHashB: hashB,
    entryA: certificateEntry(batchBy(3, 2, [precommit(hashA)], 1), 0),
    entryB: certificateEntry(
      batchBy(3, 2, [{ kind: 'txAccept', txid: a.txid }, precommit(hashB)], 2),
      1,
    ),
  }

  it.each([
    ['conflicting Accepts', accepts, voterKey(0).publicKey],
    ['conflicting precommits', precommits, voterKey(3).publicKey],
  ] as const)('%s round-trip and still verify', async (_, evidence, offender) => {
    const bytes = EvidenceCodec.encode(evidence)
    const decoded = EvidenceCodec.decode(bytes)
    expect(decoded).toEqual(evidence)
    expect(EvidenceCodec.encode(decoded)).toEqual(bytes)
    expect(await verifyEvidence(decoded, committee, CONSENSUS_GENESIS)).toEqual(offender)
  })

  it('lays out precommit evidence as kind ‖ height ‖ attempt ‖ hashes ‖ entries', () => {
    const bytes = EvidenceCodec.encode(precommits)
    expect(Array.from(bytes.subarray(0, 9))).toEqual([2, 7, 0, 0, 0, 1, 0, 0, 0])
    expect(bytes.subarray(9, 41)).toEqual(hashA)
    expect(bytes.subarray(41, 73)).toEqual(hashB)
    const accepted = EvidenceCodec.encode(accepts)
    const txA = encodeTransaction(a.tx)
    expect(accepted[0]).toBe(1)
    expect(new DataView(accepted.buffer, accepted.byteOffset).getUint32(1, true)).toBe(txA.length)
    expect(accepted.subarray(5, 5 + txA.length)).toEqual(txA)
  })

  it('fits a slash payload and round-trips inside one', () => {
    const evidence = EvidenceCodec.encode(accepts)
    expect(evidence.length).toBeLessThanOrEqual(MAX_EVIDENCE_SIZE)
    const tx = signed(
      withPayload(registration(), { type: 'slash', evidence, reporter: payTo(stranger) }),
    )
    const decoded = decodeTransaction(encodeTransaction(tx)).tx
    expect(decoded.payload.type).toBe('slash')
    if (decoded.payload.type === 'slash') {
      expect(EvidenceCodec.decode(decoded.payload.evidence)).toEqual(accepts)
    }
  })

  it('decodes strictly', () => {
    const bytes = EvidenceCodec.encode(precommits)
    const edit = (at: number, byte: number) => {
      const out = bytes.slice()
      out[at] = byte
      return out
    }
    const decode = (b: Uint8Array) => () => EvidenceCodec.decode(b)
    expect(codeOf(decode(edit(0, 0)))).toBe('INVALID_VALUE')
    expect(codeOf(decode(edit(0, 3)))).toBe('INVALID_VALUE')
    expect(codeOf(decode(Uint8Array.from([...bytes, 0])))).toBe('TRAILING_BYTES')
    expect(codeOf(decode(bytes.subarray(0, 50)))).toBe('TRUNCATED')
    // (A cut inside a Merkle path is caught by the array length pre-check: INVALID_VALUE.)
    expect(codeOf(decode(bytes.subarray(0, -1)))).toBe('INVALID_VALUE')
    const accepted = EvidenceCodec.encode(accepts)
    const oversized = accepted.slice()
    new DataView(oversized.buffer).setUint32(1, 100_001, true)
    expect(codeOf(decode(oversized))).toBe('LIMIT_EXCEEDED')
    // A transaction length one byte too long leaves a byte inside the first transaction's frame.
    const txLength = new DataView(accepted.buffer, accepted.byteOffset).getUint32(1, true)
    const longer = accepted.slice()
    new DataView(longer.buffer).setUint32(1, txLength + 1, true)
    expect(codeOf(decode(longer))).toBe('TRAILING_BYTES')
  })
})
