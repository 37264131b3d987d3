import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ADMIN_PORTS, SERVICE_PORTS } from "./lib/checks.js";
import { copies, inBuildContext, runs, stages, type Stage } from "./lib/dockerfile.js";
import { SERVICES } from "./lib/model.js";
import { DEPLOY_DIR } from "./lib/render.js";

/** No Docker engine here: the Dockerfiles are read, not built. */
const ROOT = join(DEPLOY_DIR, "..");

const dockerfile = (svc: string) => readFileSync(join(ROOT, "services", svc, "Dockerfile"), "utf8");
const dockerignore = () => readFileSync(join(ROOT, ".dockerignore"), "utf8");
const trim = (path: string) => path.replace(/^\.\//, "").replace(/\/+$/, "");

/** The `--workspace` values and other flags of the `npm ci` in a stage. */
function npmCi(stage: Stage): { workspaces: string[]; flags: string[] } | undefined {
  const run = runs(stage).find((r) => /\bnpm ci\b/.test(r));
  if (!run) return undefined;
  const words = run
    .slice(run.indexOf("npm ci") + "npm ci".length)
    .split("&&")[0]!
    .trim()
    .split(/\s+/);
  const workspaces = words.flatMap((w, i) => (w === "--workspace" || w === "-w" ? [words[i + 1]!] : w.startsWith("--workspace=") ? [w.slice(12)] : []));
  return { workspaces: workspaces.sort(), flags: words.filter((w) => w.startsWith("--") && w !== "--workspace") };
}

/** The services a stage's RUN bundles, if it runs the build script. */
function bundled(stage: Stage): string[] | undefined {
  for (const run of runs(stage)) {
    const m = /(?:tools\/build\/src\/build-services\.ts|npm run build (?:-w|--workspace) @acme\/build --)((?:\s+[a-z]+)*)\s*$/.exec(run);
    if (m) return m[1]!.trim().split(/\s+/).filter(Boolean);
  }
  return undefined;
}

describe.each(SERVICES)("services/%s/Dockerfile", (svc) => {
  const all = () => stages(dockerfile(svc));
  const final = () => all().at(-1)!;
  const buildStage = () => all().find((s) => bundled(s));
  const depsStage = () => all().find((s) => npmCi(s)?.flags.includes("--omit=dev"));

  it("is multi-stage, every stage on node:24-slim (ARG NODE_IMAGE, pinned by digest in CI)", () => {
    expect(dockerfile(svc)).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
    expect(all().length).toBeGreaterThanOrEqual(3);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ARG reference, literally
    for (const s of all()) expect(s.base).toBe("${NODE_IMAGE}");
    expect(final().name).toBeUndefined();
  });

  it("build stage: installs the build's tools (tsx from the root, esbuild from @acme/build) and this workspace, and bundles this service only", () => {
    const stage = buildStage();
    expect(stage, "no stage runs tools/build/src/build-services.ts").toBeDefined();
    expect(bundled(stage!)).toEqual([svc]);
    const ci = npmCi(stage!)!;
    expect(ci.workspaces).toEqual(["@acme/build", `@acme/${svc}`].sort());
    expect(ci.flags).toContain("--include-workspace-root");
    expect(ci.flags).not.toContain("--omit=dev");
    const fromContext = copies(stage!)
      .filter((c) => !c.from)
      .flatMap((c) => c.sources.map(trim));
    for (const path of ["tools/build/src", "gen", "services/kit", `services/${svc}`]) expect(fromContext).toContain(path);
  });

  it("deps stage: npm ci --omit=dev of its own workspace only", () => {
    expect(dockerfile(svc)).toMatch(new RegExp(`npm ci --omit=dev --workspace @acme/${svc}\\b`));
    const ci = npmCi(depsStage()!)!;
    expect(ci.workspaces).toEqual([`@acme/${svc}`]);
    expect(ci.flags).not.toContain("--include-workspace-root");
  });

  it("final stage: user node, the service's ports (public and admin), runs the bundle on plain node", () => {
    const keywords = final().instructions;
    const last = (k: string) => keywords.filter((i) => i.keyword === k).at(-1)?.args;
    expect(last("USER")).toBe("node");
    expect(last("EXPOSE")).toBe(`${SERVICE_PORTS[svc]} ${ADMIN_PORTS[svc]}`);
    expect(last("WORKDIR")).toBe(`/app/services/${svc}`);
    expect(keywords.some((i) => i.keyword === "ENV" && /\bNODE_ENV=production\b/.test(i.args))).toBe(true);
    expect(last("CMD")).toBe('["node", "--enable-source-maps", "dist/main.mjs"]');
    expect(runs(final()), "nothing is installed or built in the final stage").toEqual([]);
    for (const i of keywords) expect(`${i.keyword} ${i.args}`).not.toMatch(/\btsx\b|\.ts\b/);
  });

  it("final stage: production node_modules, the bundle and the migrations of this service, package.json files, nothing else", () => {
    const build = buildStage()!.name;
    const deps = depsStage()!.name;
    const copied = copies(final()).map((c) => ({ from: c.from, sources: c.sources.map(trim), destination: trim(c.destination) }));
    for (const c of copied) {
      expect(c.from, `COPY ${c.sources.join(" ")} takes files from the build context`).toBeDefined();
      expect([build, deps]).toContain(c.from);
      for (const source of c.sources) expect(source).not.toMatch(/(^|\/)(src|gen|kit|tools)(\/|$)/);
    }
    const find = (from: string | undefined, source: string) => copied.find((c) => c.from === from && c.sources.includes(source));
    expect(find(deps, "/app/node_modules")?.destination).toBe("node_modules");
    expect(find(build, `/app/services/${svc}/dist`)?.destination).toBe(`services/${svc}/dist`);
    // ../drizzle from dist/: the migrations sit beside the bundle.
    expect(find(build, `/app/services/${svc}/drizzle`)?.destination).toBe(`services/${svc}/drizzle`);
    const fromBuild = copied.filter((c) => c.from === build).flatMap((c) => c.sources);
    expect(fromBuild.sort()).toEqual([`/app/services/${svc}/dist`, `/app/services/${svc}/drizzle`]);
    // From the deps stage: node_modules and manifests only, nothing the build produced.
    const fromDeps = copied.filter((c) => c.from === deps).flatMap((c) => c.sources);
    for (const source of fromDeps) expect(source).toMatch(new RegExp(`^/app/(node_modules|package\\.json|services/${svc})$`));
  });

  it("the deps stage removes the links to our workspaces, which the image does not hold", () => {
    expect(runs(depsStage()!).join("\n")).toMatch(/rm -rf node_modules\/@acme\b/);
  });

  it("copies no other service into the image", () => {
    for (const other of SERVICES.filter((s) => s !== svc)) expect(dockerfile(svc)).not.toContain(`services/${other}/`);
  });
});

describe(".dockerignore", () => {
  const lines = () => dockerignore().split("\n");
  const filesUnder = (dir: string): string[] =>
    readdirSync(join(ROOT, dir)).flatMap((name) => {
      const path = join(dir, name);
      return statSync(join(ROOT, path)).isDirectory() ? filesUnder(path) : [path];
    });

  it("keeps node_modules, .devstack, git and env files out of the build context", () => {
    for (const pattern of ["**/node_modules", ".devstack", ".git", "**/.env"]) expect(lines()).toContain(pattern);
  });

  it("keeps every workspace's package.json in it (npm ci checks them against the lockfile)", () => {
    const workspaces = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] }).workspaces;
    for (const ws of workspaces) expect(inBuildContext(dockerignore(), `${ws}/package.json`), ws).toBe(true);
    expect(inBuildContext(dockerignore(), "package-lock.json")).toBe(true);
  });

  it("sends what the build stages copy: the build script, the service's sources and migrations, kit and gen", () => {
    for (const svc of SERVICES) {
      for (const path of [
        "tsconfig.json",
        "tools/build/src/build-services.ts",
        `services/${svc}/src/main.ts`,
        `services/${svc}/src/migrate.ts`,
        ...filesUnder(`services/${svc}/drizzle`),
      ]) {
        expect(inBuildContext(dockerignore(), path), path).toBe(true);
      }
      for (const dir of ["gen/src", "services/kit/src"])
        expect(
          filesUnder(dir).some((f) => inBuildContext(dockerignore(), f)),
          dir,
        ).toBe(true);
      for (const { sources } of stages(dockerfile(svc)).flatMap((s) => copies(s).filter((c) => !c.from))) {
        for (const source of sources.map(trim).filter((s) => s && s !== ".")) {
          expect(existsSync(join(ROOT, source)), `${svc}: COPY ${source}`).toBe(true);
          expect(inBuildContext(dockerignore(), source), `${svc}: COPY ${source}`).toBe(true);
        }
      }
    }
  });

  it("leaves out what the image builds or must not hold: dist/, node_modules, tests, other tools", () => {
    for (const path of [
      "services/auth/dist/main.mjs",
      "node_modules/tsx/package.json",
      "services/kit/node_modules/x/index.js",
      "services/profile/test/x.test.ts",
      ".git/HEAD",
      "services/billing/.env",
      "tools/launcher/src/start.ts",
      "tools/build/test/build.test.ts",
    ]) {
      expect(inBuildContext(dockerignore(), path), path).toBe(false);
    }
  });
});
