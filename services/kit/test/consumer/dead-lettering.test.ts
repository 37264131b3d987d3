import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { trace } from "@opentelemetry/api";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { natsUrl, testNamespace } from "@acme/testing";
import { createLogger } from "../../src/logging.js";
import { connectNats } from "../../src/nats.js";
import { createConsumerMetrics } from "../../src/consumer/consumer-metrics.js";
import { ensureDeadLetterStream } from "../../src/consumer/consumer-resources.js";
import type { ConsumerSettings } from "../../src/consumer/consumer-settings.js";
import { DLQ } from "../../src/consumer/dead-letter.js";
import { createDeadLetterer } from "../../src/consumer/dead-lettering.js";
import { createProcessSpans } from "../../src/consumer/process-spans.js";
import { declareEventStream, publishEvent } from "../../testing/event-stream.js";

/** The dead-letter step alone, on the real nats-server: the letter is published, the message terminated and counted. */
describe("dead-lettering", () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const ns = testNamespace();
  const settings: ConsumerSettings = {
    stream: ns.stream("DL_SOURCE"),
    subjectPrefix: ns.subjectPrefix("dlsource"),
    durable: ns.name("dl"),
    deadLetterStream: ns.stream("DLQ_PARTS"),
    deadLetterSubjectPrefix: ns.subjectPrefix("dlq.parts"),
    backoffMs: [100],
    ackWaitMs: 30_000,
    maxDeliver: 3,
    batchSize: 1,
    concurrency: 1,
    maxAckPending: 10,
    inboxTable: "processed_events",
  };

  beforeAll(async () => {
    nc = await connectNats({ url: natsUrl(), name: "dead-lettering-test" });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await declareEventStream(jsm, settings.stream, settings.subjectPrefix);
    await jsm.consumers.add(settings.stream, { durable_name: settings.durable, ack_policy: AckPolicy.Explicit });
  });
  afterAll(async () => {
    await nc.close();
  });

  async function deliverOne(): Promise<JsMsg> {
    const { id } = await publishEvent(js, {
      subject: `${settings.subjectPrefix}.user.registered.v1`,
      schema: UserRegisteredSchema,
      message: { userId: "u-dl", email: "dl@example.com", revision: 1n },
      entity: "u-dl",
    });
    const msg = await (await js.consumers.get(settings.stream, settings.durable)).next({ expires: 5_000 });
    if (!msg || msg.headers?.get("ce-id") !== id) throw new Error("the published event was not delivered");
    return msg;
  }

  function deadLetterer(registry: Registry) {
    const metrics = createConsumerMetrics(registry, settings.durable);
    const spans = createProcessSpans(trace.getTracer("test"), settings.durable);
    const letterCount = () =>
      jsm.streams.info(settings.deadLetterStream).then(
        (i) => i.state.messages,
        () => undefined,
      );
    return createDeadLetterer({ js, settings, metrics, spans, log: createLogger("dl-test", "silent"), letterCount });
  }

  it("publishes the letter with its reason, terminates the message and counts it", async () => {
    await ensureDeadLetterStream(jsm, settings);
    const registry = new Registry();
    const msg = await deliverOne();
    await deadLetterer(registry)([msg], "invalid-event", "refused by the test");
    const letter = await jsm.streams.getMessage(settings.deadLetterStream, { last_by_subj: `${settings.deadLetterSubjectPrefix}.${msg.subject}` });
    if (!letter) throw new Error("no dead letter in the stream");
    expect(letter.header.get(DLQ.reason)).toBe("invalid-event");
    expect(letter.header.get(DLQ.error)).toBe("refused by the test");
    expect(Buffer.from(letter.data).equals(Buffer.from(msg.data))).toBe(true);
    await nc.flush();
    const info = await jsm.consumers.info(settings.stream, settings.durable);
    expect(info.num_ack_pending).toBe(0); // terminated: never redelivered
    expect(await registry.getSingleMetricAsString("event_consumer_dead_letters_total")).toContain(`reason="invalid-event"} 1`);
  });

  it("naks the message for redelivery when the letter cannot be published", async () => {
    await jsm.streams.delete(settings.deadLetterStream); // nothing takes the letter now
    const msg = await deliverOne();
    await deadLetterer(new Registry())([msg], "invalid-event", "refused by the test");
    await nc.flush();
    const again = await (await js.consumers.get(settings.stream, settings.durable)).next({ expires: 5_000 });
    expect(again?.info.streamSequence).toBe(msg.info.streamSequence);
    expect(again?.info.deliveryCount).toBe(2);
    again?.ack();
  });
});
