// Ajv's errors as problems a person or a model can act on — one mapping for every schema check
// (experiment files with their lines, LLM replies, tool arguments, settings): the field as a dotted
// path, "unknown field 'x'", "missing required field 'x'", "must be one of …", and oneOf cascades
// folded into one readable error.
import type { ErrorObject } from 'ajv';

export interface SchemaProblem {
  /** Path segments of the offending field (for an unknown or missing field: that field). */
  segments: string[];
  /** The same path, dotted; '' for the document itself. */
  field: string;
  /** The object the problem is in (for an unknown or missing field: its parent), dotted. */
  at: string;
  message: string;
  /** Whether the YAML key (not its value) is the place to point at. */
  atKey: boolean;
}

export function describeSchemaErrors(errors: readonly ErrorObject[]): SchemaProblem[] {
  return dedupeErrors(errors).map((err) => {
    const segments = pointerSegments(err.instancePath);
    const at = segments.join('.');
    let message = err.message ?? 'is invalid';
    if (err.keyword === 'additionalProperties') {
      const extra = String((err.params as { additionalProperty: string }).additionalProperty);
      segments.push(extra);
      message = `unknown field '${extra}'`;
    } else if (err.keyword === 'required') {
      const missing = String((err.params as { missingProperty: string }).missingProperty);
      message = `missing required field '${missing}'`;
      return { segments, field: [...segments, missing].join('.'), at, message, atKey: false };
    } else if (err.keyword === 'enum') {
      const allowed = (err.params as { allowedValues: unknown[] }).allowedValues ?? [];
      message = `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
    }
    return { segments, field: segments.join('.'), at, message, atKey: err.keyword === 'additionalProperties' };
  });
}

// oneOf/anyOf produce a cascade of errors for the same spot; keep the most specific ones, and
// turn "none of the alternatives' required fields" into one readable error.
function dedupeErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  const alternatives = new Map<string, string[]>();
  for (const e of errors) {
    if (e.keyword === 'required' && e.schemaPath.includes('/oneOf/')) {
      const list = alternatives.get(e.instancePath) ?? [];
      list.push(String((e.params as { missingProperty: string }).missingProperty));
      alternatives.set(e.instancePath, list);
    }
  }
  for (const [instancePath, names] of alternatives) {
    out.push({ instancePath, keyword: 'oneOfRequired', schemaPath: '', params: {}, message: `needs one of the fields ${names.map((n) => `'${n}'`).join(' or ')}` });
  }
  for (const e of errors) {
    if (e.keyword === 'required' && e.schemaPath.includes('/oneOf/')) continue;
    if (e.keyword === 'oneOf' && alternatives.has(e.instancePath)) continue;
    if (e.keyword === 'oneOf' && errors.some((o) => o !== e && o.instancePath === e.instancePath && o.keyword !== 'oneOf')) continue;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(e);
    }
  }
  return out;
}

function pointerSegments(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
