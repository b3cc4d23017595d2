// The Executor agent's tools, all confined to one node: list/read/write files in its folder (the
// config files validated before they are written), read its stage logs, run an allowed command in
// the node folder on the node's backend (time-limited, in nodes/<id>/run/agent-<n>), and run the
// cheap checks.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Backend } from '../../backends/backend';
import { NODE_FILES, type Experiment } from '../../experiment';
import { STAGES } from '../../tree/events';
import { formatProblem, parseAndValidate, SpecError, type SchemaName } from '../../spec/validate';
import type { AgentTool } from '../agentLoop';
import type { ExecutorSettings } from '../config';
import { tailLines, truncateEnd } from '../text';
import { redact } from '../../secrets';
import { checkProposedSources } from '../../dataPolicy';
import { parse as parseYaml } from 'yaml';
import { nodeInputsFingerprint, runCheapChecks, type CheapCheckResult } from './cheapChecks';
import { runJobToEnd } from './jobs';
import { NodeSandbox, SandboxError } from './sandbox';
import { detectIsolation, runConfined } from '../../sandbox';
import { LocalBackend } from '../../backends/local';
import { describeConfigSchema } from '../compactSchema';

export interface ExecutorToolContext {
  exp: Experiment;
  nodeId: string;
  settings: ExecutorSettings;
  backend?: Backend;
  session: number;
  /** Node-relative paths written in this session. */
  changed: Set<string>;
  /** The session's last cheap check and the node's inputs it ran on (a claimed fix reuses it). */
  lastCheck?: { fingerprint: string; result: CheapCheckResult };
}

const MAX_WRITE = 256 * 1024;
/** Characters one read returns; the answer says how to read on. */
const READ_CHARS = 3000;

/** The last lines of a log that fit in maxChars, saying how many earlier lines were left out and where they are. */
export function clipLogTail(text: string, maxChars: number, path: string): string {
  if (text.length <= maxChars) return text;
  const lines = text.split('\n');
  const kept: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0 && used + lines[i].length + 1 <= maxChars; i--) {
    kept.unshift(lines[i]);
    used += lines[i].length + 1;
  }
  if (!kept.length) return `…[cut; read_file ${path} with offset and max_chars for the rest]\n${text.slice(text.length - maxChars)}`;
  return `…[${lines.length - kept.length} earlier line(s) cut; read_file ${path} with offset and max_chars to see them]\n${kept.join('\n')}`;
}
const SKIP_LIST = new Set(['ckpt', 'run']);

export function executorTools(ctx: ExecutorToolContext): AgentTool[] {
  const sandbox = new NodeSandbox(ctx.exp.nodeDir(ctx.nodeId));
  const tools: AgentTool[] = [
    {
      name: 'list_files',
      description: 'List files in the node folder (or a subfolder), with sizes.',
      parameters: { type: 'object', additionalProperties: false, properties: { path: { type: 'string', description: 'Subfolder (default: the node folder).' } } },
      async run(args) {
        const base = sandbox.resolve(typeof args.path === 'string' && args.path ? args.path : '.', 'read');
        if (!existsSync(base) || !statSync(base).isDirectory()) throw new SandboxError('not a folder');
        const out: string[] = [];
        const walk = (abs: string, depth: number) => {
          for (const name of readdirSync(abs).sort()) {
            if (out.length >= 200) return;
            const p = `${abs}/${name}`;
            const rel = sandbox.relative(p);
            // lstat: a symbolic link is listed as a link, never followed (it may lead out of the node).
            const st = lstatSync(p, { throwIfNoEntry: false });
            if (!st) continue;
            if (st.isSymbolicLink()) {
              out.push(`${rel} (symbolic link, not followed)`);
            } else if (st.isDirectory()) {
              out.push(`${rel}/`);
              if (depth < 2 && !SKIP_LIST.has(rel)) walk(p, depth + 1);
            } else out.push(`${rel} (${st.size} bytes)`);
          }
        };
        walk(base, 0);
        return out.join('\n') || '(empty)';
      },
    },
    {
      name: 'read_file',
      description: 'Read a text file of the node folder (plan.md, the configs, data_stats.json, logs/<stage>.log, your scripts).',
      parameters: {
        type: 'object',
        additionalProperties: false,
        required: ['path'],
        properties: { path: { type: 'string' }, offset: { type: 'integer', minimum: 0 }, max_chars: { type: 'integer', minimum: 1, maximum: 20000 } },
      },
      async run(args) {
        const abs = sandbox.resolve(String(args.path), 'read');
        if (!existsSync(abs) || !statSync(abs).isFile()) throw new SandboxError(`no file ${String(args.path)}`);
        const text = readFileSync(abs, 'utf8');
        const offset = typeof args.offset === 'number' ? args.offset : 0;
        const max = typeof args.max_chars === 'number' ? args.max_chars : READ_CHARS;
        const part = redact(text.slice(offset, offset + max));
        return offset + max < text.length ? `${part}\n…[${text.length - offset - max} more characters; read on with offset ${offset + max}]` : part;
      },
    },
    {
      name: 'write_file',
      description: `Create or replace a text file in the node folder (e.g. ${NODE_FILES.recipe}, ${NODE_FILES.train}, or a script under work/). ${NODE_FILES.recipe} and ${NODE_FILES.train} are validated against their schemas first. Results, logs and run state cannot be written.`,
      parameters: { type: 'object', additionalProperties: false, required: ['path', 'content'], properties: { path: { type: 'string' }, content: { type: 'string' } } },
      async run(args) {
        const rel = String(args.path);
        const content = String(args.content);
        if (content.length > MAX_WRITE) throw new SandboxError(`content too large (${content.length} characters; at most ${MAX_WRITE})`);
        const abs = sandbox.resolve(rel, 'write');
        const name = sandbox.relative(abs);
        const schema: SchemaName | undefined = name === NODE_FILES.recipe ? 'recipe' : name === NODE_FILES.train ? 'train' : undefined;
        if (schema) {
          let parsed: unknown;
          try {
            parsed = parseAndValidate(content, schema, name);
          } catch (e) {
            if (e instanceof SpecError) return `NOT written: ${name} is invalid:\n${e.problems.map(formatProblem).join('\n')}`;
            throw e;
          }
          if (schema === 'recipe') {
            // The agent may not point the recipe at data outside data/ and the user's allowlists.
            const current = existsSync(abs) ? safeParse(readFileSync(abs, 'utf8')) : undefined;
            const problems = checkProposedSources(ctx.exp.dir, ctx.exp.spec, current, parsed);
            if (problems.length) return `NOT written: ${name} names data the agent may not use:\n${problems.join('\n')}`;
          }
        }
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, content);
        ctx.changed.add(name);
        return `wrote ${name} (${content.length} characters)`;
      },
    },
    {
      name: 'read_log',
      description: `Read the tail of a stage log of this node (${STAGES.join(', ')}).`,
      parameters: {
        type: 'object',
        additionalProperties: false,
        required: ['stage'],
        properties: { stage: { enum: [...STAGES] }, lines: { type: 'integer', minimum: 1, maximum: 400 } },
      },
      async run(args) {
        const abs = sandbox.resolve(`logs/${String(args.stage)}.log`, 'read');
        if (!existsSync(abs)) return `no ${String(args.stage)} log (the stage did not run)`;
        return redact(clipLogTail(tailLines(readFileSync(abs, 'utf8'), typeof args.lines === 'number' ? args.lines : 60), READ_CHARS, `logs/${String(args.stage)}.log`)) || '(empty log)';
      },
    },
    {
      name: 'config_schema',
      description: `Every field of ${NODE_FILES.recipe} and ${NODE_FILES.train} you may set, with types and limits.`,
      parameters: { type: 'object', additionalProperties: false, properties: {} },
      async run() {
        return describeConfigSchema(ctx.exp.spec.task.kind);
      },
    },
  ];
  const backend = ctx.backend;
  if (!backend) return tools;
  const s = ctx.settings;
  let runs = 0;
  // Model-written argv runs only under OS isolation, which this machine can give to local nodes;
  // elsewhere only read-only inspection commands (checked below) and the stages via cheap_check.
  const isolation = detectIsolation();
  const confined = backend instanceof LocalBackend && isolation !== 'none';
  tools.push(
    {
      name: 'run_command',
      description: confined
        ? `Run a command in the node folder, confined (${isolation}): no network, read-only outside the node's work/ folder, with time and output limits. argv[0] must be one of: ${s.allowedCommands.join(', ')}. Write scratch files under work/. Returns the exit code and the output tail.`
        : `Run a command in the node folder on the node's machine, with a time limit. argv[0] must be one of: ${s.allowedCommands.filter((c) => SAFE_COMMANDS.includes(c)).join(', ')} (read-only inspection; use cheap_check to run the node's stages). Paths must be relative to the node folder. Returns the exit code and the output tail.`,
      parameters: {
        type: 'object',
        additionalProperties: false,
        required: ['argv'],
        properties: {
          argv: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', maxLength: 2000 } },
          timeout_s: { type: 'number', exclusiveMinimum: 0 },
        },
      },
      async run(args, signal) {
        const argv = (args.argv as string[]).map(String);
        const timeoutMs = Math.min(s.commandTimeoutMs, typeof args.timeout_s === 'number' ? args.timeout_s * 1000 : s.commandTimeoutMs);
        const links = escapingSymlinks(ctx.exp.nodeDir(ctx.nodeId));
        if (links.length) throw new SandboxError(`the node folder has symbolic links leading outside it (${links.join(', ')}); commands are refused until they are removed`);
        if (confined) return runConfinedCommand(ctx, argv, timeoutMs, signal);
        const problem = checkArgv(argv, s.allowedCommands);
        if (problem) throw new SandboxError(problem);
        runs++;
        const nodeRel = `nodes/${ctx.nodeId}`;
        const runDir = `${nodeRel}/run/agent-${ctx.session}-${runs}`;
        const inputs = readdirSync(ctx.exp.nodeDir(ctx.nodeId)).filter((n) => !SKIP_LIST.has(n) && n !== 'logs').map((n) => `${nodeRel}/${n}`);
        const r = await runJobToEnd(
          backend,
          // cd first: commands run in the node folder, not the experiment root.
          { runDir, argv: ['bash', '-c', 'cd -- "$0" && exec "$@"', nodeRel, ...argv], env: { PYTHONUNBUFFERED: '1' }, inputs, outputs: [`${nodeRel}/work`], label: `${ctx.nodeId} agent command` },
          timeoutMs,
          signal,
        );
        const status = r.aborted ? 'cancelled' : r.timedOut ? `timed out after ${(timeoutMs / 1000).toFixed(0)} s (killed)` : `exit code ${r.exitCode}`;
        return redact(`${status}\n--- output (tail) ---\n${truncateEnd(tailLines(r.output, 80), 6000) || '(no output)'}`);
      },
    },
    {
      name: 'cheap_check',
      description: 'Prepare the data on a small sample and train a few steps with the current recipe.yaml and train.yaml: a fast check that the node will run.',
      parameters: { type: 'object', additionalProperties: false, properties: {} },
      async run(_args, signal) {
        const fingerprint = nodeInputsFingerprint(ctx.exp, ctx.nodeId);
        const r = await runCheapChecks(ctx.exp, ctx.nodeId, backend, { examples: s.cheapCheckExamples, steps: s.cheapCheckSteps, timeoutMs: s.cheapCheckTimeoutMs, signal, session: ctx.session });
        ctx.lastCheck = { fingerprint, result: r };
        return r.ok ? `cheap check passed in ${(r.wallMs / 1000).toFixed(1)} s` : `cheap check FAILED at ${r.stage}: ${r.reason}\n${truncateEnd(r.logTail, 3000)}`;
      },
    },
  );
  return tools;
}

const CONFINED_OUTPUT_BYTES = 1 << 20;
const CONFINED_FILE_BYTES = 256 << 20;

/** A model-written argv, run confined in the node folder; argv[0] must be allowed by the settings. */
async function runConfinedCommand(ctx: ExecutorToolContext, argv: string[], timeoutMs: number, signal?: AbortSignal): Promise<string> {
  if (!argv.length || !argv[0]) throw new SandboxError('argv is empty');
  const allowed = ctx.settings.allowedCommands;
  if (!allowed.includes(argv[0])) throw new SandboxError(`'${argv[0].slice(0, 60)}' is not an allowed command (allowed: ${allowed.join(', ')})`);
  if (argv.some((a) => a.includes('\0'))) throw new SandboxError('arguments cannot contain NUL bytes');
  const program = ctx.backend instanceof LocalBackend ? ctx.backend.resolveArgv([argv[0]])[0] : argv[0];
  const r = await runConfined({
    argv: [program, ...argv.slice(1)],
    nodeDir: ctx.exp.nodeDir(ctx.nodeId),
    timeoutMs,
    maxOutputBytes: CONFINED_OUTPUT_BYTES,
    maxFileBytes: CONFINED_FILE_BYTES,
    env: { PYTHONUNBUFFERED: '1' },
    signal,
  });
  const status = r.aborted
    ? 'cancelled'
    : r.timedOut
      ? `timed out after ${(timeoutMs / 1000).toFixed(0)} s (killed)`
      : r.outputLimited
        ? `killed: output over ${CONFINED_OUTPUT_BYTES} bytes`
        : r.exitCode === 125
          ? 'the sandbox could not be set up (exit code 125)'
          : `exit code ${r.exitCode}`;
  return redact(`${status}\n--- output (tail) ---\n${truncateEnd(tailLines(r.output, 80), 6000) || '(no output)'}`);
}

/**
 * Programs the Executor may run without OS isolation: read-only inspection only. Interpreters,
 * shells and anything that writes, executes or reaches the network are never allowed, whatever
 * allowed_commands says (settings can only narrow this list); the node's own stage commands run
 * through cheap_check.
 */
export const SAFE_COMMANDS: readonly string[] = ['ls', 'cat', 'head', 'tail', 'wc', 'grep'];
/** Written by the engine only; no argument may name them (an agent command must not fake a result). */
const ENGINE_OWNED = new Set(['metrics.json', 'predictions.jsonl', 'data_stats.json', 'executor.jsonl', 'bad_cases.md', 'logs', 'run', 'ckpt']);

/** Only safe programs, and no argument that names a file outside the node folder or an engine-owned file. */
export function checkArgv(argv: string[], allowed: string[]): string | undefined {
  if (!argv.length || !argv[0]) return 'argv is empty';
  if (!allowed.includes(argv[0])) return `'${argv[0].slice(0, 60)}' is not an allowed command (allowed: ${allowed.join(', ')})`;
  if (!SAFE_COMMANDS.includes(argv[0])) return `'${argv[0].slice(0, 60)}' cannot run without OS isolation (only ${SAFE_COMMANDS.join(', ')}; use cheap_check to run the node's stages)`;
  for (const a of argv.slice(1)) {
    if (a.includes('\0')) return 'arguments cannot contain NUL bytes';
    if (/\{(python|runner|cache)\}/.test(a)) return `placeholders are not allowed in arguments (${a.slice(0, 80)}): they lead outside the node folder`;
    // A short option with its value attached (-f/etc/passwd) hides a path: values go in their own argument.
    if (a.startsWith('-') && !a.includes('=') && /[\\/~]/.test(a)) return `option values with a path must be a separate argument (${a.slice(0, 80)})`;
    // Every piece that could be a path: the argument, and whatever follows '=' (--opt=/abs) or ':' / ','.
    const pieces = [a, ...a.split(/[=:,]/).slice(1)];
    for (const p of pieces) {
      if (p.startsWith('/') || p.startsWith('~') || p.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(p)) return `absolute paths are not allowed (${a.slice(0, 80)}); use paths relative to the node folder`;
    }
    const segments = a.split(/[\\/=:,]/);
    if (segments.includes('..') || a.includes('/..') || a.includes('../')) return `'..' is not allowed in arguments (${a.slice(0, 80)})`;
    for (const p of pieces) {
      const first = p.split(/[\\/]+/).filter((x) => x !== '' && x !== '.');
      if (first.length && ENGINE_OWNED.has(first[0].toLowerCase())) return `${first[0]} is managed by the engine; agent commands cannot name it (${a.slice(0, 80)})`;
    }
  }
  return undefined;
}

/** Symbolic links under the node folder whose target is outside it (at most a few, for the message). */
export function escapingSymlinks(root: string, limit = 5): string[] {
  const realRoot = realpathSync(root);
  const found: string[] = [];
  const walk = (abs: string, depth: number) => {
    if (found.length >= limit || depth > 6) return;
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(abs, name);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isSymbolicLink()) {
        let real: string | undefined;
        try {
          real = realpathSync(p);
        } catch {
          real = undefined;
        }
        if (!real || (real !== realRoot && !real.startsWith(realRoot + sep))) found.push(relative(realRoot, p));
      } else if (st.isDirectory() && !(depth === 0 && (name === 'ckpt' || name === 'run'))) walk(p, depth + 1);
      if (found.length >= limit) return;
    }
  };
  walk(realRoot, 0);
  return found;
}

function safeParse(text: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch {
    return undefined;
  }
}
