// Architecture rules, checked by `npm run arch` (tools/checks/architecture.ts).
// Paths are matched anywhere in a module's path, `(^|/)services/<name>/`, so the
// fixtures under tools/checks/test/fixtures/arch/ exercise this same file.
// Imports by package name (`@acme/auth/...`) resolve through the workspace
// symlinks in node_modules to services/auth/..., so the same rules catch them.
const path = require("node:path");

/** A service: anything under services/ except the technical kit. */
const SERVICE = "(^|/)services/([^/]+)/";
const KIT = "(^|/)services/kit/";
/** Infrastructure packages, resolved (node_modules/...) or not (bare name). */
const INFRA_PACKAGES = "(^|(^|/)node_modules/)(postgres|drizzle-orm|@nats-io/[^/]+|@connectrpc/[^/]+)(/|$)";
/** Generated wire types (gen/, imported as @acme/gen/...): what travels, not what a use case means. */
const GENERATED = "(^|/)gen/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cross-service-imports",
      comment:
        "A service imports no other service (its own code, services/kit and gen only). " +
        "Facts cross a boundary as events, questions as Connect RPC: see docs/architecture.md.",
      severity: "error",
      from: { path: SERVICE, pathNot: KIT },
      to: { path: SERVICE, pathNot: ["(^|/)services/$2/", KIT] },
    },
    {
      name: "kit-imports-no-service",
      comment: "services/kit is a technical library: it knows no service, no domain, no table.",
      severity: "error",
      from: { path: KIT },
      to: { path: SERVICE, pathNot: KIT },
    },
    {
      name: "domain-imports-no-infrastructure",
      comment:
        "Domain code (services/*/src/domain) is pure: no database, bus or RPC library, " +
        "none of its service's use cases or adapters (src/app, src/db, src/events, src/rpc, src/security, src/mail, src/connect.ts), no kit.",
      severity: "error",
      from: { path: "(^|/)services/([^/]+)/src/domain/" },
      to: {
        path: [INFRA_PACKAGES, "(^|/)services/$2/src/(app|db|events|rpc|security|mail)/", "(^|/)services/$2/src/connect\\.ts$", KIT],
      },
    },
    {
      name: "app-depends-on-ports",
      comment:
        "Use cases (services/*/src/app) are written against ports, interfaces they declare and receive: " +
        "no adapter of their service (src/db, src/security, src/mail, src/events, src/rpc, src/connect.ts), " +
        "no database, bus or RPC library, no generated wire type. The domain and kit are allowed.",
      severity: "error",
      from: { path: "(^|/)services/([^/]+)/src/app/" },
      to: {
        path: [INFRA_PACKAGES, GENERATED, "(^|/)services/$2/src/(db|security|mail|events|rpc)/", "(^|/)services/$2/src/connect\\.ts$"],
      },
    },
    {
      name: "services-resolve-every-import",
      comment:
        "An import that cannot be resolved is invisible to the rules above " + "(and usually a typo or a missing dependency in the workspace's package.json).",
      severity: "error",
      from: { path: "(^|/)services/" },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Resolve into node_modules and gen (to see what is imported) but do not cruise them.
    doNotFollow: { path: ["(^|/)node_modules/", "^gen/"] },
    // Type-only imports couple code too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: path.join(__dirname, "tsconfig.json") },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    skipAnalysisNotInRules: true,
  },
};
