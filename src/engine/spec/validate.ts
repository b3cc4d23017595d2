// Parses and validates the experiment's YAML files against the shipped JSON Schemas, reporting
// every problem with file, line and field so a bad file is refused before anything runs.
import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Node as YamlNode } from 'yaml';
import recipeSchema from '../../../schemas/recipe.schema.json';
import trainSchema from '../../../schemas/train.schema.json';
import trexSchema from '../../../schemas/trex.schema.json';
import { describeSchemaErrors } from './schemaErrors';
import type { Json } from './types';
import { isPlainObject } from '../util/isPlainObject';

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
    const problems = describeSchemaErrors(validate.errors ?? []).map((p) => {
      const node = findNode(doc.contents as YamlNode | null, p.segments, p.atKey);
      const pos = at(node?.range?.[0] ?? 0);
      return { file, line: pos.line, column: pos.col, field: p.field, message: p.message };
    });
    throw new SpecError(problems);
  }
  if (!isPlainObject(value)) {
    throw new SpecError([{ file, line: 1, column: 1, field: '', message: 'must be a mapping' }]);
  }
  return value as T;
}

/** Checks a value already in memory (a model's edited config, say): its problems as field + message, [] when valid. */
export function schemaProblems(value: unknown, schema: SchemaName): { field: string; message: string }[] {
  const validate = getValidators()[schema];
  return validate(value) ? [] : describeSchemaErrors(validate.errors ?? []).map((p) => ({ field: p.field, message: p.message }));
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
