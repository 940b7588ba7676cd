/**
 * The registry as one store record (nodeMeta `registry`, written in the batch of every block
 * commit), so a restarted node knows its epoch, committees and handoff locks without replaying
 * the chain. Layout in docs/STORAGE.md.
 */
import * as P from 'micro-packed'
import { codec, fail } from '../encoding/codec.ts'
import {
  bool,
  boundedList,
  bytes20,
  bytes32,
  rangedU64,
  rangedU64Number,
  u8,
  u32,
} from '../encoding/fields.ts'
import { MAX_AMOUNT } from '../primitives/amount.ts'
import { outPointCoder } from '../primitives/outpoint.ts'
import type { TxOutput } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import { MetaKey } from '../storage/meta-keys.ts'
import type { BatchOp } from '../storage/store.ts'
import { MAX_CARRIED_TRANSACTIONS } from './block.ts'
import { MAX_COMMITTEE_SIZE, MAX_MEMBER_WEIGHT } from './committee.ts'
import type { MemberRecord, MembershipChange, RegistryState } from './registry.ts'

const MAX_OUTPOINTS = 1 << 20

const memberCoder = P.struct({
  key: bytes32,
  weight: rangedU64Number(MAX_MEMBER_WEIGHT, 'member weight'),
  collateral: P.optional(bool, outPointCoder),
})

const member = P.apply(memberCoder, {
  encode: (m): MemberRecord => ({ ...m, collateral: m.collateral ?? null }),
  decode: (m: MemberRecord) => ({ ...m, collateral: m.collateral ?? undefined }),
})

const membersCoder = boundedList(MAX_COMMITTEE_SIZE, member, 'members')

const outputCoder = P.struct({
  value: rangedU64(0n, MAX_AMOUNT, 'bounty'),
  address: bytes20,
}) as unknown as P.CoderType<TxOutput>

const bounty = P.optional(bool, outputCoder)

const changeCoder = P.wrap<MembershipChange>({
  encodeStream(w, c) {
    u8.encodeStream(w, c.kind === 'add' ? 0 : 1)
    if (c.kind === 'add') member.encodeStream(w, c.member)
    else {
      bytes32.encodeStream(w, c.key)
      bool.encodeStream(w, c.burn)
      bounty.encodeStream(w, c.bounty ?? undefined)
    }
  },
  decodeStream(r) {
    const kind = u8.decodeStream(r)
    if (kind === 0) return { kind: 'add', member: member.decodeStream(r) }
    if (kind === 1) {
      const key = bytes32.decodeStream(r)
      const burn = bool.decodeStream(r)
      return { kind: 'remove', key, burn, bounty: bounty.decodeStream(r) ?? null }
    }
    return fail('INVALID_VALUE', `unknown membership change ${kind}`)
  },
})

const registryCoder = P.struct({
  epoch: u32,
  members: membersCoder,
  previous: P.optional(bool, membersCoder),
  pending: boundedList(MAX_COMMITTEE_SIZE * 2, changeCoder, 'pending changes'),
  unlocking: boundedList(
    MAX_OUTPOINTS,
    P.struct({ outpoint: outPointCoder, epoch: u32 }),
    'unlocking',
  ),
  firstHeight: u32,
  carried: boundedList(
    MAX_CARRIED_TRANSACTIONS * 512,
    P.struct({ outpoint: outPointCoder, txid: bytes32 as unknown as P.CoderType<Txid> }),
    'carried locks',
  ),
  frozen: boundedList(MAX_OUTPOINTS, outPointCoder, 'frozen outpoints'),
  bountiesPaid: rangedU64(0n, MAX_AMOUNT, 'bounties paid'),
})

const stateCoder = P.apply(registryCoder, {
  encode: (s): RegistryState => ({ ...s, previous: s.previous ?? null }),
  decode: (s: RegistryState) =>
    ({ ...s, previous: s.previous ?? undefined }) as unknown as P.UnwrapCoder<typeof registryCoder>,
})

export const RegistryStateCodec = codec('RegistryState', stateCoder, 256 * 1024 * 1024)

export const REGISTRY_KEY = MetaKey.registry

export function registryOp(state: RegistryState): BatchOp {
  return { type: 'put', key: REGISTRY_KEY, value: RegistryStateCodec.encode(state) }
}
