import { createServer } from "node:net";

/** Whether 127.0.0.1:port can be bound right now. */
export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * Fails before anything starts when a port is taken, naming the variable
 * that moves it: far clearer than a service dying with EADDRINUSE.
 */
export async function assertPortsFree(ports: { what: string; port: number; variable: string }[]): Promise<void> {
  const taken: string[] = [];
  for (const p of ports) {
    if (!(await portIsFree(p.port))) taken.push(`  ${p.what}: port ${p.port} is in use; stop what uses it or set ${p.variable}=<another port>`);
  }
  if (taken.length) throw new Error(`cannot start:\n${taken.join("\n")}`);
}
