/**
 * One libp2p `ConnectionGater` out of several (the defence layer's IP gate, the handshake's bans,
 * the committee's reserved slots): a connection or dial is refused when any gater refuses it, and
 * an address is kept for a peer only when every gater keeps it.
 *
 * Invariants: gaters are asked in the order given and the first refusal ends the asking; a gater
 * that does not implement a hook allows; the composition only adds refusals to its parts.
 */
import type { ConnectionGater } from '@libp2p/interface'

type DenyHook = Exclude<keyof ConnectionGater, 'filterMultiaddrForPeer'>

const DENY_HOOKS: readonly DenyHook[] = [
  'denyDialPeer',
  'denyDialMultiaddr',
  'denyInboundConnection',
  'denyOutboundConnection',
  'denyInboundEncryptedConnection',
  'denyOutboundEncryptedConnection',
  'denyInboundUpgradedConnection',
  'denyOutboundUpgradedConnection',
  'denyInboundRelayReservation',
  'denyOutboundRelayedConnection',
  'denyInboundRelayedConnection',
]

type AnyHook = (...args: unknown[]) => boolean | Promise<boolean>

export function composeGaters(...gaters: readonly ConnectionGater[]): ConnectionGater {
  const out: Record<string, AnyHook> = {}
  for (const hook of DENY_HOOKS) {
    const parts = gaters.flatMap((g) => {
      const f = g[hook] as AnyHook | undefined
      return f === undefined ? [] : [f]
    })
    if (parts.length === 0) continue
    out[hook] = async (...args) => {
      for (const deny of parts) if ((await deny(...args)) === true) return true
      return false
    }
  }
  const filters = gaters.flatMap((g) =>
    g.filterMultiaddrForPeer === undefined ? [] : [g.filterMultiaddrForPeer],
  )
  const gater = out as ConnectionGater
  if (filters.length > 0)
    gater.filterMultiaddrForPeer = async (peer, address) => {
      for (const keep of filters) if ((await keep(peer, address)) === false) return false
      return true
    }
  return gater
}
