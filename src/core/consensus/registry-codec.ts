/**
 * The registry as one store record (nodeMeta `registry`, written in the batch of every block
 * commit), so a restarted node knows its epoch, committees and handoff locks without replaying
 * the chain. Layout in docs/STORAGE.md.
 */
import * as P from 'micro-packed'
import { codec, fail } from '../encoding/codec.ts'
import { bool, boundedArray, bytes32, u8, u32, u64Number } from '../encoding/fields.ts'
import { outPointCoder } from '../primitives/outpoint.ts'
import type { Txid } from '../primitives/txid.ts'
import { Bucket, bucketKey } from '../storage/keys.ts'
import type { BatchOp } from '../storage/store.ts'
import { MAX_CARRIED_TRANSACTIONS } from './block.ts'
import { MAX_COMMITTEE_SIZE } from './committee.ts'
import type { MemberRecord, MembershipChange, RegistryState } from './registry.ts'

const MAX_OUTPOINTS = 1 << 20

const memberCoder = P.struct({
  key: bytes32,
  weight: u64Number,
  collateral: P.optional(bool, outPointCoder),
})

const member = P.apply(memberCoder, {
  encode: (m): MemberRecord => ({ ...m, collateral: m.collateral ?? null }),
  decode: (m: MemberRecord) => ({ ...m, collateral: m.collateral ?? undefined }),
})

const membersCoder = boundedArray(MAX_COMMITTEE_SIZE, member, 'members')

const changeCoder = P.wrap<MembershipChange>({
  encodeStream(w, c) {
    u8.encodeStream(w, c.kind === 'add' ? 0 : 1)
    if (c.kind === 'add') member.encodeStream(w, c.member)
    else {
      bytes32.encodeStream(w, c.key)
      bool.encodeStream(w, c.burn)
    }
  },
  decodeStream(r) {
    const kind = u8.decodeStream(r)
    if (kind === 0) return { kind: 'add', member: member.decodeStream(r) }
    if (kind === 1)
      return { kind: 'remove', key: bytes32.decodeStream(r), burn: bool.decodeStream(r) }
    return fail('INVALID_VALUE', `unknown membership change ${kind}`)
  },
})

const registryCoder = P.struct({
  epoch: u32,
  members: membersCoder,
  previous: P.optional(bool, membersCoder),
  pending: boundedArray(MAX_COMMITTEE_SIZE * 2, changeCoder, 'pending changes'),
  unlocking: boundedArray(
    MAX_OUTPOINTS,
    P.struct({ outpoint: outPointCoder, epoch: u32 }),
    'unlocking',
  ),
  firstHeight: u32,
  carried: boundedArray(
    MAX_CARRIED_TRANSACTIONS * 512,
    P.struct({ outpoint: outPointCoder, txid: bytes32 as unknown as P.CoderType<Txid> }),
    'carried locks',
  ),
  frozen: boundedArray(MAX_OUTPOINTS, outPointCoder, 'frozen outpoints'),
})

const stateCoder = P.apply(registryCoder, {
  encode: (s): RegistryState => ({ ...s, previous: s.previous ?? null }),
  decode: (s: RegistryState) =>
    ({ ...s, previous: s.previous ?? undefined }) as unknown as P.UnwrapCoder<typeof registryCoder>,
})

export const RegistryStateCodec = codec('RegistryState', stateCoder, 256 * 1024 * 1024)

export const REGISTRY_KEY = bucketKey(Bucket.nodeMeta, new TextEncoder().encode('registry'))

export function registryOp(state: RegistryState): BatchOp {
  return { type: 'put', key: REGISTRY_KEY, value: RegistryStateCodec.encode(state) }
}
