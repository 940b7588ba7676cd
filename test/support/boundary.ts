// Static boundary checks: what a source file imports and which platform globals it touches.
// Uses the TypeScript parser, so comments and strings never trigger a false alarm.
import { builtinModules } from 'node:module'
import ts from 'typescript'

export interface Violation {
  readonly file: string
  readonly line: number
  readonly what: string
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))

export interface BoundaryRules {
  /** Bare (package) specifiers allowed; anything else is refused. Relative paths are checked by `relativeDenied`. */
  readonly allowPackage: (specifier: string) => boolean
  /** Refuse a relative import whose resolved path matches. */
  readonly relativeDenied?: (resolved: string) => boolean
  /** Free identifiers that must not appear. */
  readonly forbiddenGlobals: ReadonlySet<string>
}

function isDeclarationName(node: ts.Identifier): boolean {
  const p = node.parent
  if (ts.isPropertyAccessExpression(p) && p.name === node) return true
  if (ts.isQualifiedName(p) && p.right === node) return true
  if (
    (ts.isPropertyAssignment(p) ||
      ts.isPropertySignature(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isMethodSignature(p) ||
      ts.isVariableDeclaration(p) ||
      ts.isParameter(p) ||
      ts.isFunctionDeclaration(p) ||
      ts.isBindingElement(p) ||
      ts.isImportSpecifier(p) ||
      ts.isExportSpecifier(p)) &&
    p.name === node
  )
    return true
  return false
}

export function checkSource(
  file: string,
  source: string,
  rules: BoundaryRules,
  resolve: (specifier: string) => string = (s) => s,
): Violation[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const out: Violation[] = []
  const report = (node: ts.Node, what: string) =>
    out.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, what })

  const checkSpecifier = (node: ts.Node, spec: string) => {
    if (NODE_BUILTINS.has(spec)) return report(node, `imports Node built-in "${spec}"`)
    if (spec.startsWith('.')) {
      if (rules.relativeDenied?.(resolve(spec)))
        report(node, `imports "${spec}" across the boundary`)
      return
    }
    if (!rules.allowPackage(spec)) report(node, `imports package "${spec}" not allowed here`)
  }

  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      checkSpecifier(node, node.moduleSpecifier.text)
    } else if (ts.isCallExpression(node)) {
      const [arg] = node.arguments
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require'
      if ((isImport || isRequire) && arg !== undefined) {
        if (ts.isStringLiteral(arg)) checkSpecifier(node, arg.text)
        else report(node, 'dynamic import with a computed specifier')
      }
    } else if (ts.isImportTypeNode(node)) {
      const lit = node.argument
      if (ts.isLiteralTypeNode(lit) && ts.isStringLiteral(lit.literal))
        checkSpecifier(node, lit.literal.text)
    } else if (
      ts.isIdentifier(node) &&
      rules.forbiddenGlobals.has(node.text) &&
      !isDeclarationName(node)
    ) {
      report(node, `uses global "${node.text}"`)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return out
}
