// Where the LLM agents talk to and how hard they may try. Settings come, later ones winning, from
// defaults, the experiment folder (an `llm:` section of trex.yaml, its llm.json), the user's own
// settings file (TREX_LLM_CONFIG), environment variables and the caller's overrides. The folder may
// come from anyone: its endpoint, headers, research URLs and Executor commands are used only with
// the user's consent, recorded outside the folder (trusted-folders.json, keyed by path and hash). The API key comes only from the environment or the caller
// (VS Code SecretStorage): it is never read from or written to a file.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { TaskSpec } from '../spec/types';
import { DEFAULT_PRICES, type PriceTable } from './pricing';
import trexSchema from '../../../schemas/trex.schema.json';
import { compileSchema, type JsonSchema } from './jsonValidation';
import { isPlainObject } from '../util/isPlainObject';

export type LlmRole = 'researcher' | 'executor' | 'distiller';
export const LLM_ROLES: readonly LlmRole[] = ['researcher', 'executor', 'distiller'];

export interface ResearchSettings {
  enabled: boolean;
  arxivURL: string;
  semanticScholarURL: string;
  hfURL: string;
  /** Per HTTP request, including the body. */
  timeoutMs: number;
  maxSteps: number;
  maxBytes: number;
  cacheTtlMs: number;
  /** fetch_url may reach loopback and private addresses (tests, intranets); off by default. */
  allowPrivateUrls: boolean;
  /** Research runs again when this many nodes finished without improving the best score (a plateau). */
  refreshAfter: number;
  /** Research refreshes per search (plateaus and new failure classes together); 0: never refresh. */
  maxRefreshes: number;
}

export interface ExecutorSettings {
  /** Debugging sessions per node, in total. */
  maxSessions: number;
  maxSteps: number;
  sessionTimeMs: number;
  commandTimeoutMs: number;
  /** argv[0] values the agent may run; only read-only inspection programs are ever honoured (executor/tools.ts SAFE_COMMANDS). */
  allowedCommands: string[];
  cheapCheckExamples: number;
  cheapCheckSteps: number;
  cheapCheckTimeoutMs: number;
}

export interface LlmConfig {
  baseURL: string;
  /** Held in memory only; never logged, recorded or written. */
  apiKey: string;
  /** Sends the key in this header instead of Authorization: Bearer (Azure: 'api-key'). */
  apiKeyHeader?: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  models: Record<LlmRole, string>;
  prices: PriceTable;
  /** One HTTP attempt, body included. */
  timeoutMs: number;
  /** HTTP retries on 408/409/429/5xx and connection errors (the openai client honours retry-after). */
  maxRetries: number;
  /** Attempts at a reply that passes validation, the invalid one fed back each time. */
  replyAttempts: number;
  maxReplyBytes: number;
  maxOutputTokens: number;
  temperature?: number;
  stream: boolean;
  /** How structured replies are requested: response_format json_schema, or a forced tool call. */
  structured: 'json_schema' | 'tool';
  /** Cap on LLM spend when trex.yaml sets no budget.max_llm_cost_usd (and for `trex init`). */
  maxCostUsd?: number;
  insightsMaxChars: number;
  research: ResearchSettings;
  executor: ExecutorSettings;
  /** Where the settings came from, for messages. */
  sources: string[];
  /** Settings of the experiment folder that were ignored, and why (show them to the user). */
  warnings: string[];
}

/** The file/section shape (snake_case, like trex.yaml). Every field optional. */
export interface LlmSettingsInput {
  base_url?: string;
  model?: string;
  models?: Partial<Record<LlmRole, string>>;
  api_key_header?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  prices?: PriceTable;
  timeout_ms?: number;
  max_retries?: number;
  reply_attempts?: number;
  max_reply_bytes?: number;
  max_output_tokens?: number;
  temperature?: number;
  stream?: boolean;
  structured?: 'json_schema' | 'tool';
  max_cost_usd?: number;
  insights_max_chars?: number;
  research?: {
    enabled?: boolean;
    arxiv_url?: string;
    semantic_scholar_url?: string;
    hf_url?: string;
    timeout_ms?: number;
    max_steps?: number;
    max_bytes?: number;
    cache_ttl_hours?: number;
    allow_private_urls?: boolean;
    refresh_after?: number;
    max_refreshes?: number;
  };
  executor?: {
    max_sessions?: number;
    max_steps?: number;
    session_time_s?: number;
    command_timeout_s?: number;
    allowed_commands?: string[];
    cheap_check_examples?: number;
    cheap_check_steps?: number;
    cheap_check_timeout_s?: number;
  };
}

export interface LlmOverrides {
  /** From VS Code SecretStorage or a flag; wins over the environment. */
  apiKey?: string;
  /** Experiment folder: llm.json is looked for in <dir>/.trex/llm.json and <dir>/llm.json. */
  dir?: string;
  settingsFile?: string;
  settings?: LlmSettingsInput;
  /**
   * The user consents (CLI --trust-folder-llm, a prompt in VS Code) to the experiment folder's own
   * endpoint / Executor permissions; the consent is recorded outside the folder (trusted-folders.json).
   */
  trustFolder?: boolean;
}

/** The `llm` block's schema: one source, the shipped trex.schema.json, so the editor checks it too. */
export const LLM_SETTINGS_SCHEMA: JsonSchema = trexSchema.properties.llm;

export const DEFAULT_MODEL = 'gpt-4o-mini';
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Local servers (Ollama, vLLM, LM Studio) accept any key; this one is sent when none is set. */
export const LOCAL_PLACEHOLDER_KEY = 'sk-local-no-key';

function defaults(): LlmConfig {
  return {
    baseURL: DEFAULT_BASE_URL,
    apiKey: '',
    headers: {},
    query: {},
    models: { researcher: DEFAULT_MODEL, executor: DEFAULT_MODEL, distiller: DEFAULT_MODEL },
    prices: { ...DEFAULT_PRICES },
    timeoutMs: 120_000,
    maxRetries: 3,
    replyAttempts: 3,
    maxReplyBytes: 2 << 20,
    maxOutputTokens: 4096,
    stream: false,
    structured: 'json_schema',
    insightsMaxChars: 6000,
    research: {
      enabled: true,
      arxivURL: 'https://export.arxiv.org',
      semanticScholarURL: 'https://api.semanticscholar.org',
      hfURL: 'https://huggingface.co',
      timeoutMs: 20_000,
      maxSteps: 8,
      maxBytes: 1 << 20,
      cacheTtlMs: 7 * 24 * 3_600_000,
      allowPrivateUrls: false,
      refreshAfter: 4,
      maxRefreshes: 2,
    },
    executor: {
      maxSessions: 2,
      maxSteps: 12,
      sessionTimeMs: 15 * 60_000,
      commandTimeoutMs: 5 * 60_000,
      allowedCommands: ['ls', 'cat', 'head', 'tail', 'wc', 'grep'],
      cheapCheckExamples: 32,
      cheapCheckSteps: 5,
      cheapCheckTimeoutMs: 5 * 60_000,
    },
    sources: ['defaults'],
    warnings: [],
  };
}

const validateSettings = compileSchema(LLM_SETTINGS_SCHEMA);

function checked(input: unknown, where: string): LlmSettingsInput {
  const problems = validateSettings(input);
  if (problems.length > 0) throw new Error(`invalid LLM settings in ${where}: ${problems.join('; ')}`);
  return input as LlmSettingsInput;
}

function apply(c: LlmConfig, s: LlmSettingsInput, where: string): void {
  c.sources.push(where);
  if (s.base_url) c.baseURL = s.base_url.replace(/\/+$/, '');
  if (s.model) c.models = { researcher: s.model, executor: s.model, distiller: s.model };
  if (s.models) c.models = { ...c.models, ...s.models };
  if (s.api_key_header) c.apiKeyHeader = s.api_key_header;
  if (s.headers) c.headers = { ...c.headers, ...s.headers };
  if (s.query) c.query = { ...c.query, ...s.query };
  if (s.prices) c.prices = { ...c.prices, ...s.prices };
  if (s.timeout_ms !== undefined) c.timeoutMs = s.timeout_ms;
  if (s.max_retries !== undefined) c.maxRetries = s.max_retries;
  if (s.reply_attempts !== undefined) c.replyAttempts = s.reply_attempts;
  if (s.max_reply_bytes !== undefined) c.maxReplyBytes = s.max_reply_bytes;
  if (s.max_output_tokens !== undefined) c.maxOutputTokens = s.max_output_tokens;
  if (s.temperature !== undefined) c.temperature = s.temperature;
  if (s.stream !== undefined) c.stream = s.stream;
  if (s.structured) c.structured = s.structured;
  if (s.max_cost_usd !== undefined) c.maxCostUsd = s.max_cost_usd;
  if (s.insights_max_chars !== undefined) c.insightsMaxChars = s.insights_max_chars;
  const r = s.research;
  if (r) {
    const t = c.research;
    if (r.enabled !== undefined) t.enabled = r.enabled;
    if (r.arxiv_url) t.arxivURL = r.arxiv_url.replace(/\/+$/, '');
    if (r.semantic_scholar_url) t.semanticScholarURL = r.semantic_scholar_url.replace(/\/+$/, '');
    if (r.hf_url) t.hfURL = r.hf_url.replace(/\/+$/, '');
    if (r.timeout_ms !== undefined) t.timeoutMs = r.timeout_ms;
    if (r.max_steps !== undefined) t.maxSteps = r.max_steps;
    if (r.max_bytes !== undefined) t.maxBytes = r.max_bytes;
    if (r.cache_ttl_hours !== undefined) t.cacheTtlMs = r.cache_ttl_hours * 3_600_000;
    if (r.allow_private_urls !== undefined) t.allowPrivateUrls = r.allow_private_urls;
    if (r.refresh_after !== undefined) t.refreshAfter = r.refresh_after;
    if (r.max_refreshes !== undefined) t.maxRefreshes = r.max_refreshes;
  }
  const e = s.executor;
  if (e) {
    const t = c.executor;
    if (e.max_sessions !== undefined) t.maxSessions = e.max_sessions;
    if (e.max_steps !== undefined) t.maxSteps = e.max_steps;
    if (e.session_time_s !== undefined) t.sessionTimeMs = e.session_time_s * 1000;
    if (e.command_timeout_s !== undefined) t.commandTimeoutMs = e.command_timeout_s * 1000;
    if (e.allowed_commands) t.allowedCommands = [...e.allowed_commands];
    if (e.cheap_check_examples !== undefined) t.cheapCheckExamples = e.cheap_check_examples;
    if (e.cheap_check_steps !== undefined) t.cheapCheckSteps = e.cheap_check_steps;
    if (e.cheap_check_timeout_s !== undefined) t.cheapCheckTimeoutMs = e.cheap_check_timeout_s * 1000;
  }
}

function readSettingsFile(path: string): LlmSettingsInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read LLM settings ${path}: ${(e as Error).message}`);
  }
  if (isPlainObject(parsed) && ('api_key' in parsed || 'apiKey' in parsed)) {
    throw new Error(`${path} contains an API key: remove it and set OPENAI_API_KEY or TREX_LLM_API_KEY instead (keys never live in experiment files)`);
  }
  return checked(parsed, path);
}

function envSettings(env: NodeJS.ProcessEnv): LlmSettingsInput {
  const s: LlmSettingsInput = {};
  const n = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const x = Number(v);
    if (!Number.isFinite(x)) throw new Error(`${name} must be a number, got '${v}'`);
    return x;
  };
  const b = (name: string): boolean | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    return !['0', 'false', 'no', 'off'].includes(v.toLowerCase());
  };
  const base = env.TREX_LLM_BASE_URL || env.OPENAI_BASE_URL;
  if (base) s.base_url = base;
  if (env.TREX_LLM_MODEL) s.model = env.TREX_LLM_MODEL;
  const models: Partial<Record<LlmRole, string>> = {};
  if (env.TREX_RESEARCHER_MODEL) models.researcher = env.TREX_RESEARCHER_MODEL;
  if (env.TREX_EXECUTOR_MODEL) models.executor = env.TREX_EXECUTOR_MODEL;
  if (env.TREX_DISTILLER_MODEL) models.distiller = env.TREX_DISTILLER_MODEL;
  if (Object.keys(models).length) s.models = models;
  s.timeout_ms = n('TREX_LLM_TIMEOUT_MS');
  s.max_retries = n('TREX_LLM_MAX_RETRIES');
  s.max_cost_usd = n('TREX_LLM_MAX_COST_USD');
  s.stream = b('TREX_LLM_STREAM');
  if (env.TREX_LLM_STRUCTURED) s.structured = env.TREX_LLM_STRUCTURED as LlmSettingsInput['structured'];
  if (env.TREX_LLM_PRICES) {
    try {
      s.prices = JSON.parse(env.TREX_LLM_PRICES) as PriceTable;
    } catch {
      throw new Error('TREX_LLM_PRICES must be JSON like {"my-model": {"input": 0.5, "output": 1.5}} ($ per 1M tokens)');
    }
  }
  const research: NonNullable<LlmSettingsInput['research']> = {};
  if (env.TREX_ARXIV_URL) research.arxiv_url = env.TREX_ARXIV_URL;
  if (env.TREX_SEMANTIC_SCHOLAR_URL) research.semantic_scholar_url = env.TREX_SEMANTIC_SCHOLAR_URL;
  if (env.TREX_HF_URL) research.hf_url = env.TREX_HF_URL;
  research.enabled = b('TREX_RESEARCH');
  if (Object.values(research).some((v) => v !== undefined)) s.research = research;
  for (const k of Object.keys(s) as (keyof LlmSettingsInput)[]) if (s[k] === undefined) delete s[k];
  if (s.research) for (const k of Object.keys(s.research) as (keyof NonNullable<LlmSettingsInput['research']>)[]) if (s.research[k] === undefined) delete s.research[k];
  return checked(s, 'environment');
}

export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

/**
 * The agents' configuration, or null when no API key is available (the caller then falls back to
 * the offline proposer). A loopback base URL (a local server) needs no key.
 */
export function resolveLlmConfig(spec: TaskSpec | null, env: NodeJS.ProcessEnv, overrides: LlmOverrides = {}): LlmConfig | null {
  const c = defaults();
  // The experiment folder (trex.yaml llm section, its llm.json) may come from anyone: where the key
  // goes and what the Executor may run are taken from it only with the user's recorded consent.
  const userFile = overrides.settingsFile ?? env.TREX_LLM_CONFIG;
  const folderParts = folderSettings(spec, overrides.dir, userFile);
  if (folderParts.length) {
    const sensitive = folderParts.map((p) => sensitiveSettings(p.s));
    const anySensitive = sensitive.some((x) => Object.keys(x).length > 0);
    const folder = overrides.dir ? resolve(overrides.dir) : undefined;
    const digest = settingsDigest(sensitive);
    let trusted = false;
    if (anySensitive && folder) {
      if (overrides.trustFolder) {
        recordTrustedFolder(folder, digest, env);
        trusted = true;
      } else trusted = isTrustedFolder(folder, digest, env);
    }
    for (const p of folderParts) {
      const sens = sensitiveSettings(p.s);
      if (Object.keys(sens).length && !trusted) {
        c.warnings.push(
          `ignored ${Object.keys(sens).join(', ')} from ${p.where}: an experiment folder cannot choose where your API key goes or widen the Executor's commands without your consent ` +
            `(review them, then run with --trust-folder-llm once; or set TREX_LLM_BASE_URL / your own TREX_LLM_CONFIG)`,
        );
        apply(c, withoutSensitive(p.s), `${p.where} (untrusted parts ignored)`);
      } else apply(c, p.s, p.where);
    }
  }
  if (userFile) apply(c, readSettingsFile(userFile), userFile);
  apply(c, envSettings(env), 'environment');
  if (overrides.settings) apply(c, checked(overrides.settings, 'settings'), 'settings');
  if (spec?.budget?.max_llm_cost_usd !== undefined && spec.budget.max_llm_cost_usd > 0) c.maxCostUsd = spec.budget.max_llm_cost_usd;
  const key = overrides.apiKey || env.TREX_LLM_API_KEY || env.OPENAI_API_KEY || '';
  if (key) c.apiKey = key;
  else if (isLoopbackUrl(c.baseURL)) c.apiKey = LOCAL_PLACEHOLDER_KEY;
  else return null;
  return c;
}

/** The LLM settings an experiment folder carries: its trex.yaml llm section, and its llm.json unless the user has their own settings file. */
function folderSettings(spec: TaskSpec | null, dir: string | undefined, userFile: string | undefined): { s: LlmSettingsInput; where: string }[] {
  const parts: { s: LlmSettingsInput; where: string }[] = [];
  const section = spec ? (spec as unknown as { llm?: unknown }).llm : undefined;
  if (section !== undefined) parts.push({ s: checked(section, 'trex.yaml llm section'), where: 'trex.yaml' });
  const folderFile = dir ? [join(dir, '.trex', 'llm.json'), join(dir, 'llm.json')].find((p) => existsSync(p)) : undefined;
  if (!userFile && folderFile) parts.push({ s: readSettingsFile(folderFile), where: folderFile });
  return parts;
}

/** What an experiment folder asks for that needs the user's consent. */
export interface FolderConsentRequest {
  /** Setting name → value, e.g. base_url → http://…, executor.allowed_commands → [...]. */
  settings: Record<string, unknown>;
  /** Where each came from (trex.yaml, llm.json). */
  sources: string[];
}

/**
 * The endpoint / Executor permissions this folder sets that the user has not consented to (null
 * when there are none, or consent for exactly these values is recorded). For the editor's prompt;
 * the CLI's counterpart is --trust-folder-llm.
 */
export function folderConsentNeeded(spec: TaskSpec | null, dir: string, env: NodeJS.ProcessEnv = process.env): FolderConsentRequest | null {
  const parts = folderSettings(spec, dir, env.TREX_LLM_CONFIG);
  const sensitive = parts.map((p) => sensitiveSettings(p.s));
  const wanted = parts.filter((_, i) => Object.keys(sensitive[i]).length > 0);
  if (!wanted.length || isTrustedFolder(dir, settingsDigest(sensitive), env)) return null;
  return { settings: Object.assign({}, ...sensitive) as Record<string, unknown>, sources: wanted.map((p) => p.where) };
}

/** Records the user's consent to this folder's current endpoint / Executor settings (outside the folder). */
export function recordFolderConsent(spec: TaskSpec | null, dir: string, env: NodeJS.ProcessEnv = process.env): void {
  const sensitive = folderSettings(spec, dir, env.TREX_LLM_CONFIG).map((p) => sensitiveSettings(p.s));
  recordTrustedFolder(resolve(dir), settingsDigest(sensitive), env);
}

/** The settings an untrusted folder may not set: where requests (and the key) go, and what the agents may do. */
function sensitiveSettings(s: LlmSettingsInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.base_url !== undefined) out.base_url = s.base_url;
  if (s.api_key_header !== undefined) out.api_key_header = s.api_key_header;
  if (s.headers !== undefined) out.headers = s.headers;
  if (s.query !== undefined) out.query = s.query;
  const r = s.research;
  if (r) for (const k of ['arxiv_url', 'semantic_scholar_url', 'hf_url', 'allow_private_urls'] as const) if (r[k] !== undefined) out[`research.${k}`] = r[k];
  if (s.executor?.allowed_commands !== undefined) out['executor.allowed_commands'] = s.executor.allowed_commands;
  return out;
}

function withoutSensitive(s: LlmSettingsInput): LlmSettingsInput {
  const { base_url: _b, api_key_header: _h, headers: _hs, query: _q, ...rest } = s;
  const out: LlmSettingsInput = { ...rest };
  if (s.research) {
    const { arxiv_url: _a, semantic_scholar_url: _s, hf_url: _f, allow_private_urls: _p, ...r } = s.research;
    out.research = r;
  }
  if (s.executor) {
    const { allowed_commands: _c, ...e } = s.executor;
    out.executor = e;
  }
  return out;
}

function settingsDigest(parts: Record<string, unknown>[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Where consents live: outside every experiment folder (TREX_CONFIG_DIR, else ~/.config/trex). */
export function trustedFoldersPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.TREX_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'trex');
  return join(base, 'trusted-folders.json');
}

function readTrusted(env: NodeJS.ProcessEnv): Record<string, string> {
  try {
    const v = JSON.parse(readFileSync(trustedFoldersPath(env), 'utf8')) as unknown;
    return isPlainObject(v) ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** True when the user consented to exactly these folder settings (a change needs consent again). */
export function isTrustedFolder(folder: string, digest: string, env: NodeJS.ProcessEnv): boolean {
  return readTrusted(env)[resolve(folder)] === digest;
}

function recordTrustedFolder(folder: string, digest: string, env: NodeJS.ProcessEnv): void {
  const path = trustedFoldersPath(env);
  if (resolve(path).startsWith(resolve(folder) + '/')) throw new Error(`the trust store ${path} cannot live inside the experiment folder`);
  const all = readTrusted(env);
  all[resolve(folder)] = digest;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** One line for the CLI and the extension; never shows the key. */
export function describeLlmConfig(c: LlmConfig): string {
  const m = c.models;
  const models = m.researcher === m.executor && m.executor === m.distiller ? m.researcher : `researcher ${m.researcher}, executor ${m.executor}, distiller ${m.distiller}`;
  const host = (() => {
    try {
      return new URL(c.baseURL).host;
    } catch {
      return c.baseURL;
    }
  })();
  return `LLM agents: ${models} at ${host}` + (c.maxCostUsd !== undefined ? `, LLM budget $${c.maxCostUsd}` : '');
}

export const NO_KEY_MESSAGE =
  'No LLM API key found (set OPENAI_API_KEY or TREX_LLM_API_KEY, or TREX_LLM_BASE_URL to a local server): using the offline proposer.';
