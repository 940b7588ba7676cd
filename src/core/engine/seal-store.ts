/**
 * A member's seal of an epoch (committee handoff, docs/ARCHITECTURE.md §3.8), as a store record: nodeMeta
 * `seal` → u32 epoch ‖ u32 height ‖ u16 count ‖ txid…. It is written durably before the lock
 * report leaves; from then on the member signs no Accept of that epoch outside the report — also
 * after a restart, which is why it is a record and not memory.
 */
import * as P from 'micro-packed'
import { MAX_CARRIED_TRANSACTIONS } from '../consensus/block.ts'
import { codec } from '../encoding/codec.ts'
import { boundedArray, bytes32, u32 } from '../encoding/fields.ts'
import type { Txid } from '../primitives/txid.ts'
import { MetaKey } from '../storage/meta-keys.ts'
import type { BatchOp, Store } from '../storage/store.ts'

export interface Seal {
  readonly epoch: number
  readonly height: number
  readonly txids: readonly Txid[]
}

const sealCoder = P.struct({
  epoch: u32,
  height: u32,
  txids: boundedArray(MAX_CARRIED_TRANSACTIONS, bytes32, 'sealed txids'),
}) as unknown as P.CoderType<Seal>

const SealCodec = codec('Seal', sealCoder, 12 + 32 * MAX_CARRIED_TRANSACTIONS)
const SEAL_KEY = MetaKey.seal

export function sealOp(seal: Seal): BatchOp {
  return { type: 'put', key: SEAL_KEY, value: SealCodec.encode(seal) }
}

export async function loadSeal(store: Store): Promise<Seal | undefined> {
  const bytes = await store.get(SEAL_KEY)
  return bytes === undefined ? undefined : SealCodec.decode(bytes)
}
