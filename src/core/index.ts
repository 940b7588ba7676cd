/**
 * The isomorphic core of TIME Coin: pure protocol logic with no I/O of its own, using only what
 * every JavaScript runtime has (Uint8Array, bigint, WebCrypto), so it runs unchanged on servers,
 * in browsers and at the edge (test/node/boundary.test.ts enforces this).
 */
export * from './consensus/index.ts'
export * from './crypto/index.ts'
export * from './encoding/index.ts'
export * from './engine/index.ts'
export * from './error-codes.ts'
export * from './errors.ts'
export * from './ledger/index.ts'
export * from './primitives/index.ts'
export * from './protocol/index.ts'
export * from './storage/index.ts'
export * from './sync/index.ts'
export * from './wallet/index.ts'
