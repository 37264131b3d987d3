import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

export const SERVICES = ["auth", "profile", "billing", "notifications"] as const;
export type ServiceName = (typeof SERVICES)[number];

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Our own workspaces (@acme/*) are TypeScript source: they go into the
 * bundle. Every other package stays in node_modules, loaded by plain Node
 * (native addons such as @node-rs/argon2 cannot be bundled anyway).
 */
const keepThirdPartyExternal: Plugin = {
  name: "keep-third-party-external",
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@acme/") ? undefined : { path: args.path, external: true }));
  },
};

/** The service's command-line entry points, each bundled on its own. */
const ENTRY_POINTS = ["main", "migrate", "dlq"] as const;

/**
 * Bundles a service's entry points into `services/<name>/dist/<entry>.mjs`
 * (main: the service; migrate: its migrations alone; dlq: its dead-letter
 * command, where it has one), run with plain `node`. Running the TypeScript through tsx costs about 40 MB of resident
 * memory per process (the loader and its compile cache); the bundle idles
 * near 70 MB. dist/ sits beside src/, so paths the service resolves from
 * import.meta.url (its drizzle/ migrations) stay the same.
 */
export async function buildService(name: ServiceName, outdir = `${repoRoot}services/${name}/dist`): Promise<string> {
  const dir = `${repoRoot}services/${name}`;
  const result = await build({
    entryPoints: ENTRY_POINTS.map((entry) => `${dir}/src/${entry}.ts`).filter((file) => existsSync(file)),
    outdir,
    write: false,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    sourcemap: "linked",
    logLevel: "warning",
    plugins: [keepThirdPartyExternal],
  });
  // Write-then-rename: a process starting from dist/ while another build
  // runs (two launchers, parallel tests) never reads a half-written file.
  for (const file of result.outputFiles) {
    await mkdir(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
  }
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const wanted = (process.argv.slice(2).length ? process.argv.slice(2) : SERVICES) as ServiceName[];
  for (const name of wanted) {
    if (!SERVICES.includes(name)) throw new Error(`unknown service "${name}"; one of ${SERVICES.join(", ")}`);
    const started = Date.now();
    console.log(`built ${await buildService(name)} in ${Date.now() - started} ms`);
  }
}
