// The one check for "a JSON object" (not null, not an array) on values from outside.
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
