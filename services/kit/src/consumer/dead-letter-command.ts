import type { NatsConnection } from "@nats-io/transport-node";
import type { ConsumerDatabase, TransactionOf } from "./apply-batch.js";
import type { ConsumerSettings } from "./consumer-settings.js";
import { createDeadLetterOperations, type DeadLetterOperations } from "./dead-letter-operations.js";
import type { EventRoute } from "./event-route.js";

export const DEAD_LETTER_USAGE = `usage: dlq <command>
  list [limit]        dead letters, oldest first (default limit 100)
  show <seq>          one dead letter: why it failed, its headers, its body decoded
  replay <seq>|all    apply the ORIGINAL event (re-read from the source stream by
                      the letter's recorded sequence, refused when it is gone or
                      differs) through this service's handlers; removed on success
  purge <seq>|all     delete it (or all) without applying`;

export interface DeadLetterCommandDeps<D extends ConsumerDatabase> {
  nc: NatsConnection;
  db: D;
  settings: ConsumerSettings;
  routes: EventRoute<TransactionOf<D>>[];
  out?: (line: string) => void;
}

/**
 * The service's `dlq` command (see each service's README): a text front end
 * to the same operations the admin RPC DeadLetterService serves
 * (dead-letter-operations.ts). Returns the exit code. Replay applies in this
 * process, in the service's database, rather than republishing to the
 * producer's subjects, which a consumer may not publish to (and which every
 * other consumer would receive again).
 */
export async function runDeadLetterCommand<D extends ConsumerDatabase>(args: string[], deps: DeadLetterCommandDeps<D>): Promise<number> {
  const out = deps.out ?? ((line: string) => console.log(line));
  const command: Command = { operations: await createDeadLetterOperations(deps), out, stream: deps.settings.deadLetterStream };
  const [name, arg] = args;
  try {
    switch (name) {
      case "list":
        return await list(command, arg);
      case "show":
        return await show(command, arg);
      case "replay":
        return await replay(command, arg);
      case "purge":
        return await purge(command, arg);
      default:
        out(DEAD_LETTER_USAGE);
        return name ? 2 : 0;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      out(error.message);
      return 2;
    }
    throw error;
  }
}

interface Command {
  operations: DeadLetterOperations;
  out: (line: string) => void;
  stream: string;
}

function sequence(text: string | undefined): number {
  const seq = Number(text);
  if (!Number.isInteger(seq) || seq < 1) throw new UsageError(`expected a sequence number, got "${text ?? ""}"`);
  return seq;
}

async function list({ operations, out, stream }: Command, arg: string | undefined): Promise<number> {
  const limit = arg ? sequence(arg) : 100;
  const letters = [];
  for (let from: number | undefined = 0; from !== undefined && letters.length < limit; ) {
    const page = await operations.list({ pageSize: Math.min(limit - letters.length, 500), from });
    letters.push(...page.letters);
    from = page.next;
  }
  if (letters.length === 0) out(`${stream} is empty`);
  for (const l of letters) {
    const or = (text: string) => text || "-";
    out(
      `${l.sequence}\t${l.failedAt?.toISOString() ?? "-"}\t${or(l.reason)}\t${or(l.eventType)}\tevent ${or(l.eventId)}\tfrom ${or(l.originalStream)}#${l.originalSequence || "-"}\t${or(l.error)}`,
    );
  }
  return 0;
}

async function show({ operations, out, stream }: Command, arg: string | undefined): Promise<number> {
  const detail = await operations.get(sequence(arg));
  if (!detail) throw new UsageError(`no dead letter ${arg} in ${stream}`);
  out(`dead letter ${detail.letter.sequence} in ${stream}, stored ${detail.letter.storedAt.toISOString()}`);
  for (const { name, value } of detail.letter.headers) out(`  ${name}: ${value}`);
  if (detail.payload !== undefined) out(JSON.stringify(detail.payload, null, 2));
  else out(`body (${detail.body.length} bytes, not decodable: ${detail.decodeError}): ${Buffer.from(detail.body).toString("base64")}`);
  return 0;
}

async function replay({ operations, out, stream }: Command, arg: string | undefined): Promise<number> {
  const outcomes = await operations.replay(arg === "all" ? "all" : [sequence(arg)]);
  if (outcomes.length === 0) out(`${stream} is empty`);
  for (const o of outcomes) out(`${o.sequence}: ${o.detail}`);
  if (outcomes.length === 1 && outcomes[0]!.result === "not-found") return 2;
  return outcomes.every((o) => o.result === "applied" || o.result === "already-applied") ? 0 : 1;
}

async function purge({ operations, out, stream }: Command, arg: string | undefined): Promise<number> {
  if (arg === "all") {
    out(`purged ${await operations.purge("all")} dead letters from ${stream}`);
    return 0;
  }
  const seq = sequence(arg);
  if ((await operations.purge([seq])) === 0) throw new UsageError(`no dead letter ${seq} in ${stream}`);
  out(`deleted dead letter ${seq} from ${stream}`);
  return 0;
}

class UsageError extends Error {}
