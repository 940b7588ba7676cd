/**
 * The node runtime over libp2p, public face: `engineService(init)` is a libp2p service factory
 * (`services: { handshake, committeeLinks, engine: engineService({ engine, store, ... }) }`,
 * listed after the two services it uses).
 */
import {
  EngineService,
  type EngineServiceComponents,
  type EngineServiceInit,
} from './engine-service.ts'

export {
  DEFAULT_MAX_PENDING_VERIFICATIONS,
  EngineService,
  type EngineServiceComponents,
  type EngineServiceInit,
  type EngineServiceStats,
  MAX_OTHER_PEERS,
  relayTransaction,
} from './engine-service.ts'
export { FatalBans, type Penalty, type PenaltyCounts, type PenaltySink } from './penalties.ts'
export {
  DEFAULT_MAX_TX_RELAYS,
  DEFAULT_RELAY_FILTER,
  MAX_ROUTES,
  type RelayFilterSettings,
  type RelayStats,
  type Route,
} from './relay.ts'

export function engineService(
  init: EngineServiceInit,
): (components: EngineServiceComponents) => EngineService {
  return (components) => new EngineService(components, init)
}
