import type { IncomingMessage } from "node:http";
import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";

/**
 * TRUST_PROXY_HOPS: how many reverse proxies (each appending the address it
 * saw to X-Forwarded-For) stand between the client and this process. 0: the
 * header is ignored, the socket's peer is the client.
 */
export const trustProxyHopsSchema = z.coerce.number().int().min(0).max(10).default(0);

/**
 * The address to rate-limit a caller by. With `hops` trusted proxies the
 * client is the `hops`-th entry from the right of X-Forwarded-For: the
 * rightmost entries were appended by our own proxies, everything to their
 * left was written by the client and proves nothing. A header shorter than
 * that did not come through every proxy, so the socket's peer is used.
 * IPv6 callers are keyed by their /64: one subscriber usually holds a whole
 * /64 and could otherwise rotate through 2^64 addresses.
 */
export function clientAddress(req: Pick<IncomingMessage, "headers" | "socket">, hops: number): string {
  const peer = req.socket.remoteAddress ?? "";
  if (hops > 0) {
    const forwarded = forwardedFor(req.headers["x-forwarded-for"]);
    const candidate = forwarded.length >= hops ? forwarded[forwarded.length - hops] : undefined;
    const key = candidate === undefined ? undefined : rateLimitKey(candidate);
    if (key) return key;
  }
  return rateLimitKey(peer) ?? "unknown";
}

/** Every entry of every X-Forwarded-For header, in order (a proxy may add a second header instead of appending). */
function forwardedFor(header: string | string[] | undefined): string[] {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return values.flatMap((value) => value.split(",")).map((entry) => entry.trim());
}

/** IPv4 as is; IPv6 as its /64 (IPv4-mapped IPv6 as the IPv4 address); anything else undefined. */
export function rateLimitKey(raw: string): string | undefined {
  const address = stripPort(raw);
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return undefined;
  const groups = expandIPv6(address);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

/** "[::1]:443" -> "::1", "1.2.3.4:80" -> "1.2.3.4", "fe80::1%eth0" -> "fe80::1". */
function stripPort(raw: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(raw);
  if (bracketed) return bracketed[1]!.split("%")[0]!;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(raw);
  if (v4WithPort) return v4WithPort[1]!;
  return raw.split("%")[0]!;
}

/** The eight 16-bit groups of a valid IPv6 address (with "::" and a dotted IPv4 tail expanded). */
function expandIPv6(address: string): number[] {
  let text = address;
  const v4Tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4Tail) {
    const [a, b, c, d] = v4Tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4Tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  if (tail === undefined) return left;
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}
