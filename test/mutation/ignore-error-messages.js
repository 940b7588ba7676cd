// A StrykerJS ignorer (stryker.config.json, `ignorers`): mutants inside the human-readable
// message of an error, or a name that only labels one, are reported as Ignored instead
// of surviving. That text is not protocol: callers, peers and tests act on the error's class and
// `code`, which are still mutated, so "" or "Stryker was here!" in its place changes nothing
// anyone relies on. Only the text is ignored: removing the throw, the `if` around it or the code
// is still a mutant to kill. docs/TESTING.md, "Mutation testing".
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin'

/** Built-in errors: `new RangeError(message)`, the message first. */
const BUILT_IN_ERRORS = new Set(['Error', 'RangeError', 'TypeError'])
/**
 * Helpers that throw with a message as their last argument: `reject(code, message)`,
 * `invalid(code, message)`, the codec's `fail(code, message)`, utxo-state's local `fail(why)`.
 */
const THROWING_HELPERS = new Set(['reject', 'invalid', 'fail'])

function calleeName(node) {
  const callee = node.callee
  if (callee.type === 'Identifier') return callee.name
  if (callee.type === 'MemberExpression' && callee.property.type === 'Identifier') {
    return callee.property.name
  }
  return undefined
}

/** Where `call` takes an error message, or -1: typed errors are `new XError(code, message, …)`. */
function messageIndex(call) {
  const name = calleeName(call)
  if (name === undefined) return -1
  // `codec(name, coder, maxSize)`: the name only labels its errors; so does the `what` of
  // `weakKeyError(key, what)`.
  if (call.type === 'CallExpression' && name === 'codec') return 0
  if (call.type === 'CallExpression' && name === 'weakKeyError') return 1
  if (call.type === 'NewExpression') {
    if (BUILT_IN_ERRORS.has(name)) return 0
    return name.endsWith('Error') ? 1 : -1
  }
  return THROWING_HELPERS.has(name) ? call.arguments.length - 1 : -1
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'ErrorMessages', {
    shouldIgnore(path) {
      const parent = path.parentPath
      if (parent === null || path.listKey !== 'arguments') return undefined
      if (!parent.isNewExpression() && !parent.isCallExpression()) return undefined
      return messageIndex(parent.node) === path.key
        ? 'the text of an error message (or a codec name in one): not protocol, callers and tests act on the error code'
        : undefined
    },
  }),
]
