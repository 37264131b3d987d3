export { isDatabaseUnavailable, isUniqueViolation, openDatabase, type Database } from "./database.js";
export { runMigrations } from "./migrate.js";
