/** Just enough of a Dockerfile and a .dockerignore to check them without a Docker engine. */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  keyword: string;
  /** The rest of the instruction, continuation lines joined with a space. */
  args: string;
}

export interface Stage {
  /** What follows FROM, e.g. "${NODE_IMAGE}". */
  base: string;
  /** The name given with AS, if any. */
  name?: string;
  instructions: Instruction[];
}

/** Instructions without comments, blank lines or line continuations. */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!pending && (line === "" || line.startsWith("#"))) continue;
    if (pending && line.startsWith("#")) continue;
    const continued = line.endsWith("\\");
    pending += `${pending ? " " : ""}${continued ? line.slice(0, -1).trim() : line}`;
    if (continued) continue;
    const at = pending.search(/\s/);
    out.push({ keyword: (at < 0 ? pending : pending.slice(0, at)).toUpperCase(), args: at < 0 ? "" : pending.slice(at + 1).trim() });
    pending = "";
  }
  return out;
}

/** The build stages, in order; instructions before the first FROM (ARG) are left out. */
export function stages(text: string): Stage[] {
  const out: Stage[] = [];
  for (const i of instructions(text)) {
    if (i.keyword === "FROM") {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args);
      if (!m) throw new Error(`cannot read FROM ${i.args}`);
      out.push({ base: m[1]!, ...(m[2] ? { name: m[2] } : {}), instructions: [] });
    } else if (out.length) out.at(-1)!.instructions.push(i);
  }
  return out;
}

export interface Copy {
  from?: string;
  sources: string[];
  destination: string;
}

/** COPY instructions of a stage, with --from and the paths (JSON form not used here). */
export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === "COPY")
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length);
      const paths = words.filter((w) => !w.startsWith("--"));
      return { ...(from ? { from } : {}), sources: paths.slice(0, -1), destination: paths.at(-1)! };
    });
}

/** RUN commands of a stage, without their --mount and similar flags. */
export function runs(stage: Stage): string[] {
  return stage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args.replace(/^(--\S+\s+)+/, ""));
}

/**
 * Whether `path` (relative to the build context, no leading ./) is sent to
 * the builder, by .dockerignore's rules: `*` within a path segment, `**` across
 * segments, `!` re-includes, the last matching line wins, and a line that
 * matches a parent directory matches everything under it.
 */
export function inBuildContext(dockerignore: string, path: string): boolean {
  const rules = dockerignore
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const negated = l.startsWith("!");
      const pattern = (negated ? l.slice(1) : l).trim().replace(/^\/+/, "").replace(/\/+$/, "");
      return { negated, regex: globToRegExp(pattern) };
    });
  const segments = path.split("/");
  const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join("/"));
  let excluded = false;
  for (const { negated, regex } of rules) if (prefixes.some((p) => regex.test(p))) excluded = !negated;
  return !excluded;
}

function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}
