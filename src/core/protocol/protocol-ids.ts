/**
 * Protocol ids, `/timecoin/<network>/<name>/<version>`, built by `protocolId` and nowhere else, so
 * a node on one network never speaks a protocol of another (the handshake then compares genesis
 * hashes: devnets share a name). Names and versions are a closed list: an id is always one of them.
 */
import { ProtocolError } from '../errors.ts'
import { isNetworkName, type NetworkName } from '../primitives/network.ts'

/** Every protocol the network speaks (docs/PROTOCOL.md §19.2). */
export const PROTOCOL_NAMES = ['handshake', 'consensus', 'tx', 'wallet', 'sync', 'peers'] as const
export type ProtocolName = (typeof PROTOCOL_NAMES)[number]

/** The version of each protocol this software speaks. */
export const PROTOCOL_VERSIONS: Readonly<Record<ProtocolName, number>> = {
  handshake: 1,
  consensus: 1,
  tx: 1,
  wallet: 1,
  sync: 1,
  peers: 1,
}

function isProtocolName(value: unknown): value is ProtocolName {
  return typeof value === 'string' && (PROTOCOL_NAMES as readonly string[]).includes(value)
}

/** `/timecoin/<network>/<name>/<version>`; the version defaults to the one spoken here. */
export function protocolId(
  network: NetworkName,
  name: ProtocolName,
  version: number = PROTOCOL_VERSIONS[name],
): string {
  if (!isNetworkName(network))
    throw new ProtocolError('PROTOCOL_ID_INVALID', `unknown network ${String(network)}`)
  if (!isProtocolName(name))
    throw new ProtocolError('PROTOCOL_ID_INVALID', `unknown protocol ${String(name)}`)
  if (!Number.isSafeInteger(version) || version < 1)
    throw new ProtocolError(
      'PROTOCOL_ID_INVALID',
      `protocol version ${version} is not an integer ≥ 1`,
    )
  return `/timecoin/${network}/${name}/${version}`
}

/** The id of every protocol on `network`, at the versions spoken here. */
export function protocolIds(network: NetworkName): Readonly<Record<ProtocolName, string>> {
  return Object.fromEntries(PROTOCOL_NAMES.map((n) => [n, protocolId(network, n)])) as Record<
    ProtocolName,
    string
  >
}
