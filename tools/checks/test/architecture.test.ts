import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type ArchitectureResult, REAL_EXCLUDE, REAL_TARGETS, checkArchitecture } from "../architecture.js";
import { repoRoot } from "../common.js";

const ARCH = "tools/checks/test/fixtures/arch";
const S = `${ARCH}/services`;

describe("architecture rules (dependency-cruiser)", () => {
  let fixtures: ArchitectureResult;

  beforeAll(() => {
    // What npm workspaces make: node_modules/@acme/auth -> services/auth (and gen).
    // Made here because node_modules/ is ignored by git.
    mkdirSync(join(repoRoot, ARCH, "node_modules/@acme"), { recursive: true });
    for (const [name, target] of [
      ["auth", "../../services/auth"],
      ["gen", "../../gen"],
    ]) {
      try {
        symlinkSync(target!, join(repoRoot, ARCH, `node_modules/@acme/${name}`));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
    }
    fixtures = checkArchitecture({ targets: [`${ARCH}/services`, `${ARCH}/gen`] });
  });

  function violationsOf(rule: string) {
    return fixtures.violations.filter((v) => v.rule === rule).map(({ from, to }) => ({ from, to }));
  }

  it("passes on the repository (and cruised its TypeScript)", () => {
    const result = checkArchitecture({ targets: REAL_TARGETS, exclude: REAL_EXCLUDE });
    expect(result.ok, result.report).toBe(true);
    expect(result.totalCruised).toBeGreaterThan(0);
  });

  it("no-cross-service-imports: a service importing another, by path or by package name", () => {
    expect(fixtures.ok).toBe(false);
    expect(violationsOf("no-cross-service-imports")).toEqual([
      { from: `${S}/profile/src/bad-cross-service-package.ts`, to: `${S}/auth/src/events.ts` },
      { from: `${S}/profile/src/bad-cross-service-relative.ts`, to: `${S}/auth/src/events.ts` },
    ]);
    expect(fixtures.report).toContain(`no-cross-service-imports: ${S}/profile/src/bad-cross-service-relative.ts`);
  });

  it("kit-imports-no-service: services/kit importing a service", () => {
    expect(violationsOf("kit-imports-no-service")).toEqual([{ from: `${S}/kit/src/bad-kit-imports-service.ts`, to: `${S}/auth/src/events.ts` }]);
  });

  it("domain-imports-no-infrastructure: postgres, @connectrpc, its own src/db and use cases, the kit", () => {
    expect(violationsOf("domain-imports-no-infrastructure")).toEqual([
      { from: `${S}/billing/src/domain/bad-domain-imports-app.ts`, to: `${S}/billing/src/app/add-contact.ts` },
      { from: `${S}/billing/src/domain/bad-domain-imports-connect.ts`, to: expect.stringMatching(/^node_modules\/@connectrpc\/connect\//) },
      { from: `${S}/billing/src/domain/bad-domain-imports-kit.ts`, to: `${S}/kit/src/logger.ts` },
      { from: `${S}/billing/src/domain/bad-domain-imports-own-db.ts`, to: `${S}/billing/src/db/schema.ts` },
      { from: `${S}/billing/src/domain/bad-domain-imports-postgres.ts`, to: expect.stringMatching(/^node_modules\/postgres\//) },
    ]);
  });

  it("app-depends-on-ports: a use case importing its service's adapters (db, security, events, mail, rpc), postgres or generated wire types", () => {
    expect(violationsOf("app-depends-on-ports")).toEqual([
      { from: `${S}/auth/src/app/bad-app-imports-events.ts`, to: `${S}/auth/src/events/user-events.ts` },
      { from: `${S}/auth/src/app/bad-app-imports-security.ts`, to: `${S}/auth/src/security/hasher.ts` },
      { from: `${S}/billing/src/app/bad-app-imports-generated.ts`, to: `${ARCH}/gen/src/events_pb.ts` },
      { from: `${S}/billing/src/app/bad-app-imports-own-db.ts`, to: `${S}/billing/src/db/schema.ts` },
      { from: `${S}/billing/src/app/bad-app-imports-postgres.ts`, to: expect.stringMatching(/^node_modules\/postgres\//) },
      { from: `${S}/notifications/src/app/bad-app-imports-mail.ts`, to: `${S}/notifications/src/mail/sender.ts` },
      { from: `${S}/profile/src/app/bad-app-imports-rpc.ts`, to: `${S}/profile/src/rpc/profile-messages.ts` },
    ]);
  });

  it("services-resolve-every-import: an import the rules cannot see", () => {
    expect(violationsOf("services-resolve-every-import")).toEqual([{ from: `${S}/profile/src/bad-unresolvable.ts`, to: "@acme/auth/does-not-exist" }]);
  });

  it("reports only the bad-* files: kit, gen, own domain, and use cases with their domain, ports and the kit are allowed", () => {
    expect(
      fixtures.violations.every((v) => /\/bad-[^/]+\.ts$/.test(v.from)),
      fixtures.report,
    ).toBe(true);
    expect(fixtures.violations).toHaveLength(16);
  });

  it("fails when nothing was cruised (dependency-cruiser without a usable TypeScript)", () => {
    const result = checkArchitecture({ targets: [`${ARCH}/empty`] });
    expect(result.ok).toBe(false);
    expect(result.totalCruised).toBe(0);
    expect(result.violations).toEqual([]);
    expect(result.report).toContain("cruised 0 modules");
  });
});
