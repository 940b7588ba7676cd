/**
 * The sync protocol as a libp2p service, public face: `syncService(init)` is a service factory
 * (`services: { handshake, committeeLinks, engine, sync: syncService({ store, ... }) }`, listed
 * after the services it uses; the engine and the links are optional).
 */
import { SyncService, type SyncServiceComponents, type SyncServiceInit } from './sync-service.ts'

export * from './constants.ts'
export {
  SyncService,
  type SyncServiceComponents,
  type SyncServiceEvents,
  type SyncServiceInit,
  type SyncServiceMode,
  type SyncServiceStats,
} from './sync-service.ts'

export function syncService(
  init: SyncServiceInit,
): (components: SyncServiceComponents) => SyncService {
  return (components) => new SyncService(components, init)
}
