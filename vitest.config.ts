import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "tools/checks/test/fixtures/**"],
    globalSetup: ["tools/testing/src/global-setup.ts"],
    // Two cores: two files at a time; each file owns its databases and streams.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // .ci/run reads the JSON report to print "N passed, N failed".
    reporters: ["default", "json"],
    outputFile: { json: "reports/vitest.json" },
  },
});
