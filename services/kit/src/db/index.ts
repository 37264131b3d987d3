export { isDatabaseUnavailable, isUniqueViolation, openDatabase, type Database } from "./database.js";
export { runMigrations } from "./migrate.js";
export { coalesce } from "./coalesce.js";
export { insertRowsSql } from "./unnest-rows.js";
