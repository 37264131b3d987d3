import { describe, expect, it } from "vitest";
import { clientAddress, rateLimitKey } from "../src/server/client-address.js";

const request = (peer: string, forwardedFor?: string | string[]) =>
  ({
    headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
    socket: { remoteAddress: peer },
  }) as Parameters<typeof clientAddress>[0];

describe("clientAddress", () => {
  it("ignores X-Forwarded-For with 0 hops: the socket's peer is the client", () => {
    expect(clientAddress(request("203.0.113.7", "1.2.3.4"), 0)).toBe("203.0.113.7");
  });

  it("takes the Nth entry from the right, never the leftmost the client wrote", () => {
    const forged = "6.6.6.6, 198.51.100.9, 10.0.0.2"; // client forged 6.6.6.6; ingress saw 198.51.100.9; a second proxy saw 10.0.0.2
    expect(clientAddress(request("10.0.0.3", forged), 1)).toBe("10.0.0.2");
    expect(clientAddress(request("10.0.0.3", forged), 2)).toBe("198.51.100.9");
    expect(clientAddress(request("10.0.0.3", ["6.6.6.6", "198.51.100.9"]), 1)).toBe("198.51.100.9"); // repeated header lines
  });

  it("uses the socket's peer when the header has fewer entries than hops, or the entry is not an address", () => {
    expect(clientAddress(request("203.0.113.7"), 1)).toBe("203.0.113.7");
    expect(clientAddress(request("203.0.113.7", "1.2.3.4"), 2)).toBe("203.0.113.7");
    expect(clientAddress(request("203.0.113.7", "1.2.3.4, not-an-ip"), 1)).toBe("203.0.113.7");
  });

  it("keys IPv6 by its /64, IPv4-mapped IPv6 as IPv4, and strips ports and zones", () => {
    expect(rateLimitKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(rateLimitKey("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(rateLimitKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(rateLimitKey("[2001:db8:1:2::5]:443")).toBe("2001:db8:1:2::/64");
    expect(rateLimitKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(rateLimitKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(rateLimitKey("192.0.2.1:8080")).toBe("192.0.2.1");
    expect(rateLimitKey("::1")).toBe("0:0:0:0::/64");
    expect(rateLimitKey("nonsense")).toBeUndefined();
  });
});
