import { describe, expect, it } from "vitest";
import { relayWakeup } from "../../src/db/relay-wakeup.js";

/** A NOTIFY sender whose statements stay in flight until the test answers them. */
function fakeNotifier() {
  const sent: Array<{ channel: string; answer: (error?: Error) => void }> = [];
  return {
    sent,
    sql: {
      notify: (channel: string) =>
        new Promise<unknown>((resolve, reject) => {
          sent.push({ channel, answer: (error) => (error ? reject(error) : resolve([])) });
        }),
    } as unknown as Parameters<typeof relayWakeup>[0],
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("relayWakeup", () => {
  it("sends one NOTIFY on the relay's channel per call while none is in flight", async () => {
    const { sent, sql } = fakeNotifier();
    const wake = relayWakeup(sql, (error) => {
      throw error;
    });
    wake();
    expect(sent.map((s) => s.channel)).toEqual(["outbox_inserted"]);
    sent[0]!.answer();
    await settle();
    wake();
    expect(sent).toHaveLength(2);
  });

  it("answers any number of commits made during a NOTIFY with exactly one more, sent after it returns", async () => {
    const { sent, sql } = fakeNotifier();
    const wake = relayWakeup(sql, (error) => {
      throw error;
    });
    wake();
    for (let i = 0; i < 50; i++) wake();
    expect(sent).toHaveLength(1); // the second waits: it must go out after these commits
    sent[0]!.answer();
    await settle();
    expect(sent).toHaveLength(2);
    sent[1]!.answer();
    await settle();
    expect(sent).toHaveLength(2); // nothing was committed during the second
  });

  it("reports a failed NOTIFY and keeps waking the relay afterwards", async () => {
    const { sent, sql } = fakeNotifier();
    const errors: unknown[] = [];
    const wake = relayWakeup(sql, (error) => errors.push(error));
    wake();
    wake();
    sent[0]!.answer(new Error("connection lost"));
    await settle();
    expect(errors).toEqual([new Error("connection lost")]);
    expect(sent).toHaveLength(2); // the commit made during the failed one still gets its NOTIFY
    sent[1]!.answer();
    await settle();
    wake();
    expect(sent).toHaveLength(3);
  });
});
