/**
 * The isomorphic core of TIME Coin: pure protocol logic with no I/O of its own. It imports no
 * `node:` module, uses no Buffer, process or DOM, and runs unchanged in Node, browsers and edge
 * runtimes (a test enforces this boundary).
 */
export * from './consensus/index.ts'
export * from './crypto/index.ts'
export * from './encoding/index.ts'
export * from './engine/index.ts'
export * from './errors.ts'
export * from './ledger/index.ts'
export * from './primitives/index.ts'
export * from './storage/index.ts'
