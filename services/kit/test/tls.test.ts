import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { freePort, startNats, type NatsServer } from "@acme/devstack";
import { consumerServiceEnv } from "../src/consumer-service-env.js";
import { parseEnv, withDatabaseTls } from "../src/env.js";
import { checkNatsTls, connectNats, natsTlsFromEnv, type NatsSettings } from "../src/nats.js";
import { postgresClient } from "../src/db/database.js";

/**
 * TLS to NATS with real certificates (made here with openssl) and a real
 * nats-server that requires TLS and client certificates: kit's connectNats,
 * as the services call it, connects; checkNatsTls, which the services run at
 * start, refuses a server whose certificate does not match, naming the setting.
 */
let dir: string;
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

/** A CA, and leaf certificates it signs (server: serverAuth with SANs; client: clientAuth). */
function makeCa(name: string) {
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
}
async function makeLeaf(name: string, ca: string, ext: string) {
  await writeFile(file(`${name}.ext`), ext);
  openssl(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
  );
  openssl(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  );
}

let server: NatsServer;
let wrongHost: NatsServer;
const settings = (url: string, tls: NatsSettings["tls"]): NatsSettings => ({ url, name: "tls-test", tls });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kit-tls-"));
  makeCa("ca");
  makeCa("other-ca");
  await makeLeaf("server", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await makeLeaf("elsewhere", "ca", "subjectAltName=DNS:nats.elsewhere.example\nextendedKeyUsage=serverAuth\n");
  await makeLeaf("client", "ca", "extendedKeyUsage=clientAuth\n");
  await makeLeaf("stranger", "other-ca", "extendedKeyUsage=clientAuth\n");
  // Client certificates required (verify: true), as in the prod overlay.
  server = await startNats({
    dir: file("nats"),
    port: await freePort(),
    monitorPort: await freePort(),
    tls: { certFile: file("server.crt"), keyFile: file("server.key"), caFile: file("ca.crt") },
  });
  wrongHost = await startNats({
    dir: file("nats-elsewhere"),
    port: await freePort(),
    monitorPort: await freePort(),
    tls: { certFile: file("elsewhere.crt"), keyFile: file("elsewhere.key"), caFile: file("ca.crt") },
  });
});
afterAll(async () => {
  await server?.stop();
  await wrongHost?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("NATS over TLS", () => {
  const good = () => ({ caFile: file("ca.crt"), certFile: file("client.crt"), keyFile: file("client.key") });

  it("connects with the right CA and a client certificate, and the connection is encrypted", async () => {
    await expect(checkNatsTls(settings(server.url, good()))).resolves.toBeUndefined();
    const nc = await connectNats(settings(server.url, good()));
    try {
      const sub = nc.subscribe("tls.test", { max: 1 });
      nc.publish("tls.test", "over tls");
      for await (const m of sub) expect(m.string()).toBe("over tls");
      expect(nc.info?.tls_required).toBe(true);
    } finally {
      await nc.close();
    }
  });

  it("refuses a server whose certificate another CA signed, naming NATS_TLS_CA", async () => {
    await expect(checkNatsTls(settings(server.url, { ...good(), caFile: file("other-ca.crt") }))).rejects.toThrow(/^NATS_TLS_CA: .*failed verification/);
  });

  it("refuses a server whose certificate is for another host name, naming NATS_TLS_CA", async () => {
    await expect(checkNatsTls(settings(wrongHost.url, good()))).rejects.toThrow(/^NATS_TLS_CA: .*ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it("refuses a server without TLS, naming NATS_TLS_CA", async () => {
    const plain = await startNats({ dir: file("nats-plain"), port: await freePort(), monitorPort: await freePort() });
    try {
      await expect(checkNatsTls(settings(plain.url, good()))).rejects.toThrow(/^NATS_TLS_CA: .*does not offer TLS/);
    } finally {
      await plain.stop();
    }
  });

  it("is refused by the server with a client certificate of another CA", async () => {
    const stranger = { caFile: file("ca.crt"), certFile: file("stranger.crt"), keyFile: file("stranger.key") };
    await expect(checkNatsTls(settings(server.url, stranger))).rejects.toThrow(/NATS_TLS_CERT|NATS_TLS_CA/);
  });

  it("lets a service start while NATS is down: only settings that cannot work stop it", async () => {
    await expect(checkNatsTls(settings(`nats://127.0.0.1:${await freePort()}`, good()))).resolves.toBeUndefined();
  });
});

describe("TLS settings in a service's environment (consumerServiceEnv, as profile and billing parse it)", () => {
  const schema = z.object(consumerServiceEnv("profile", 8082));

  it("a missing file stops the start, naming the variable", () => {
    expect(() => parseEnv(schema, { NATS_TLS_CA: file("missing.crt") })).toThrow(/NATS_TLS_CA: cannot read .*missing\.crt: ENOENT/);
    expect(() => parseEnv(schema, { DATABASE_SSL_ROOT_CERT: file("missing.crt") })).toThrow(/DATABASE_SSL_ROOT_CERT: cannot read/);
  });

  it("a file that holds no certificate (or key) stops the start, naming the variable", () => {
    expect(() => parseEnv(schema, { NATS_TLS_CA: file("client.key") })).toThrow(/NATS_TLS_CA: .*holds no PEM certificate/);
    expect(() => parseEnv(schema, { NATS_TLS_KEY: file("client.crt") })).toThrow(/NATS_TLS_KEY: .*holds no PEM private key/);
  });

  it("a client certificate without its key, or without a CA, stops the start, naming the variable", () => {
    const config = parseEnv(schema, { NATS_TLS_CA: file("ca.crt"), NATS_TLS_CERT: file("client.crt") });
    expect(() => natsTlsFromEnv(config)).toThrow(/NATS_TLS_KEY: NATS_TLS_CERT and NATS_TLS_KEY go together/);
    expect(() => natsTlsFromEnv({ NATS_TLS_CERT: file("client.crt"), NATS_TLS_KEY: file("client.key") })).toThrow(/NATS_TLS_CA: a client certificate is set/);
    expect(natsTlsFromEnv({})).toBeUndefined();
  });

  it("DATABASE_SSL_ROOT_CERT turns DATABASE_URL into sslmode=verify-full against that CA, and refuses a weaker sslmode", () => {
    const config = withDatabaseTls(parseEnv(schema, { DATABASE_URL: "postgres://p:s@profile-db-rw:5432/profile", DATABASE_SSL_ROOT_CERT: file("ca.crt") }));
    const url = new URL(config.DATABASE_URL);
    expect(url.searchParams.get("sslmode")).toBe("verify-full");
    expect(url.searchParams.get("sslrootcert")).toBe(file("ca.crt"));
    const weaker = parseEnv(schema, { DATABASE_URL: "postgres://p:s@h:5432/profile?sslmode=require", DATABASE_SSL_ROOT_CERT: file("ca.crt") });
    expect(() => withDatabaseTls(weaker)).toThrow(/DATABASE_SSL_ROOT_CERT: needs sslmode=verify-full, but DATABASE_URL asks for sslmode=require/);
  });

  it("kit's postgres client verifies the server with that CA (and never sends sslrootcert to the server as a setting)", () => {
    const sql = postgresClient(`postgres://p:s@profile-db-rw:5432/profile?sslmode=verify-full&sslrootcert=${encodeURIComponent(file("ca.crt"))}`);
    const ssl = sql.options.ssl as { ca: string; rejectUnauthorized: boolean; checkServerIdentity?: unknown };
    expect(ssl.ca).toContain("BEGIN CERTIFICATE");
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(ssl.checkServerIdentity).toBeUndefined(); // verify-full: node's host name check
    expect(Object.keys(sql.options.connection)).not.toContain("sslrootcert");
    void sql.end();
  });
});
