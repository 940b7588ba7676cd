// Protocol ids and the protocol table: ids built in one place, frame limits that follow from the
// codecs, and frame codecs that refuse an oversize frame or a misplaced message before decoding.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  BlockCertificateCodec,
  EngineMessageCodec,
  encodeMessage,
  MAX_BLOCK_MESSAGE_SIZE,
  MAX_TX_SIZE,
  NETWORKS,
  PROTOCOL_NAMES,
  PROTOCOLS,
  ProposalCodec,
  ProtocolError,
  protocolId,
  protocolIdOf,
  protocolIds,
  TimeCoinError,
  WALLET_CLIENT_FRAMES,
  WALLET_CLIENT_MESSAGES,
  WALLET_SERVER_FRAMES,
  WALLET_SERVER_MESSAGES,
  WalletMessageCodec,
} from '../../src/core/index.ts'
import { arbDamaged } from '../support/arbitraries.ts'
import {
  engineMessages,
  peerMessages,
  syncMessages,
  walletMessages,
} from '../support/encoded-samples.ts'
import { failureOf } from '../support/error-code.ts'

describe('protocol ids', () => {
  it('are /timecoin/<network>/<name>/<version>', () => {
    expect(protocolId('mainnet', 'consensus')).toBe('/timecoin/mainnet/consensus/1')
    expect(protocolId('testnet', 'wallet', 2)).toBe('/timecoin/testnet/wallet/2')
    expect(protocolIdOf('devnet', 'sync')).toBe('/timecoin/devnet/sync/1')
    for (const network of NETWORKS) {
      const ids = protocolIds(network)
      expect(Object.keys(ids)).toEqual([...PROTOCOL_NAMES])
      expect(new Set(Object.values(ids)).size).toBe(PROTOCOL_NAMES.length)
      for (const name of PROTOCOL_NAMES) expect(ids[name]).toBe(`/timecoin/${network}/${name}/1`)
    }
  })

  it('refuse an unknown network, name or version: local misuse, no peer to blame', () => {
    const misuse = { name: 'ProtocolError', code: 'PROTOCOL_ID_INVALID', peerAction: undefined }
    expect(failureOf(() => protocolId('regtest' as never, 'tx'))).toEqual(misuse)
    expect(failureOf(() => protocolId('mainnet', 'gossip' as never))).toEqual(misuse)
    for (const v of [0, -1, 1.5, Number.NaN])
      expect(failureOf(() => protocolId('mainnet', 'tx', v))).toEqual(misuse)
  })
})

describe('the protocol table', () => {
  it('derives each frame limit from its codecs, the largest either way', () => {
    for (const p of Object.values(PROTOCOLS)) {
      expect(p.maxDataLength).toBe(Math.max(p.dialer.maxDataLength, p.listener?.maxDataLength ?? 0))
      expect(p.timeoutMs).toBeGreaterThan(0)
    }
    // A committee link carries everything up to a committed block of the proposal's size.
    expect(PROTOCOLS.consensus.maxDataLength).toBe(EngineMessageCodec.maxSize)
    expect(PROTOCOLS.consensus.maxDataLength).toBe(
      1 + 4 + MAX_BLOCK_MESSAGE_SIZE + BlockCertificateCodec.maxSize,
    )
    expect(MAX_BLOCK_MESSAGE_SIZE).toBe(ProposalCodec.maxSize)
    // The tx protocol carries one transaction: tag, size, the largest transaction.
    expect(PROTOCOLS.tx.maxDataLength).toBe(1 + 4 + MAX_TX_SIZE)
    expect(PROTOCOLS.tx.listener).toBeNull()
    // A wallet sends little; what it receives is paged to about 10 MB.
    expect(WALLET_CLIENT_FRAMES.maxDataLength).toBeLessThan(200_000)
    expect(WALLET_SERVER_FRAMES.maxDataLength).toBeLessThan(16 * 1024 * 1024)
    expect(PROTOCOLS.peers.maxDataLength).toBeLessThan(300_000)
  })

  it('every sample fits the frames of the side that sends it', () => {
    const sent = [
      [PROTOCOLS.consensus.dialer, engineMessages],
      [PROTOCOLS.wallet.dialer, walletMessages.filter((m) => isClient(m.type))],
      [PROTOCOLS.wallet.listener, walletMessages.filter((m) => isServer(m.type))],
      [
        PROTOCOLS.sync.dialer,
        syncMessages.filter((m) => m.type.endsWith('Request') || m.type === 'Status'),
      ],
      [PROTOCOLS.sync.listener, syncMessages.filter((m) => !m.type.endsWith('Request'))],
      [PROTOCOLS.peers.dialer, peerMessages.filter((m) => m.type === 'PeersRequest')],
      [PROTOCOLS.peers.listener, peerMessages.filter((m) => m.type === 'PeersAnswer')],
    ] as const
    for (const [frames, messages] of sent)
      for (const m of messages) expect(frames?.decode(frames.encode(m as never))).toEqual(m)
  })
})

const isClient = (type: string) => (WALLET_CLIENT_MESSAGES as readonly string[]).includes(type)
const isServer = (type: string) => (WALLET_SERVER_MESSAGES as readonly string[]).includes(type)

describe('frame codecs', () => {
  const tx = PROTOCOLS.tx.dialer
  const broadcast = engineMessages.find((m) => m.type === 'TransactionBroadcast')!
  const proposal = engineMessages.find((m) => m.type === 'BlockProposal')!

  it('refuse a frame above the limit by its length alone, before any byte is read', () => {
    const tooLong = tx.maxDataLength + 1
    const expected = {
      name: 'ProtocolError',
      code: 'PROTOCOL_FRAME_TOO_LARGE',
      peerAction: 'low-tolerance',
    }
    expect(failureOf(() => tx.checkLength(tooLong))).toEqual(expected)
    expect(failureOf(() => tx.checkLength(tx.maxDataLength))).toBeUndefined()
    // Even a frame whose first bytes are a valid message: the length decides first.
    const frame = new Uint8Array(tooLong)
    frame.set(encodeMessage(broadcast))
    expect(failureOf(() => tx.decode(frame))).toEqual(expected)
  })

  it('refuse a message of another protocol or direction by its tag, before its body', () => {
    const unexpected = {
      name: 'ProtocolError',
      code: 'PROTOCOL_UNEXPECTED_MESSAGE',
      peerAction: 'low-tolerance',
    }
    // A proposal's tag on the tx protocol, its body cut off: the tag alone refuses it.
    expect(failureOf(() => tx.decode(encodeMessage(proposal).subarray(0, 10)))).toEqual(unexpected)
    expect(failureOf(() => tx.encode(proposal as never))).toEqual(unexpected)
    expect(tx.decode(tx.encode(broadcast as never))).toEqual(broadcast)
    // A wallet never receives a subscription; a masternode never receives a notification.
    const subscribe = walletMessages.find((m) => m.type === 'UTXOSubscribe')!
    const notice = walletMessages.find((m) => m.type === 'UTXOStateNotification')!
    expect(
      failureOf(() => WALLET_SERVER_FRAMES.decode(WalletMessageCodec.encode(subscribe))),
    ).toEqual(unexpected)
    expect(failureOf(() => WALLET_CLIENT_FRAMES.decode(WalletMessageCodec.encode(notice)))).toEqual(
      unexpected,
    )
  })

  it('fail on anything only with a typed error that carries a peer action', () => {
    const frames = [...Object.values(PROTOCOLS).flatMap((p) => [p.dialer, p.listener])].filter(
      (f) => f !== null,
    )
    const seeds = [
      ...engineMessages.map(encodeMessage),
      ...walletMessages.map((m) => WalletMessageCodec.encode(m)),
    ]
    fc.assert(
      fc.property(
        fc.constantFrom(...frames),
        fc.oneof(arbDamaged(seeds), fc.uint8Array({ maxLength: 300 })),
        (f, bytes) => {
          let value: unknown
          try {
            value = f.decode(bytes)
          } catch (e) {
            expect(e).toBeInstanceOf(TimeCoinError)
            expect((e as TimeCoinError).peerAction).toBe('low-tolerance')
            return
          }
          expect(f.encode(value as never)).toEqual(bytes)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('decode only Uint8Array frames', () => {
    expect(failureOf(() => tx.decode([1, 2, 3] as never))).toMatchObject({
      code: 'INVALID_VALUE',
      peerAction: 'low-tolerance',
    })
    expect(new ProtocolError('PROTOCOL_FRAME_TOO_LARGE', 'x').domain).toBe('protocol')
  })
})
