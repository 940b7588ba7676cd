/**
 * The `net` log's view of the host: committee links coming up and going down (info — what an
 * operator of a masternode watches), and peers connecting and disconnecting (debug). Invariants:
 * it only listens, changes nothing in the host, and the function it returns removes every
 * listener it added.
 */
import type { PeerId } from '@libp2p/interface'
import type { CommitteeLinksEvents } from '../../core/net/index.ts'
import type { Logger } from './log.ts'

/** What is listened to: the host's peer events and, on a masternode, its committee links. */
export interface NetworkEventSource {
  addEventListener(
    type: 'peer:connect' | 'peer:disconnect',
    fn: (e: CustomEvent<PeerId>) => void,
  ): void
  removeEventListener(
    type: 'peer:connect' | 'peer:disconnect',
    fn: (e: CustomEvent<PeerId>) => void,
  ): void
  readonly services: {
    readonly committeeLinks?: {
      addEventListener<K extends keyof CommitteeLinksEvents>(
        type: K,
        fn: (e: CommitteeLinksEvents[K]) => void,
      ): void
      removeEventListener<K extends keyof CommitteeLinksEvents>(
        type: K,
        fn: (e: CommitteeLinksEvents[K]) => void,
      ): void
    }
  }
}

/** Logs the network's events to `log` (the `net` component); returns the function that stops. */
export function logNetwork(host: NetworkEventSource, log: Logger): () => void {
  const connect = (e: CustomEvent<PeerId>): void =>
    log.debug({ peer: e.detail.toString() }, 'peer connected')
  const disconnect = (e: CustomEvent<PeerId>): void =>
    log.debug({ peer: e.detail.toString() }, 'peer disconnected')
  const up = (e: CommitteeLinksEvents['link:up']): void =>
    log.info(
      { member: e.detail.key, peer: e.detail.peer?.toString() },
      `committee link to ${e.detail.key} up`,
    )
  const down = (e: CommitteeLinksEvents['link:down']): void =>
    log.info(
      { member: e.detail.key, peer: e.detail.peer?.toString(), code: e.detail.error?.code },
      `committee link to ${e.detail.key} down${e.detail.error === undefined ? '' : `: ${e.detail.error.message}`}`,
    )
  host.addEventListener('peer:connect', connect)
  host.addEventListener('peer:disconnect', disconnect)
  const links = host.services.committeeLinks
  links?.addEventListener('link:up', up)
  links?.addEventListener('link:down', down)
  return () => {
    host.removeEventListener('peer:connect', connect)
    host.removeEventListener('peer:disconnect', disconnect)
    links?.removeEventListener('link:up', up)
    links?.removeEventListener('link:down', down)
  }
}
