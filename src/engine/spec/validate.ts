// Parses and validates the experiment's YAML files against the shipped JSON Schemas, reporting
// every problem with file, line and field so a bad file is refused before anything runs.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Node as YamlNode } from 'yaml';
import recipeSchema from '../../../schemas/recipe.schema.json';
import trainSchema from '../../../schemas/train.schema.json';
import trexSchema from '../../../schemas/trex.schema.json';
import type { Json } from './types';

export type SchemaName = 'trex' | 'recipe' | 'train';

export interface FileProblem {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
  field: string; // dotted path, '' for the whole document
  message: string;
}

export class SpecError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'SpecError';
  }
}

export function formatProblem(p: FileProblem): string {
  const where = p.field ? ` field '${p.field}'` : '';
  return `${p.file}:${p.line}:${p.column}:${where} ${p.message}`;
}

let validators: Record<SchemaName, ValidateFunction> | undefined;

function getValidators(): Record<SchemaName, ValidateFunction> {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addSchema(recipeSchema);
    ajv.addSchema(trainSchema);
    ajv.addSchema(trexSchema);
    validators = {
      trex: ajv.getSchema(trexSchema.$id)!,
      recipe: ajv.getSchema(recipeSchema.$id)!,
      train: ajv.getSchema(trainSchema.$id)!,
    };
  }
  return validators;
}

/** Parses YAML text and validates it; returns the plain value or throws SpecError. */
export function parseAndValidate<T>(text: string, schema: SchemaName, file: string): T {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
  if (doc.errors.length > 0) {
    throw new SpecError(
      doc.errors.map((e) => {
        const pos = at(e.pos[0]);
        return { file, line: pos.line, column: pos.col, field: '', message: `YAML syntax: ${firstLine(e.message)}` };
      }),
    );
  }
  let value: Json;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) as Json;
  } catch (e) {
    // An alias bomb (or any other failure to build the value) is this file's problem, reported as such.
    const message = /alias/i.test((e as Error).message) ? 'YAML aliases expand too much (alias bomb?); refused' : `YAML: ${firstLine((e as Error).message)}`;
    throw new SpecError([{ file, line: 1, column: 1, field: '', message }]);
  }
  const validate = getValidators()[schema];
  if (!validate(value)) {
    const problems = dedupeErrors(validate.errors ?? []).map((err) => {
      const segments = pointerSegments(err.instancePath);
      let field = segments.join('.');
      let message = err.message ?? 'is invalid';
      if (err.keyword === 'additionalProperties') {
        const extra = String((err.params as { additionalProperty: string }).additionalProperty);
        segments.push(extra);
        field = segments.join('.');
        message = `unknown field '${extra}'`;
      } else if (err.keyword === 'required') {
        const missing = String((err.params as { missingProperty: string }).missingProperty);
        message = `missing required field '${missing}'`;
        field = [...segments, missing].join('.');
      } else if (err.keyword === 'enum') {
        const allowed = (err.params as { allowedValues: unknown[] }).allowedValues;
        message = `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
      }
      const node = findNode(doc.contents as YamlNode | null, segments, err.keyword === 'additionalProperties');
      const pos = at(node?.range?.[0] ?? 0);
      return { file, line: pos.line, column: pos.col, field, message };
    });
    throw new SpecError(problems);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SpecError([{ file, line: 1, column: 1, field: '', message: 'must be a mapping' }]);
  }
  return value as T;
}

export function loadYamlFile<T>(path: string, schema: SchemaName, displayName = path): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SpecError([{ file: displayName, line: 1, column: 1, field: '', message: `cannot read file: ${(e as Error).message}` }]);
  }
  return parseAndValidate<T>(text, schema, displayName);
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

// oneOf/anyOf produce a cascade of errors for the same spot; keep the most specific ones, and
// turn "none of the alternatives' required fields" into one readable error.
function dedupeErrors(errors: ErrorObject[]): ErrorObject[] {
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
    if (e.keyword === 'oneOf' && errors.some((o) => o !== e && o.instancePath === e.instancePath && o.keyword !== 'oneOf')) {
      continue;
    }
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

/** Walks the YAML AST along the path; returns the deepest node found (the key node for unknown keys). */
function findNode(root: YamlNode | null, segments: string[], wantKey: boolean): YamlNode | null {
  let current: YamlNode | null = root;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (isMap(current)) {
      const pair = current.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) return current;
      const isLast = i === segments.length - 1;
      if (isLast && wantKey) return pair.key as YamlNode;
      current = (pair.value as YamlNode | null) ?? (pair.key as YamlNode);
    } else if (isSeq(current)) {
      const item = current.items[Number(seg)];
      if (item === undefined) return current;
      current = item as YamlNode;
    } else {
      return current;
    }
  }
  return current;
}
