/**
 * The network services shared by both shells (DESIGN §2): libp2p services built on libp2p's
 * interfaces only, so the same code runs in the Node host, the browser host and over
 * `@libp2p/memory`. Exported by the `./node` and `./browser` entries, not by the core's `.`.
 */

export * from './committee-links/index.ts'
export * from './defence/index.ts'
export * from './discovery/index.ts'
export * from './engine-service/index.ts'
export * from './gossip/index.ts'
export * from './handshake/index.ts'
export * from './rotating-bloom.ts'
export * from './sync-service/index.ts'
export * from './wallet-client/index.ts'
export * from './wallet-service/index.ts'
