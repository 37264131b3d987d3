import { isMain } from "../../tools/checks/common.js";
import { brokerSettings } from "../broker/broker-settings.js";
import { CONSUMERS } from "../src/auth-events.js";
import { committedPactPath } from "../src/pact-files.js";
import { createAuthProvider } from "./auth-provider.js";
import { startScratchDatabase } from "./scratch-database.js";
import { verificationLines } from "./verification-report.js";
import { verifyAuth, type PactSource, type VerificationResult } from "./verify-auth.js";

/** Verifies auth against `source` on a scratch database of its own. */
export async function verifyAuthOnScratchDatabase(source: PactSource): Promise<VerificationResult> {
  const database = await startScratchDatabase();
  try {
    const provider = await createAuthProvider(database.url);
    try {
      return await verifyAuth(source, provider);
    } finally {
      await provider.close();
    }
  } finally {
    await database.stop();
  }
}

/** The committed pacts, or, with PACT_BROKER_BASE_URL, the broker (PACT_URL: the one pact a webhook names). */
export function pactSourceFromEnv(env: NodeJS.ProcessEnv = process.env): PactSource {
  const broker = brokerSettings(env);
  if (!broker) return { kind: "files", files: CONSUMERS.map(committedPactPath) };
  return env.PACT_URL ? { kind: "broker", broker, pactUrl: env.PACT_URL } : { kind: "broker", broker };
}

/**
 * `npm run contracts:verify`: auth's provider verification outside the test
 * runner. From the broker it publishes the results (in CI, or with
 * PACT_PUBLISH_VERIFICATION_RESULTS=true) as this commit's version of auth.
 */
if (isMain(import.meta.url)) {
  const source = pactSourceFromEnv();
  const from =
    source.kind === "files"
      ? "the committed pact files (no PACT_BROKER_BASE_URL)"
      : `${source.pactUrl ?? source.broker.baseUrl}${source.broker.publishVerificationResults ? `, publishing results as auth ${source.broker.version}` : ""}`;
  console.log(`verifying auth against ${from}`);
  const result = await verifyAuthOnScratchDatabase(source);
  console.log(verificationLines(result).join("\n"));
  process.exitCode = result.ok ? 0 : 1;
}
