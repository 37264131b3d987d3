import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The console's web app: plain React + TypeScript; Vite's own transform
// handles the JSX (no plugin needed for a production build).
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2_000 },
  oxc: { jsx: { runtime: "automatic" } },
});
