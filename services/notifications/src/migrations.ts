import { fileURLToPath } from "node:url";

/** The service's committed Drizzle migrations. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));
