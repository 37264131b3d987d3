import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { type CheckResult, isMain, repoRoot } from "./common.js";

/** Longest function kit may hold, in lines from its first line to its last (nested functions count inside their parent). */
export const MAX_FUNCTION_LINES = 60;

/**
 * Functions allowed over the limit until they are split ("file#name": the
 * most lines each may keep), for a change too large for one commit. Empty
 * now. An entry must still be needed and must not grow: the check fails
 * otherwise, so the list only shrinks.
 */
export const PENDING_SPLITS: Record<string, number> = {};

export interface LongFunction {
  file: string;
  /** 1-based line where the function starts. */
  line: number;
  name: string;
  lines: number;
}

export interface FunctionLengthResult extends CheckResult {
  offenders: LongFunction[];
  /** PENDING_SPLITS entries no longer needed. */
  stale: string[];
  filesChecked: number;
}

/**
 * Every function, arrow, method, accessor and constructor in the TypeScript
 * files under `dir` longer than `max` lines, except those `pending` allows
 * (up to their ceiling). A pending entry no longer needed is reported too.
 */
export function longFunctions(dir: string, max = MAX_FUNCTION_LINES, pending: Record<string, number> = {}): FunctionLengthResult {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => join(e.parentPath, e.name));
  const long = files.flatMap((file) => longFunctionsIn(file, max));
  const offenders = long.filter((o) => !(o.lines <= (pending[`${o.file}#${o.name}`] ?? 0)));
  const stale = Object.keys(pending).filter((key) => !long.some((o) => `${o.file}#${o.name}` === key));
  const lines = [
    ...offenders.map((o) => `  ${o.file}:${o.line} ${o.name} (${o.lines} lines)`),
    ...stale.map((key) => `  ${key} is split now (or gone): remove it from PENDING_SPLITS`),
  ];
  const ok = lines.length === 0;
  const report = ok
    ? `function length: ${files.length} files, no function over ${max} lines (${Object.keys(pending).length} pending splits)`
    : [`function length: over ${max} lines:`, ...lines].join("\n");
  return { ok, report, offenders, stale, filesChecked: files.length };
}

function longFunctionsIn(file: string, max: number): LongFunction[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > max) found.push({ file: relative(repoRoot, file), line: first + 1, name: nameOf(node, source), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function nameOf(node: ts.SignatureDeclaration, source: ts.SourceFile): string {
  if (node.name) return node.name.getText(source);
  // An anonymous function or arrow: name it after what it is assigned to or passed as.
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(source);
  if (ts.isCallExpression(parent)) return `(argument of ${parent.expression.getText(source)})`;
  return "(anonymous)";
}

if (isMain(import.meta.url)) {
  const result = longFunctions(join(repoRoot, "services/kit/src"), MAX_FUNCTION_LINES, PENDING_SPLITS);
  console.log(result.report);
  process.exit(result.ok ? 0 : 1);
}
