/**
 * The P1 baseline in a process of its own, like auth: hashes `count`
 * passwords `concurrency` at a time with auth's argon2id parameters and
 * prints the rate (hashes/s) as its only line.
 */
import { hash } from "@node-rs/argon2";
import { ARGON2ID_PARAMS } from "../../services/auth/src/security/password-hasher.js";
import { rate } from "./infra.js";

const [count, concurrency] = process.argv.slice(2).map(Number) as [number, number];
console.log(String(await rate(count, concurrency, () => hash("correct horse battery", ARGON2ID_PARAMS))));
