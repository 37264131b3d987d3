import { toJson, type DescMessage } from "@bufbuild/protobuf";
import { jetstreamManager, type JetStreamManager, type StoredMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { CE } from "../cloudevents.js";
import { applyBatch, type ConsumerDatabase, type TransactionOf } from "./apply-batch.js";
import type { ConsumerSettings } from "./consumer-settings.js";
import { DLQ } from "./dead-letter.js";
import { createEventDecoder, type Envelope } from "./event-decoder.js";
import type { EventRoute } from "./event-route.js";

export const DEAD_LETTER_USAGE = `usage: dlq <command>
  list [limit]        dead letters, oldest first (default limit 100)
  show <seq>          one dead letter: why it failed, its headers, its body decoded
  replay <seq>|all    apply it now through this service's handlers (inbox and
                      per-user order as in the consumer); removed on success
  purge <seq>|all     delete it (or all) without applying`;

export interface DeadLetterCommandDeps<D extends ConsumerDatabase> {
  nc: NatsConnection;
  db: D;
  settings: ConsumerSettings;
  routes: EventRoute<TransactionOf<D>>[];
  out?: (line: string) => void;
}

/**
 * The service's `dlq` command (see each service's README). Returns the exit
 * code. Replay applies in this process, in the service's database, rather
 * than republishing to the producer's subjects, which a consumer may not
 * publish to (and which every other consumer would receive again).
 */
export async function runDeadLetterCommand<D extends ConsumerDatabase>(args: string[], deps: DeadLetterCommandDeps<D>): Promise<number> {
  const out = deps.out ?? ((line: string) => console.log(line));
  const stream = deps.settings.deadLetterStream;
  const jsm = await jetstreamManager(deps.nc, { checkAPI: false });
  const decode = createEventDecoder(deps.routes);
  const [command, arg] = args;

  const all = async (limit = Number.POSITIVE_INFINITY): Promise<StoredMsg[]> => {
    let state;
    try {
      state = (await jsm.streams.info(stream)).state;
    } catch {
      return []; // never declared: nothing was ever dead-lettered
    }
    const found: StoredMsg[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && found.length < limit && state.messages > 0; seq++) {
      const msg = await getMessage(jsm, stream, seq);
      if (msg) found.push(msg);
    }
    return found;
  };
  const one = async (text: string | undefined): Promise<StoredMsg> => {
    const seq = Number(text);
    if (!Number.isInteger(seq) || seq < 1) throw new UsageError(`expected a sequence number, got "${text ?? ""}"`);
    const msg = await getMessage(jsm, stream, seq);
    if (!msg) throw new UsageError(`no dead letter ${seq} in ${stream}`);
    return msg;
  };

  try {
    switch (command) {
      case "list": {
        const letters = await all(arg ? Number(arg) : 100);
        if (letters.length === 0) out(`${stream} is empty`);
        for (const m of letters) {
          const h = (name: string) => m.header.get(name) || "-";
          out(`${m.seq}\t${h(DLQ.failedAt)}\t${h(DLQ.reason)}\t${h(CE.type)}\tevent ${h(CE.id)}\tfrom ${h(DLQ.stream)}#${h(DLQ.sequence)}\t${h(DLQ.error)}`);
        }
        return 0;
      }
      case "show": {
        const m = await one(arg);
        out(`dead letter ${m.seq} in ${stream}, stored ${m.time.toISOString()}`);
        for (const [key, values] of m.header) out(`  ${key}: ${values.join(", ")}`);
        const decoded = decode(envelope(m));
        if (decoded.kind === "event") out(JSON.stringify(toJson(decoded.event.route.schema as DescMessage, decoded.event.event), null, 2));
        else out(`body (${m.data.length} bytes, not decodable: ${decoded.kind === "dead" ? decoded.error : `no handler for ${decoded.type}`}): ${Buffer.from(m.data).toString("base64")}`);
        return 0;
      }
      case "replay": {
        const letters = arg === "all" ? await all() : [await one(arg)];
        let failed = 0;
        for (const m of letters) {
          const decoded = decode(envelope(m));
          if (decoded.kind !== "event") {
            failed++;
            out(`${m.seq}: cannot replay: ${decoded.kind === "dead" ? decoded.error : `no handler for ${decoded.type}`} (purge it once understood)`);
            continue;
          }
          try {
            const outcomes = await applyBatch(deps.db, deps.settings.inboxTable, [decoded.event]);
            await jsm.streams.deleteMessage(stream, m.seq);
            out(`${m.seq}: ${outcomes.get(decoded.event.meta.id) === "duplicate" ? "already applied before" : "applied"}; removed from ${stream}`);
          } catch (error) {
            failed++;
            out(`${m.seq}: still fails, kept: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        if (letters.length === 0) out(`${stream} is empty`);
        return failed === 0 ? 0 : 1;
      }
      case "purge": {
        if (arg === "all") {
          const response = await jsm.streams.purge(stream);
          out(`purged ${response.purged} dead letters from ${stream}`);
        } else {
          const m = await one(arg);
          await jsm.streams.deleteMessage(stream, m.seq);
          out(`deleted dead letter ${m.seq} from ${stream}`);
        }
        return 0;
      }
      default:
        out(DEAD_LETTER_USAGE);
        return command ? 2 : 0;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      out(error.message);
      return 2;
    }
    throw error;
  }
}

class UsageError extends Error {}

/** A dead letter as the consumer saw it: its original subject and sequence. */
function envelope(m: StoredMsg): Envelope {
  return {
    subject: m.header.get(DLQ.subject) || m.subject,
    data: m.data,
    header: (name) => m.header.get(name) || undefined,
    streamSequence: Number(m.header.get(DLQ.sequence)) || 0,
    deliveryCount: 0,
  };
}

async function getMessage(jsm: JetStreamManager, stream: string, seq: number): Promise<StoredMsg | null> {
  try {
    return await jsm.streams.getMessage(stream, { seq });
  } catch (error) {
    if (/no message found|not found/i.test((error as Error).message)) return null;
    throw error;
  }
}
