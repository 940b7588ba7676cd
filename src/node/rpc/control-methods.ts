/**
 * bitcoind's control methods: `help` (every method by category, or one in full, from the
 * registry itself), `uptime` and `stop` (answered first, then the node's shutdown begins).
 */
import { RpcError } from '../errors.ts'
import { optional, text } from './params.ts'
import { helpText, type RpcMethod, type RpcRegistry, rpcMethod } from './registry.ts'

export interface ControlNode {
  /** Seconds since the node started. */
  uptime(): number
  /** Begins an orderly shutdown. */
  stop(): void
}

export function controlMethods(node: ControlNode, registry: RpcRegistry): RpcMethod[] {
  return [
    rpcMethod({
      name: 'help',
      category: 'Control',
      summary: 'Lists every method, or explains one.',
      params: [optional('command', text(100), 'the method to explain')],
      handler: ({ command }) => {
        const help = helpText(registry, command)
        if (help === undefined)
          throw new RpcError('RPC_INVALID_PARAMS', `help: unknown command: ${command}`)
        return help
      },
    }),
    rpcMethod({
      name: 'uptime',
      category: 'Control',
      summary: 'Seconds since the node started.',
      params: [],
      handler: () => node.uptime(),
    }),
    rpcMethod({
      name: 'stop',
      category: 'Control',
      summary: 'Stops the node (answered first).',
      params: [],
      handler: (_, call) => {
        call.afterResponse(() => node.stop())
        return 'TIME Coin node stopping'
      },
    }),
  ]
}
