/**
 * The JSON-RPC method registry: each method is one object — name, help category, one-line
 * summary, typed parameters and a handler — and the registry is the only way a call reaches a
 * handler. Invariants: names are unique; a handler receives only arguments its parameter types
 * accepted (params.ts).
 */
import type { ArgsOf, Param } from './params.ts'

/** What a handler knows about its call. */
export interface RpcCall {
  /** Aborted when the client goes away or the server closes: long waits end with it. */
  readonly signal: AbortSignal
  /** Runs `f` once the call's response is sent (how `stop` answers before the node stops). */
  readonly afterResponse: (f: () => void) => void
}

export interface RpcMethod<P extends readonly Param[] = readonly Param[]> {
  readonly name: string
  /** The `help` section it is listed in ("Blockchain", "Control", …). */
  readonly category: string
  readonly summary: string
  readonly params: P
  /** The result, JSON-serializable (bigints become decimal strings, bytes hex). */
  readonly handler: (args: ArgsOf<P>, call: RpcCall) => unknown
}

/** Defines a method with its handler's arguments typed from its parameters. */
export function rpcMethod<const P extends readonly Param[]>(def: RpcMethod<P>): RpcMethod {
  return def as unknown as RpcMethod
}

export class RpcRegistry {
  readonly #methods = new Map<string, RpcMethod>()

  constructor(methods: readonly RpcMethod[] = []) {
    this.add(...methods)
  }

  add(...methods: readonly RpcMethod[]): this {
    for (const m of methods) {
      if (this.#methods.has(m.name)) throw new Error(`RPC method ${m.name} is registered twice`)
      this.#methods.set(m.name, m)
    }
    return this
  }

  get(name: string): RpcMethod | undefined {
    return this.#methods.get(name)
  }

  /** Every method, by category then name. */
  list(): RpcMethod[] {
    return [...this.#methods.values()].sort(
      (a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name),
    )
  }
}

/** `name "param" ( "optional" )`, as bitcoind's help prints a call. */
export function usage(m: RpcMethod): string {
  const args = m.params.map((p) => (p.required ? `${p.name}` : `( ${p.name} )`))
  return [m.name, ...args].join(' ')
}

/** The text `help` answers: every method by category, or one method in full. */
export function helpText(registry: RpcRegistry, name?: string): string | undefined {
  if (name !== undefined) {
    const m = registry.get(name)
    if (m === undefined) return undefined
    const lines = [usage(m), '', m.summary]
    if (m.params.length > 0) {
      lines.push('', 'Arguments:')
      for (const [i, p] of m.params.entries())
        lines.push(
          `${i + 1}. ${p.name} (${p.type.name}, ${p.required ? 'required' : `optional${p.fallback === undefined ? '' : `, default ${JSON.stringify(p.fallback)}`}`}) ${p.help}`,
        )
    }
    return lines.join('\n')
  }
  const lines: string[] = []
  let category: string | undefined
  for (const m of registry.list()) {
    if (m.category !== category) {
      if (category !== undefined) lines.push('')
      lines.push(`== ${m.category} ==`)
      category = m.category
    }
    lines.push(usage(m))
  }
  return lines.join('\n')
}
