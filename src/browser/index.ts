/**
 * The browser entry (`timecoin/browser`): the isomorphic core plus browser adapters. Imports no
 * Node built-in; the boundary test bundles this file for the browser platform.
 */
export * from '../core/index.ts'
export * from '../core/net/index.ts'
export * from './net/host.ts'
export * from './storage/index.ts'
