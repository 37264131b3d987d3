import { createServer } from "node:net";

/**
 * Ports this process has handed out. The kernel picks a port for listen(0)
 * at random, and once the probe closes it may pick the same one again: of
 * 3,000 runs of 16 probes (what a fault run asks for) 54 got a port twice,
 * and the second process to bind it dies of EADDRINUSE.
 */
const handedOut = new Set<number>();

/**
 * A test file asks for its ports seconds before its servers bind them, and
 * another file runs beside it. Each vitest worker (VITEST_POOL_ID, 1 to
 * maxWorkers) therefore draws from a band of its own, below the kernel's
 * ephemeral range (32768 and up), where neither the other worker nor an
 * outgoing connection is handed the same port.
 */
const WORKER_BANDS = { first: 16_384, size: 1_024, count: 16 };

/** Asks for a free TCP port on loopback, never one this process was given before. */
export async function freePort(): Promise<number> {
  const band = workerBand();
  for (let attempt = 0; ; attempt++) {
    // A band crowded by something else of the machine's: the kernel picks.
    const wanted = band && attempt < band.size ? band.first + Math.floor(Math.random() * band.size) : 0;
    if (handedOut.has(wanted)) continue;
    const port = await listenAndClose(wanted).catch(() => undefined);
    if (port !== undefined && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** This vitest worker's band of ports, or undefined outside vitest's workers (the kernel picks). */
function workerBand(): { first: number; size: number } | undefined {
  const worker = Number(process.env.VITEST_POOL_ID);
  if (!Number.isInteger(worker) || worker < 1) return undefined;
  return { first: WORKER_BANDS.first + ((worker - 1) % WORKER_BANDS.count) * WORKER_BANDS.size, size: WORKER_BANDS.size };
}

/** Listens on `port` (0: the kernel picks) on loopback and closes again; resolves with the port, rejects if it is taken. */
async function listenAndClose(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(bound));
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
