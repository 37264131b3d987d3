import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A copy of a Drizzle migrations folder in a temp folder, its journal cut to
 * the first `count` migrations: the schema as it was before a later
 * migration, to test that migration against rows written the old way.
 */
export async function firstMigrations(folder: string, count: number): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), "migrations-")), "drizzle");
  await cp(folder, dir, { recursive: true });
  const journalFile = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(await readFile(journalFile, "utf8")) as { entries: unknown[] };
  journal.entries = journal.entries.slice(0, count);
  await writeFile(journalFile, JSON.stringify(journal));
  return dir;
}
