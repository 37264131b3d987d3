import "../src/pact-env.js";
import { Verifier, type MessageProviders, type VerifierOptions } from "@pact-foundation/pact";
import type { BrokerSettings } from "../broker/broker-settings.js";
import { PACT_LOG_LEVEL, withoutAmbientBrokerSettings } from "../src/pact-env.js";
import { PROVIDER } from "../src/auth-events.js";

/** Where the pacts come from: the committed files, or a Pact Broker. */
export type PactSource =
  | { kind: "files"; files: string[] }
  /** `pactUrl`: one pact named by a broker webhook (contract_requiring_verification_published). */
  | { kind: "broker"; broker: BrokerSettings; pactUrl?: string };

/**
 * The consumer versions whose pacts auth must satisfy: what each consumer has
 * on its main branch, what is deployed or released anywhere, and the pacts of
 * the branch of the same name (a feature built across services together).
 */
export const CONSUMER_VERSION_SELECTORS = [{ mainBranch: true }, { matchingBranch: true }, { deployedOrReleased: true }];

export interface ProviderHandlers {
  stateHandlers: NonNullable<VerifierOptions["stateHandlers"]>;
  messageProviders: MessageProviders;
}

export function authVerifierOptions(source: PactSource, handlers: ProviderHandlers): VerifierOptions {
  const common = { provider: PROVIDER, logLevel: PACT_LOG_LEVEL, ...handlers };
  if (source.kind === "files") return { ...common, pactUrls: source.files, failIfNoPactsFound: true };
  const { broker } = source;
  const publish = broker.publishVerificationResults
    ? {
        publishVerificationResult: true,
        providerVersion: broker.version,
        providerVersionBranch: broker.branch,
        ...(broker.buildUrl ? { buildUrl: broker.buildUrl } : {}),
      }
    : {};
  const auth = broker.token ? { pactBrokerToken: broker.token } : {};
  if (source.pactUrl) return { ...common, ...auth, ...publish, pactUrls: [source.pactUrl] };
  return {
    ...common,
    ...auth,
    ...publish,
    pactBrokerUrl: broker.baseUrl,
    consumerVersionSelectors: CONSUMER_VERSION_SELECTORS,
    // A consumer's new expectation does not fail auth's build until auth has once verified it.
    enablePending: true,
    providerVersionBranch: broker.branch,
  };
}

export interface InteractionResult {
  consumer: string;
  description: string;
  ok: boolean;
  pending: boolean;
  /** What did not match, one line each (`$.email: Actual map is missing ...`). */
  mismatches: string[];
}

export interface VerificationResult {
  ok: boolean;
  interactions: InteractionResult[];
  /** Pact's own report, as printed. */
  output: string;
  /** Set when the verifier could not run at all. */
  error?: string;
}

interface VerifierJson {
  result?: boolean;
  output?: string[];
  errors?: Array<{ interaction?: string; mismatch?: { message?: string } }>;
  interactionResults?: Array<{
    consumer: string;
    description: string;
    result: string;
    pending?: boolean;
    mismatch?: { type?: string; message?: string; mismatches?: Array<{ path?: string; mismatch?: string; type?: string }> };
  }>;
}

export function summariseVerifierJson(json: string): VerificationResult {
  const parsed = JSON.parse(json) as VerifierJson;
  const interactions = (parsed.interactionResults ?? []).map((r) => ({
    consumer: r.consumer,
    description: r.description,
    ok: r.result === "OK",
    pending: r.pending ?? false,
    mismatches: r.mismatch?.mismatches?.map((m) => `${m.path ?? ""}: ${m.mismatch ?? m.type}`) ?? (r.mismatch?.message ? [r.mismatch.message] : []),
  }));
  const result: VerificationResult = { ok: parsed.result === true, interactions, output: (parsed.output ?? []).join("\n") };
  // No interaction ran: the pacts could not be loaded (an unreachable broker, a missing file).
  if (interactions.length === 0 && parsed.errors?.length) {
    result.error = parsed.errors.map((e) => [e.interaction, e.mismatch?.message].filter(Boolean).join(": ")).join("; ");
  }
  return result;
}

/** Runs Pact's verifier (the native core) over the source; never throws for a failed verification. */
export async function verifyAuth(source: PactSource, handlers: ProviderHandlers): Promise<VerificationResult> {
  const verifier = new Verifier(authVerifierOptions(source, handlers));
  try {
    // The options name the broker when there is one; the ambient variables must not add it (see pact-env.ts).
    return summariseVerifierJson(String(await withoutAmbientBrokerSettings(() => verifier.verifyProvider())));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    try {
      return summariseVerifierJson(message);
    } catch {
      return { ok: false, interactions: [], output: "", error: message };
    }
  }
}
