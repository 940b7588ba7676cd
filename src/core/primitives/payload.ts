/**
 * Typed payloads of special transactions: `u8 kind ‖ fields`. Kind 0 is a plain payment; 1 registers
 * a masternode (its collateral is an output of the same transaction), 2 deregisters one, 3 carries
 * slashing evidence for consensus to judge and names the reporter who receives the bounty.
 * Registration and deregistration carry a proof that the masternode key consents (see
 * payload-signing.ts). Decoding is strict: an unknown kind or tier code, empty or over-limit
 * evidence are refused with the codec error codes.
 */
import * as P from 'micro-packed'
import { codec, fail } from '../encoding/codec.ts'
import { bytes20, bytes32, bytes64, ownedBytes, u8, u16, u32 } from '../encoding/fields.ts'
import { PeerAction, TransactionError } from '../errors.ts'
import type { AddressPayload } from './address.ts'
import { type RegistrableTier, TIER_CODES, TIERS, tierFromCode } from './tier.ts'
import type { TxOutput } from './transaction.ts'

/** Largest slashing evidence a payload may carry, in bytes (64 KiB). */
export const MAX_EVIDENCE_SIZE = 65_536

/** The u8 kind of each payload type. */
export const PAYLOAD_KINDS = { none: 0, register: 1, deregister: 2, slash: 3 } as const

export type TxPayload =
  /** Kind 0: a plain payment. */
  | { readonly type: 'none' }
  /** Kind 1: registers `masternodeKey` at `tier`; output `collateralVout` is the collateral. */
  | {
      readonly type: 'register'
      readonly tier: RegistrableTier
      /** The masternode's Ed25519 voting key (32 bytes). */
      readonly masternodeKey: Uint8Array
      /** u16 index of this transaction's output holding exactly the tier's collateral. */
      readonly collateralVout: number
      /** 64-byte signature by `masternodeKey` over registrationMessage(…). */
      readonly proof: Uint8Array
    }
  /** Kind 2: deregisters `masternodeKey`. */
  | {
      readonly type: 'deregister'
      readonly masternodeKey: Uint8Array
      /** 64-byte signature by `masternodeKey` over deregistrationMessage(…). */
      readonly proof: Uint8Array
    }
  /** Kind 3: slashing evidence (an encoded Evidence, 1 … MAX_EVIDENCE_SIZE bytes). */
  | {
      readonly type: 'slash'
      readonly evidence: Uint8Array
      /** Address payload that receives the bounty. */
      readonly reporter: AddressPayload
    }

export type PayloadType = TxPayload['type']
export type NonePayload = Extract<TxPayload, { readonly type: 'none' }>
export type RegisterPayload = Extract<TxPayload, { readonly type: 'register' }>
export type DeregisterPayload = Extract<TxPayload, { readonly type: 'deregister' }>
export type SlashPayload = Extract<TxPayload, { readonly type: 'slash' }>

/** Largest payload encoding: a slash payload with the most evidence. */
export const MAX_PAYLOAD_SIZE = 1 + 4 + MAX_EVIDENCE_SIZE + 20

const tierCoder = P.wrap<RegistrableTier>({
  encodeStream(w, tier) {
    if (typeof tier !== 'string' || !Object.hasOwn(TIER_CODES, tier)) {
      fail('INVALID_VALUE', `tier ${String(tier)} cannot be registered`)
    }
    u8.encodeStream(w, TIER_CODES[tier])
  },
  decodeStream(r) {
    const code = u8.decodeStream(r)
    const tier = tierFromCode(code)
    if (tier === undefined) fail('INVALID_VALUE', `unknown tier code ${code}`)
    return tier
  },
})

/** `u32 length ‖ bytes`, 1 ≤ length ≤ MAX_EVIDENCE_SIZE. */
const evidenceCoder = ownedBytes(
  P.validate(u32, (n) => {
    if (n === 0) fail('INVALID_VALUE', 'slashing evidence is empty')
    if (n > MAX_EVIDENCE_SIZE) {
      fail('LIMIT_EXCEEDED', `slashing evidence: ${n} exceeds limit ${MAX_EVIDENCE_SIZE}`)
    }
    return n
  }),
)

const registerCoder = P.struct({
  tier: tierCoder,
  masternodeKey: bytes32,
  collateralVout: u16,
  proof: bytes64,
})

const deregisterCoder = P.struct({ masternodeKey: bytes32, proof: bytes64 })

const slashCoder = P.struct({ evidence: evidenceCoder, reporter: bytes20 })

export const payloadCoder = P.wrap<TxPayload>({
  encodeStream(w, payload) {
    switch (payload?.type) {
      case 'none':
        u8.encodeStream(w, PAYLOAD_KINDS.none)
        return
      case 'register':
        u8.encodeStream(w, PAYLOAD_KINDS.register)
        registerCoder.encodeStream(w, payload)
        return
      case 'deregister':
        u8.encodeStream(w, PAYLOAD_KINDS.deregister)
        deregisterCoder.encodeStream(w, payload)
        return
      case 'slash':
        u8.encodeStream(w, PAYLOAD_KINDS.slash)
        slashCoder.encodeStream(w, payload)
        return
      default:
        fail('INVALID_VALUE', 'unknown payload type')
    }
  },
  decodeStream(r): TxPayload {
    const kind = u8.decodeStream(r)
    switch (kind) {
      case PAYLOAD_KINDS.none:
        return { type: 'none' }
      case PAYLOAD_KINDS.register:
        return { type: 'register', ...registerCoder.decodeStream(r) }
      case PAYLOAD_KINDS.deregister:
        return { type: 'deregister', ...deregisterCoder.decodeStream(r) }
      case PAYLOAD_KINDS.slash: {
        const { evidence, reporter } = slashCoder.decodeStream(r)
        return { type: 'slash', evidence, reporter: reporter as AddressPayload }
      }
      default:
        fail('INVALID_VALUE', `unknown payload kind ${kind}`)
    }
  },
})

/** A payload on its own (the transaction codecs embed `payloadCoder`). */
export const TxPayloadCodec = codec('TxPayload', payloadCoder, MAX_PAYLOAD_SIZE)

/**
 * Context-free payload rules, judged from the transaction alone: a registration's collateral
 * output exists and holds exactly its tier's collateral. Deregistration and slashing have none
 * here (the proof is a signature; evidence is decoded and judged by consensus). Throws a
 * TransactionError TX_PAYLOAD.
 */
export function checkPayload(tx: {
  readonly outputs: readonly TxOutput[]
  readonly payload: TxPayload
}): void {
  const payload = tx.payload
  if (payload.type !== 'register') return
  if (!Object.hasOwn(TIER_CODES, payload.tier)) {
    reject(`registration tier ${String(payload.tier)} cannot be registered`)
  }
  const vout = payload.collateralVout
  const collateral = Number.isInteger(vout) ? tx.outputs[vout] : undefined
  if (collateral === undefined) {
    reject(`collateral output ${vout} does not exist (${tx.outputs.length} outputs)`)
  }
  const required = TIERS[payload.tier].collateral
  if (collateral.value !== required) {
    reject(
      `collateral output ${vout} holds ${collateral.value} units; ${payload.tier} needs exactly ${required}`,
    )
  }
}

function reject(message: string): never {
  throw new TransactionError('TX_PAYLOAD', message, PeerAction.LowToleranceError)
}
