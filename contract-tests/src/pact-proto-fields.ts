import { ScalarType, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { authEventByDescription, authEventByType } from "./auth-events.js";
import type { PactFile } from "./pact-files.js";

/**
 * Holds a pact to the .proto: every field a pact's message body names (and
 * every path its matching rules name) must be a field of the event's message,
 * by its proto3 JSON name, nested messages included, with a value of the JSON
 * type proto3's canonical mapping gives it (a Timestamp is a string, a uint64
 * a decimal string). A consumer cannot expect a field that auth cannot send.
 */
export function pactProtoProblems(pact: PactFile): string[] {
  const problems: string[] = [];
  for (const interaction of pact.interactions) {
    const where = `${pact.consumer.name}: "${interaction.description}"`;
    const ceType = interaction.metadata?.["ce-type"];
    const event = typeof ceType === "string" ? authEventByType(ceType) : undefined;
    if (!event) {
      problems.push(`${where}: metadata ce-type ${JSON.stringify(ceType)} is not a message of acme.auth.events.v1`);
      continue;
    }
    if (authEventByDescription(interaction.description) !== event) {
      problems.push(`${where}: ce-type is ${event.schema.typeName}, but auth produces "${interaction.description}" as another event (or not at all)`);
    }
    const out = (path: string, problem: string) => problems.push(`${where}: ${path}: ${problem}`);
    checkValue({ message: event.schema }, interaction.contents.content, "$", out);
    for (const path of Object.keys(interaction.matchingRules?.body ?? {})) checkRulePath(event.schema, path, out);
  }
  return problems;
}

type Out = (path: string, problem: string) => void;
/** The type of one value: a singular field, a list element or a map value. */
type ValueType = { scalar: ScalarType } | { enum: DescEnum } | { message: DescMessage };

const STRING_WKT = new Set(["Timestamp", "Duration", "FieldMask", "StringValue", "BytesValue", "Int64Value", "UInt64Value"]);
const NUMBER_WKT = new Set(["DoubleValue", "FloatValue", "Int32Value", "UInt32Value"]);
const LONG = new Set([ScalarType.INT64, ScalarType.UINT64, ScalarType.SINT64, ScalarType.FIXED64, ScalarType.SFIXED64]);
const FLOATING = new Set([ScalarType.FLOAT, ScalarType.DOUBLE]);

function jsonType(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

/** Well-known types have their own JSON form (a Timestamp is an RFC 3339 string): no fields to walk. */
function wktJsonType(message: DescMessage): string | undefined {
  if (!message.typeName.startsWith("google.protobuf.")) return undefined;
  const name = message.name;
  if (STRING_WKT.has(name)) return "string";
  if (NUMBER_WKT.has(name)) return "number";
  if (name === "BoolValue") return "boolean";
  if (name === "ListValue") return "array";
  if (name === "Value") return "any";
  return "object"; // Struct, Empty, Any
}

function checkValue(type: ValueType, value: unknown, path: string, out: Out): void {
  if (value === null) return; // proto3 JSON: null is the field's default
  const actual = jsonType(value);
  if ("scalar" in type) {
    const expected =
      type.scalar === ScalarType.BOOL
        ? "boolean"
        : LONG.has(type.scalar) || type.scalar === ScalarType.STRING || type.scalar === ScalarType.BYTES
          ? "string"
          : "number";
    if (LONG.has(type.scalar) && actual === "string" && !/^-?\d+$/.test(value as string))
      out(path, `a 64-bit integer is a decimal string in proto3 JSON, not ${JSON.stringify(value)}`);
    else if (actual !== expected && !(FLOATING.has(type.scalar) && ["NaN", "Infinity", "-Infinity"].includes(value as string))) {
      out(path, `is ${ScalarType[type.scalar].toLowerCase()} in the .proto, a JSON ${expected} in proto3 JSON; the pact has a ${actual}`);
    }
  } else if ("enum" in type) {
    if (actual !== "string" && actual !== "number") out(path, `is enum ${type.enum.typeName}, a JSON string; the pact has a ${actual}`);
  } else {
    const wkt = wktJsonType(type.message);
    if (wkt) {
      if (wkt !== "any" && wkt !== actual) out(path, `is ${type.message.typeName}, a JSON ${wkt} in proto3 JSON; the pact has a ${actual}`);
    } else if (actual !== "object") out(path, `is message ${type.message.typeName}, a JSON object; the pact has a ${actual}`);
    else for (const [key, item] of Object.entries(value as object)) checkField(type.message, key, item, `${path}.${key}`, out);
  }
}

function fieldNamed(message: DescMessage, jsonName: string, path: string, out: Out): DescField | undefined {
  const field = message.fields.find((f) => f.jsonName === jsonName);
  if (field) return field;
  const byProtoName = message.fields.find((f) => f.name === jsonName);
  const hint = byProtoName ? ` (its proto3 JSON name is "${byProtoName.jsonName}")` : ` (it has: ${message.fields.map((f) => f.jsonName).join(", ")})`;
  out(path, `${message.typeName} has no field "${jsonName}"${hint}`);
  return undefined;
}

function checkField(message: DescMessage, key: string, value: unknown, path: string, out: Out): void {
  const field = fieldNamed(message, key, path, out);
  if (!field || value === null) return;
  if (field.fieldKind === "list") {
    if (!Array.isArray(value)) {
      out(path, `is a repeated field, a JSON array; the pact has a ${jsonType(value)}`);
      return;
    }
    for (const [i, item] of value.entries()) checkValue(elementType(field), item, `${path}[${i}]`, out);
  } else if (field.fieldKind === "map") {
    if (jsonType(value) !== "object") {
      out(path, `is a map, a JSON object; the pact has a ${jsonType(value)}`);
      return;
    }
    for (const [k, item] of Object.entries(value as object)) checkValue(elementType(field), item, `${path}.${k}`, out);
  } else checkValue(elementType(field), value, path, out);
}

function elementType(field: DescField): ValueType {
  if (field.message) return { message: field.message };
  if (field.enum) return { enum: field.enum };
  return { scalar: field.scalar! };
}

/** `$.a.b`, `$.list[*].c`, `$['key']`: each step must be a field (or an element of a repeated one). */
function checkRulePath(schema: DescMessage, path: string, out: Out): void {
  const steps = [...path.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\*|\d+)\]|\['([^']+)'\]/g)];
  if (path !== "$" && steps.map((s) => s[0]).join("") !== path.slice(1)) {
    out(path, "a matching rule path this check cannot read");
    return;
  }
  let message: DescMessage | undefined = schema;
  let field: DescField | undefined;
  for (const step of steps) {
    const name = step[1] ?? step[3];
    if (name === undefined) {
      if (field?.fieldKind !== "list") {
        out(path, "indexes something that is not a repeated field");
        return;
      }
      continue; // [*] or [n]: the element's type is the field's
    }
    if (!message || wktJsonType(message)) {
      out(path, `goes inside ${message ? message.typeName : "a scalar"}, which has no fields in proto3 JSON`);
      return;
    }
    field = fieldNamed(message, name, path, out);
    if (!field) return;
    message = field.message;
  }
}
