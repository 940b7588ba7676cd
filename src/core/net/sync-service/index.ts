/**
 * The sync protocol as a libp2p service, public face: `syncService(init)` is a service factory
 * (`services: { handshake, committeeLinks, engine, sync: syncService({ store, ... }) }`, listed
 * after the services it uses; the engine and the links are optional).
 */
import { SyncService } from './sync-service.ts'
import type { SyncServiceComponents, SyncServiceInit } from './sync-types.ts'

export * from './constants.ts'
export { SyncService } from './sync-service.ts'
export type {
  SyncServiceComponents,
  SyncServiceEvents,
  SyncServiceInit,
  SyncServiceMode,
  SyncServiceStats,
} from './sync-types.ts'

export function syncService(
  init: SyncServiceInit,
): (components: SyncServiceComponents) => SyncService {
  return (components) => new SyncService(components, init)
}
