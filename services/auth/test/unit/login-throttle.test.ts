import { describe, expect, it } from "vitest";
import { LoginThrottle } from "../../src/security/login-throttle.js";

describe("LoginThrottle", () => {
  const limits = { accountFailures: 3, accountWindowMs: 60_000, clientFailures: 5, clientWindowMs: 10_000 };

  it("refuses an account after its failures, with the seconds until the oldest one expires", () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle(limits, () => now);
    for (let i = 0; i < 3; i++) {
      throttle.check("ada", `client${i}`);
      throttle.recordFailure("ada", `client${i}`);
      now += 1_000;
    }
    expect(() => throttle.check("ada", "another-client")).toThrow(/try again in 57 seconds/);
    throttle.check("grace", "another-client"); // other accounts are not affected
    now += 57_000;
    expect(() => throttle.check("ada", "another-client")).not.toThrow();
  });

  it("refuses a client that fails across many accounts", () => {
    const throttle = new LoginThrottle(limits, () => 0);
    for (let i = 0; i < 5; i++) throttle.recordFailure(`user${i}`, "attacker");
    expect(() => throttle.check("fresh-account", "attacker")).toThrow(/too many failed sign-in attempts/);
    expect(() => throttle.check("fresh-account", "someone-else")).not.toThrow();
  });

  it("forgets an account's failures after a successful login", () => {
    const throttle = new LoginThrottle(limits, () => 0);
    throttle.recordFailure("ada", "c1");
    throttle.recordFailure("ada", "c2");
    throttle.recordSuccess("ada");
    throttle.recordFailure("ada", "c3");
    throttle.recordFailure("ada", "c4");
    expect(() => throttle.check("ada", "c5")).not.toThrow();
  });
});
