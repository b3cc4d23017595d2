// One place that knows which values are secret and scrubs them: the LLM API key in use (registered
// by the client) and every environment variable whose name looks like a credential. Every stage and
// agent command gets scrubbedEnv(); every LLM error, every tool result sent back to a model or
// recorded, and every event and Executor record written to disk passes through redact().

/** Names of environment variables never passed to a stage or agent command. */
export const SECRET_ENV_NAME = /(KEY$|_KEY_|API_?KEY|TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE|^AWS_|^SSH_AUTH_SOCK$|^GOOGLE_APPLICATION_CREDENTIALS$|^AZURE_)/i;

const registered = new Set<string>();
/** Shorter values would redact ordinary words. */
const MIN_SECRET_LENGTH = 6;

/** Remembers a secret value (e.g. the API key in use) so that redact() removes it everywhere. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) registered.add(value);
}

export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV_NAME.test(name);
}

/** Every secret value known now: registered ones and credential-like environment variables. */
export function knownSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const out = new Set(registered);
  for (const [k, v] of Object.entries(env)) if (v && v.length >= MIN_SECRET_LENGTH && isSecretEnvName(k)) out.add(v);
  return [...out].sort((a, b) => b.length - a.length);
}

/** Credentials recognised by their shape even when their value is not known; the last group is the secret part. */
export const BEARER_CREDENTIAL = /\b(Bearer|Basic)\s+([A-Za-z0-9._~+/=-]{8,})/g;
export const SK_CREDENTIAL = /\b(sk-[A-Za-z0-9_-]{16,})/g;

/** The text with every known secret value, and any bearer credential, replaced by [REDACTED]. */
export function redact(text: string, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof text !== 'string' || !text) return text;
  let out = text;
  for (const s of knownSecrets(env)) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  return out.replace(BEARER_CREDENTIAL, (_, kind: string) => `${kind} [REDACTED]`).replace(SK_CREDENTIAL, '[REDACTED]');
}

/** A JSON-like value with redact() applied to every string in it (keys too), for records written to disk. */
export function redactDeep<T>(value: T, env: NodeJS.ProcessEnv = process.env): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v, env);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [redact(k, env), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** A copy of the environment without credential-like variables, for stage and agent processes. */
export function scrubbedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  // The user may pass named credentials on purpose (e.g. TREX_PASS_ENV=TREX_SYNTH_API_KEY for
  // synthetic-data sources on a local backend); nothing else that looks like one.
  const pass = new Set((env.TREX_PASS_ENV ?? '').split(',').map((x) => x.trim()).filter(Boolean));
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && (!isSecretEnvName(k) || pass.has(k))) out[k] = v;
  return out;
}
