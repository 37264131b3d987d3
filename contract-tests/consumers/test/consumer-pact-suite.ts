import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EventRoute } from "@acme/kit/consumer";
import { authEvent } from "../../src/auth-events.js";
import { compareWithCommitted } from "../../src/pact-files.js";
import { runInteraction, writeConsumerPact, type ConsumerContract } from "../consumer-contract.js";

/**
 * The consumer half of a pact, one test per event: Pact's core hands the
 * example message to the service's real handler. The pact files go to temp
 * directories of this file only, so test files never race on one file; the
 * last test holds the committed pact to what these tests produce.
 */
export function consumerPactSuite(contract: ConsumerContract, routes: () => EventRoute<never>[]): void {
  describe(`${contract.consumer}'s pact with auth`, () => {
    const dirs: string[] = [];
    const tempDir = () => {
      const dir = mkdtempSync(join(tmpdir(), `pact-${contract.consumer}-`));
      dirs.push(dir);
      return dir;
    };
    afterAll(() => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    const perEvent = tempDir();
    it.each(contract.events.map((consumed) => [authEvent(consumed.event).description, consumed] as const))(
      `%s: ${contract.consumer}'s real handler applies the pact's message`,
      async (_description, consumed) => {
        await runInteraction(contract, consumed, perEvent);
      },
    );

    it(`states every event ${contract.consumer} subscribes to, and no other`, () => {
      const subscribed = routes()
        .map((route) => route.schema.typeName)
        .sort();
      const stated = contract.events.map((consumed) => authEvent(consumed.event).schema.typeName).sort();
      expect(stated).toEqual(subscribed);
    });

    it("the committed pact is exactly what these tests produce", async () => {
      const produced = await writeConsumerPact(contract, tempDir());
      const comparison = compareWithCommitted(produced, contract.consumer);
      expect(comparison.ok, comparison.report).toBe(true);
    });
  });
}
