import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import { buildDescriptorSet } from "./apis.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Node flags for the console process. A capped old space makes V8 collect
 * before it grows: with 10,000 spans held the process stays near 93 MB
 * resident on Node 24 instead of climbing past 130 MB on uncollected
 * garbage. --optimize-for-size trades some speed, which an operator's tool
 * does not need, for about 2 MB less heap slack.
 */
export const CONSOLE_NODE_FLAGS = ["--max-semi-space-size=1", "--max-old-space-size=48", "--optimize-for-size"];

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * The console's server bundled into dist/main.mjs (run with plain node: the
 * tsx loader would cost about 40 MB of resident memory) with the contracts'
 * descriptors beside it (dist/descriptors.binpb, with the .proto comments),
 * and the web app into web/dist by Vite. `onlyIfStale`: skip each part whose
 * output is newer than every source it is made from (npm start then adds
 * well under a second).
 */
export async function buildConsole(options: { onlyIfStale?: boolean } = {}): Promise<void> {
  const server = join(root, "dist/main.mjs");
  const serverSources = Math.max(newest(join(root, "src")), newest(join(root, "../../proto")), newest(join(root, "../../gen/src")));
  if (!options.onlyIfStale || !existsSync(server) || !existsSync(join(root, "dist/descriptors.binpb")) || statSync(server).mtimeMs < serverSources)
    await buildServer();
  const index = join(root, "web/dist/index.html");
  if (
    options.onlyIfStale &&
    existsSync(index) &&
    statSync(index).mtimeMs > Math.max(newest(join(root, "web/src")), newest(join(root, "../../gen/src")), statSync(join(root, "web/index.html")).mtimeMs)
  )
    return;
  const { build } = await import("vite");
  await build({ configFile: join(root, "web/vite.config.ts"), logLevel: "warn" });
}

async function buildServer(): Promise<void> {
  await esbuild({
    entryPoints: [join(root, "src/main.ts")],
    outfile: join(root, "dist/main.mjs"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    sourcemap: "linked",
    logLevel: "warning",
    plugins: [
      {
        name: "keep-third-party-external",
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@acme/") ? undefined : { path: args.path, external: true }));
        },
      },
    ],
  });
  writeFileSync(join(root, "dist/descriptors.binpb"), buildDescriptorSet());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildConsole();
