/** The registry a node serves before the network exists: chain, mempool and finality methods, help, uptime, stop. */
import { chainMethods } from './chain-methods.ts'
import { controlMethods } from './control-methods.ts'
import { RpcRegistry } from './registry.ts'
import type { RpcNode } from './rpc-node.ts'

export function nodeRegistry(node: RpcNode): RpcRegistry {
  const registry = new RpcRegistry(chainMethods(node))
  return registry.add(...controlMethods(node, registry))
}
