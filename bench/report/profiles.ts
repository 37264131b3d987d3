import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** What one V8 CPU profile (`--cpu-prof`) of a benchmark's process says, in brief. */
export interface ProfileSummary {
  /** The profile's path, relative to the repository. */
  file: string;
  /** Which process it was: a service (`services/profile`), a bench script, or `node` when its frames do not say. */
  process: string;
  /** CPU time in it, idle and module loading excluded. */
  seconds: number;
  /** CPU time in Node's module loader (start-up, and any lazy import), left out of `top`. */
  loadingSeconds: number;
  /** The frames with the most self time, with their share of `seconds`. */
  top: { frame: string; share: number }[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const NOT_CPU = new Set(["(idle)", "(root)"]);

/** A frame's name as a person looks for it: function, then the package or file it is in. */
function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    .replace(/^file:\/\//, "")
    .replace(/.*node_modules\//, "")
    .replace(/.*\/(services\/[^/]+\/)/, "$1")
    .replace(/.*\/(bench\/)/, "$1");
  return where ? `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}` : functionName || "(anonymous)";
}

/**
 * The process a profile belongs to, from the code it ran: a benchmark
 * script of bench/ itself when one ran (its helpers in bench/support run in
 * it too), else the service bundle or bench file most of its frames are in.
 */
function processOf(nodes: ProfileNode[]): string {
  const counts = new Map<string, number>();
  for (const node of nodes) {
    const match = /\/(services\/[^/]+)\/dist\/|\/(bench\/.+\.[cm]?[jt]s)$/.exec(node.callFrame.url);
    const name = match?.[1] ?? match?.[2];
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const script = [...counts.keys()].find((name) => /^bench\/[^/]+\.[cm]?[jt]s$/.test(name));
  return script ?? [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "node";
}

/**
 * The ids of nodes where Node's module loader itself is running (resolving,
 * reading, compiling a start-up's imports): a cost of starting, not of the
 * work measured. A frame counts when the nearest frame above it that is not
 * Node's own or native is the loader; code of ours or of a package that a
 * module runs at its top level is not counted.
 */
function loadingNodes(nodes: ProfileNode[]): Set<number> {
  const parent = new Map<number, ProfileNode>();
  for (const node of nodes) for (const child of node.children ?? []) parent.set(child, node);
  const verdict = new Map<number, boolean>();
  const isLoading = (node: ProfileNode | undefined): boolean => {
    if (!node) return false;
    const known = verdict.get(node.id);
    if (known !== undefined) return known;
    const url = node.callFrame.url;
    const answer = url.startsWith("node:internal/modules/") ? true : url === "" || url.startsWith("node:") ? isLoading(parent.get(node.id)) : false;
    verdict.set(node.id, answer);
    return answer;
  };
  return new Set(nodes.filter((n) => isLoading(n)).map((n) => n.id));
}

export function summarizeProfile(path: string, root: string, frames = 5): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const loading = loadingNodes(profile.nodes);
  const self = new Map<string, number>();
  let total = 0;
  let loadingMicros = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const micros = profile.timeDeltas[i] ?? 0;
    if (!node || NOT_CPU.has(node.callFrame.functionName) || micros <= 0) return;
    if (loading.has(id)) {
      loadingMicros += micros;
      return;
    }
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + micros);
    total += micros;
  });
  const top = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, frames)
    .map(([frame, micros]) => ({ frame, share: total ? micros / total : 0 }));
  return { file: relative(root, path), process: processOf(profile.nodes), seconds: total / 1e6, loadingSeconds: loadingMicros / 1e6, top };
}

/** Every `.cpuprofile` in `dir`, busiest first. */
export function summarizeProfiles(dir: string, root: string): ProfileSummary[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  } catch {
    return [];
  }
  return files.map((f) => summarizeProfile(join(dir, f), root)).sort((a, b) => b.seconds - a.seconds);
}
