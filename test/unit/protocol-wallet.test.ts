// The wallet protocol's own rules: states without node-local fields, address status hashes that
// depend on the outputs and states only, error frames with bounded, well-formed text, and the
// sync and peer-exchange bounds.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  addressStatus,
  bytesToHex,
  EncodingError,
  fitText,
  LedgerError,
  MAX_BLOCKS_PER_RANGE,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_EXCHANGED_PEERS,
  MAX_TX_PATH,
  MAX_WALLET_ADDRESSES,
  PeerExchangeCodec,
  rangeAnswer,
  SyncMessageCodec,
  type Txid,
  type UtxoState,
  type WalletMessage,
  WalletMessageCodec,
  WalletUtxoStateCodec,
  walletUtxoState,
  wireError,
} from '../../src/core/index.ts'
import { arbOutPoint, arbWalletUtxoState } from '../support/arbitraries.ts'
import { txidOf } from '../support/consensus-fixture.ts'
import { block, blockCertificate } from '../support/encoded-samples.ts'
import { failureOf } from '../support/error-code.ts'

const codeOf = (f: () => unknown) => failureOf(f)?.code

const errorFrame = (message: string): WalletMessage => ({
  type: 'Error',
  requestId: 7,
  error: { code: 'MEMPOOL_FULL', message },
})

describe('wallet UTXO states', () => {
  const txid = txidOf('spender') as Txid
  it('leave out what only one node knows (its lock time, its own vote)', () => {
    const states: [UtxoState, unknown][] = [
      [{ kind: 'Unspent' }, { kind: 'Unspent' }],
      [
        { kind: 'Locked', txid, lockedAt: 5, voted: true },
        { kind: 'Locked', txid },
      ],
      [
        { kind: 'SpentPending', txid, votes: 30, voted: false },
        { kind: 'SpentPending', txid, votes: 30 },
      ],
      [
        { kind: 'SpentFinalized', txid },
        { kind: 'SpentFinalized', txid },
      ],
      [
        { kind: 'Confirmed', txid, height: 9 },
        { kind: 'Confirmed', txid, height: 9 },
      ],
    ]
    for (const [state, wallet] of states) {
      expect(walletUtxoState(state)).toEqual(wallet)
      const bytes = WalletUtxoStateCodec.encode(walletUtxoState(state))
      expect(WalletUtxoStateCodec.decode(bytes)).toEqual(wallet)
    }
    // Kind codes are the store's (docs/STORAGE.md).
    expect(WalletUtxoStateCodec.tags).toEqual({
      Unspent: 0,
      Locked: 1,
      SpentPending: 2,
      SpentFinalized: 3,
      Confirmed: 4,
    })
  })
})

describe('address status', () => {
  const arbUtxos = fc.uniqueArray(fc.record({ outpoint: arbOutPoint, state: arbWalletUtxoState }), {
    maxLength: 8,
    selector: (u) => `${bytesToHex(u.outpoint.txid)}:${u.outpoint.vout}`,
  })

  it('does not depend on the order the outputs are listed in', () => {
    fc.assert(
      fc.property(arbUtxos, (utxos) => {
        expect(addressStatus([...utxos].reverse())).toEqual(addressStatus(utxos))
      }),
      { numRuns: 100 },
    )
  })

  it('changes with any output or state, and differs for no outputs', () => {
    const one = [{ outpoint: { txid: txidOf('a'), vout: 0 }, state: { kind: 'Unspent' as const } }]
    const seen = new Set(
      [
        [],
        one,
        [{ ...one[0]!, outpoint: { txid: txidOf('a'), vout: 1 } }],
        [{ ...one[0]!, state: { kind: 'Locked' as const, txid: txidOf('b') } }],
        [{ ...one[0]!, state: { kind: 'Locked' as const, txid: txidOf('c') } }],
        [...one, { outpoint: { txid: txidOf('d'), vout: 0 }, state: { kind: 'Unspent' as const } }],
      ].map((u) => bytesToHex(addressStatus(u))),
    )
    expect(seen.size).toBe(6)
  })
})

describe('error frames', () => {
  it('carry any well-formed text, byte for byte, within the limit', () => {
    for (const message of ['', 'plain', 'déjà vu ✓ 𝄞', '\uFEFFa byte-order mark is kept']) {
      const m = errorFrame(message)
      expect(WalletMessageCodec.decode(WalletMessageCodec.encode(m))).toEqual(m)
    }
    const full = 'é'.repeat(MAX_ERROR_MESSAGE_BYTES / 2)
    expect(codeOf(() => WalletMessageCodec.encode(errorFrame(full)))).toBeUndefined()
    expect(codeOf(() => WalletMessageCodec.encode(errorFrame(`${full}x`)))).toBe('LIMIT_EXCEEDED')
  })

  it('refuse text that is not UTF-8, and never write a lone surrogate', () => {
    expect(codeOf(() => WalletMessageCodec.encode(errorFrame('\uD800 alone')))).toBe(
      'INVALID_VALUE',
    )
    const bytes = WalletMessageCodec.encode(errorFrame('ab'))
    for (const bad of [
      [0xff, 0xfe],
      [0xc0, 0xaf],
      [0xed, 0xa0],
    ]) {
      const frame = bytes.slice()
      frame.set(bad, frame.length - 2) // an invalid byte, an overlong '/', a surrogate's lead
      expect(codeOf(() => WalletMessageCodec.decode(frame))).toBe('INVALID_VALUE')
    }
  })

  it('carry codes of the error table’s form only', () => {
    for (const code of ['', 'lower', 'HAS SPACE', '1DIGIT', 'X'.repeat(65)]) {
      const m: WalletMessage = { type: 'Error', requestId: 0, error: { code, message: '' } }
      expect(codeOf(() => WalletMessageCodec.encode(m))).toMatch(/INVALID_VALUE|LIMIT_EXCEEDED/)
    }
  })

  it('are built from a typed error, the message cut at a whole character', () => {
    const long = new LedgerError('LEDGER_CONFLICT', `${'ü'.repeat(300)}!`)
    const e = wireError(long)
    expect(e.code).toBe('LEDGER_CONFLICT')
    expect(e.message).toBe('ü'.repeat(256))
    expect(fitText('𝄞𝄞', 7)).toBe('𝄞')
    expect(fitText('short', 100)).toBe('short')
    const m: WalletMessage = { type: 'Error', requestId: 1, error: e }
    expect(WalletMessageCodec.decode(WalletMessageCodec.encode(m))).toEqual(m)
  })

  it('encode a submit result with and without an error, one byte apart', () => {
    const ok = { type: 'SubmitResult', requestId: 1, txid: txidOf('t'), error: null } as const
    const refused = { ...ok, error: { code: 'MEMPOOL_FULL', message: '' } }
    const a = WalletMessageCodec.encode(ok)
    const b = WalletMessageCodec.encode(refused)
    expect(a.at(-1)).toBe(0)
    expect(b[a.length - 1]).toBe(1)
    const flag = a.slice()
    flag[flag.length - 1] = 2 // neither absent nor present
    expect(codeOf(() => WalletMessageCodec.decode(flag))).toBe('INVALID_VALUE')
  })
})

describe('bounds', () => {
  it('refuse a list over its limit from its count, before its elements', () => {
    const count = (n: number) => [n & 0xff, n >> 8]
    const subscribe = Uint8Array.of(0x20, 1, 0, 0, 0, ...count(MAX_WALLET_ADDRESSES + 1))
    expect(codeOf(() => WalletMessageCodec.decode(subscribe))).toBe('LIMIT_EXCEEDED')
    const peers = Uint8Array.of(0x51, ...count(MAX_EXCHANGED_PEERS + 1))
    expect(codeOf(() => PeerExchangeCodec.decode(peers))).toBe('LIMIT_EXCEEDED')
    const range = (n: number) => Uint8Array.of(0x41, 1, 0, 0, 0, n, 0, 0, 0)
    expect(codeOf(() => SyncMessageCodec.decode(range(MAX_BLOCKS_PER_RANGE)))).toBeUndefined()
    expect(codeOf(() => SyncMessageCodec.decode(range(MAX_BLOCKS_PER_RANGE + 1)))).toBe(
      'LIMIT_EXCEEDED',
    )
    expect(codeOf(() => SyncMessageCodec.decode(range(0)))).toBe('INVALID_VALUE')
    expect(MAX_TX_PATH).toBe(14)
  })

  it('a range answer keeps the longest prefix of the range that fits one frame', () => {
    const certified = { block, certificate: blockCertificate }
    const many = Array.from({ length: MAX_BLOCKS_PER_RANGE + 5 }, () => certified)
    const answer = rangeAnswer(many)
    expect(answer.blocks.length).toBe(MAX_BLOCKS_PER_RANGE)
    expect(SyncMessageCodec.decode(SyncMessageCodec.encode(answer))).toEqual(answer)
    expect(rangeAnswer([]).blocks).toEqual([])
  })

  it('an error frame is an encoding error on encode, never an untyped one', () => {
    expect(() => WalletMessageCodec.encode(errorFrame(42 as never))).toThrow(EncodingError)
  })
})
