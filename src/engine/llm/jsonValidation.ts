// Validation of everything that comes from outside (LLM replies, tool arguments, HTTP JSON,
// settings) against JSON Schemas, with short messages a model or a person can act on.
import Ajv, { type ErrorObject } from 'ajv';
import { describeSchemaErrors } from '../spec/schemaErrors';
import { isPlainObject } from '../util/isPlainObject';

export type JsonSchema = { [key: string]: unknown };

const ajv = new Ajv({ allErrors: true, strict: false });

/** Returns a checker: [] when the value is valid, else one line per problem (at most 8). */
export function compileSchema(schema: JsonSchema): (value: unknown) => string[] {
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? [] : formatAjvErrors(validate.errors ?? []));
}

export function formatAjvErrors(errors: ErrorObject[]): string[] {
  const out: string[] = [];
  for (const p of describeSchemaErrors(errors)) {
    const line = `${p.at || '(root)'}: ${p.message}`;
    if (!out.includes(line)) out.push(line);
    if (out.length >= 8) break;
  }
  return out;
}

/** Parses JSON, tolerating a ```json fence around it (common from models without structured outputs). */
export function parseJsonReply(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  let t = text.trim();
  const fence = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(t);
  if (fence) t = fence[1].trim();
  try {
    return { ok: true, value: JSON.parse(t) };
  } catch (e) {
    const preview = t.length > 120 ? `${t.slice(0, 120)}…` : t;
    return { ok: false, error: `not valid JSON (${(e as Error).message}); reply began: ${JSON.stringify(preview)}` };
  }
}

export { isPlainObject };
