/**
 * The local devnet's public face (`timecoin devnet`): `startDevnet` runs N masternode processes on
 * loopback and hands back their RPC access, `runPaymentDemo` pays from the faucet over JSON-RPC and
 * times each payment, `devnetBanner` says what is running.
 */
export { devnetBanner } from './banner.ts'
export { type ChildExit, cliEntry, NodeProcess, stopAll } from './children.ts'
export {
  DEFAULT_MASTERNODES,
  type Devnet,
  type DevnetNode,
  type DevnetOptions,
  faucetAddress,
  logTail,
  startDevnet,
  timeAmount,
} from './devnet.ts'
export {
  type Coin,
  type DemoNode,
  type DemoOptions,
  type DemoResult,
  type Payment,
  quantile,
  runPaymentDemo,
} from './payment-demo.ts'
export { freePort, type PortPlan, planPorts, portFree } from './port-plan.ts'
