// `trex`: the headless shell over the engine. init, run, status, validate, prune, examples.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  approveNode,
  resumeNode,
  withIdleExperiment,
  rejectNode,
  runnerDir,
  setPruned,
  describeChanges,
  exportNode,
  EXPORT_FORMATS,
  type ExportFormat,
  Experiment,
  loadYamlFile,
  NODE_FILES,
  ExperimentLock,
  formatProblem,
  isNodeId,
  listExamples,
  readExample,
  initFromExample,
  openSearchSession,
  SpecError,
  summarizeTree,
  type SearchSession,
  type TreeSummary,
  type FinalistSummary,
} from '../engine';
import { doctorLocal, doctorRemote, renderDoctor } from '../engine/doctor';
import { initFromRequirement, NO_KEY_MESSAGE, resolveLlmConfig } from '../engine/llm';
import { parseArgs, stringFlag, UsageError, type ParsedArgs } from './args';
import { ProgressView } from './progressView';
import { searchRequestFromFlags } from './runRequest';

const USAGE = `trex — LLM fine-tuning by tree search

Usage:
  trex init <dir> --from <example>        new experiment from an example task (see: trex examples)
  trex init <dir> --requirement "…" [--partial trex.yaml]
                                          new experiment from a requirement (LLM Researcher)
  trex run <dir> [--budget N] [--policy uct|greedy|random|sequential] [--parallel K]
                 [--backend local|ssh:<host>|slurm:<host>|pool:<m1>,<m2>] [--seed S] [--proposer offline|llm]
                 [--accept-new-host] [--trust-folder-llm]
                                          run or resume the search; Ctrl-C stops cleanly
  trex status <dir> [--json]              the tree and the best node
  trex validate <dir>                     check trex.yaml and every node's files
  trex prune <dir> <node> [--undo]        exclude a subtree from selection (reversible)
  trex export <dir> <node> <out> [--format hf|trl|llamafactory]
                                          a self-contained bundle that reproduces the node without TREX
  trex approve <dir> <node>...            let proposed nodes run (approval mode: search.approval)
  trex reject <dir> <node>...             drop proposed nodes
  trex resume <dir> <node>                continue a node stopped early from its checkpoint (on the next trex run)
  trex examples                           list the example tasks
  trex doctor [--backend local|ssh:<host>|slurm:<host>] [--json]
                                          what the training machine can run, with fixes
`;

const BOOLEAN_FLAGS = new Set(['json', 'undo', 'help', 'quiet', 'accept-new-host', 'trust-folder-llm']);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const args = parseArgs(rest, BOOLEAN_FLAGS);
  switch (command) {
    case 'init':
      return cmdInit(args);
    case 'run':
      return cmdRun(args);
    case 'status':
      return cmdStatus(args);
    case 'validate':
      return cmdValidate(args);
    case 'prune':
      return cmdPrune(args);
    case 'export':
      return cmdExport(args);
    case 'approve':
    case 'reject':
      return cmdVerdict(args, command);
    case 'resume':
      return cmdResume(args);
    case 'examples':
      return cmdExamples();
    case 'doctor':
      return cmdDoctor(args);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function dirArg(args: ParsedArgs): string {
  const dir = args.positionals[0];
  if (!dir) throw new UsageError('missing <dir>');
  return dir;
}

function cmdExamples(): number {
  for (const { name, summary } of listExamples()) process.stdout.write(`${name.padEnd(24)} ${summary}\n`);
  return 0;
}

/** Exits 1 when the default framework cannot train on the machine. */
async function cmdDoctor(args: ParsedArgs): Promise<number> {
  const backend = stringFlag(args, 'backend') ?? 'local';
  const report =
    backend === 'local'
      ? await doctorLocal({ runnerDir: runnerDir(), workDir: process.env.TREX_CACHE ?? process.cwd() })
      : await doctorRemote({ backend, runnerDir: runnerDir(), acceptNewHost: args.flags.has('accept-new-host') });
  process.stdout.write(args.flags.has('json') ? JSON.stringify(report, null, 2) + '\n' : renderDoctor(report));
  return report.usable ? 0 : 1;
}

async function cmdInit(args: ParsedArgs): Promise<number> {
  const dir = dirArg(args);
  const from = stringFlag(args, 'from');
  const requirement = stringFlag(args, 'requirement');
  if (requirement !== undefined) {
    const config = resolveLlmConfig(null, process.env, { dir });
    if (!config) throw new Error(`${NO_KEY_MESSAGE}\nWithout a model, start from an example: trex init ${dir} --from <example> (trex examples lists them).`);
    const partialPath = stringFlag(args, 'partial');
    const partial = partialPath ? readFileSync(partialPath, 'utf8') : undefined;
    process.stdout.write('Analysing the requirement…\n');
    const result = await initFromRequirement(dir, requirement, config, partial);
    for (const n of result.notes) process.stdout.write(`  ${n}\n`);
    process.stdout.write(`Wrote ${result.specPath}. Review it, then: trex run ${dir}\n`);
    return 0;
  }
  if (!from) throw new UsageError('trex init needs --from <example> or --requirement "…"');
  try {
    readExample(from);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  initFromExample(dir, from);
  process.stdout.write(`Created ${dir} from example '${from}'. Review ${join(dir, 'trex.yaml')}, then: trex run ${dir}\n`);
  return 0;
}

async function cmdRun(args: ParsedArgs): Promise<number> {
  const dir = dirArg(args);
  const request = searchRequestFromFlags(args, process.env);
  const exp = Experiment.open(dir);
  for (const w of exp.loadWarnings) process.stderr.write(`warning: ${w}\n`);
  const view = new ProgressView(exp.tree, process.stdout);
  const unsubscribe = exp.onEvent((e) => view.onEvent(e));
  const controller = new AbortController();
  let session: SearchSession;
  try {
    session = await openSearchSession(exp, {
      ...request,
      onProgress: (p) => view.onProgress(p),
      onNotice: (m) => view.print(m),
      signal: controller.signal,
    });
  } catch (e) {
    unsubscribe();
    exp.close();
    throw e;
  }
  const { search, backend } = session;
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      view.print('Stopping: cancelling running stages (Ctrl-C again to quit at once)…');
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  view.print(session.proposerNotice);
  const b = search.budget;
  view.print(`Searching ${exp.spec.name} (${exp.spec.metric.name}, ${exp.spec.metric.goal}) with ${search.settings.policy}, ${session.slots} slot(s) on ${backend.name}; budget ${b.max_runs ?? '∞'} runs.`);
  try {
    const summary = await search.run(controller.signal);
    view.close();
    const tree = exp.tree;
    const saved = tree.savedMs();
    process.stdout.write(`\nStopped (${summary.reason}) after ${summary.runs} training runs; compute ${(tree.computeMsSpent() / 1000).toFixed(1)}s, saved by reuse ${(saved / 1000).toFixed(1)}s.\n`);
    if (summary.reason === 'awaiting_approval') {
      const waiting = [...tree.nodes.values()].filter((n) => n.status === 'awaiting_approval').map((n) => n.id);
      process.stdout.write(`Waiting for approval: ${waiting.join(' ')}. Review their plan.md, then: trex approve ${dir} <node>… (or trex reject) and trex run ${dir}\n`);
    }
    if (summary.best) {
      const best = tree.get(summary.best.id);
      const root = tree.root ? tree.get(tree.root) : undefined;
      process.stdout.write(`Best node: ${summary.best.id} — ${exp.spec.metric.name} ${summary.best.score.toFixed(4)} on validation, ${summary.best.testScore?.toFixed(4) ?? '—'} on held-out test` + (root?.result ? ` (baseline ${root.result.score.toFixed(4)})` : '') + `\n  ${describeChanges(best)} · files: ${join(dir, 'nodes', best.id)}\n`);
    }
    if (summary.final) process.stdout.write(renderFinalPick(exp.spec.metric.name, summarizeTree(tree).final!));
    return summary.reason === 'stopped' ? 130 : 0;
  } finally {
    unsubscribe();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await session.close();
    exp.close();
  }
}

function cmdStatus(args: ParsedArgs): number {
  const dir = dirArg(args);
  const exp = Experiment.open(dir, { readOnly: true });
  for (const w of exp.loadWarnings) process.stderr.write(`warning: ${w}\n`);
  try {
    const summary = summarizeTree(exp.tree);
    if (args.flags.has('json')) {
      process.stdout.write(JSON.stringify({ experiment: exp.spec.name, ...summary }, null, 2) + '\n');
      return 0;
    }
    process.stdout.write(renderStatus(exp.spec.name, summary));
    return 0;
  } finally {
    exp.close();
  }
}

const STATUS_MARK: Record<string, string> = { succeeded: '✓', failed: '✗', running: '⟳', pending: '·', awaiting_approval: '?', cancelled: '⊘', rejected: '⊘', stopped: '⏸ stopped early' };

/** What `trex status` says beside a node about early stopping and resuming. */
function earlyStopNotes(n: TreeSummary['nodes'][number]): string[] {
  const e = n.earlyStop;
  const notes = e && n.status === 'stopped' ? [`${e.reason}; partial ${e.metric} ${e.value} at step ${e.step}, not a full result; trex resume continues it`] : [];
  if (n.resumedFromStep !== null) notes.push(`resumed from step ${n.resumedFromStep}`);
  return notes;
}

function renderStatus(name: string, s: TreeSummary): string {
  const lines: string[] = [];
  lines.push(`${name} — ${s.metric} (${s.goal}) — ${s.nodes.length} nodes, ${s.runs} runs, compute ${(s.computeMs / 1000).toFixed(1)}s, saved ${(s.savedMs / 1000).toFixed(1)}s` + (s.tokens ? `, ${s.tokens} tokens ($${s.costUsd.toFixed(4)})` : ''));
  const byParent = new Map<string | null, typeof s.nodes>();
  for (const n of s.nodes) byParent.set(n.parent, [...(byParent.get(n.parent) ?? []), n]);
  const walk = (parent: string | null, prefix: string) => {
    const kids = byParent.get(parent) ?? [];
    kids.forEach((n, i) => {
      const last = i === kids.length - 1;
      const branch = parent === null ? '' : last ? '└─ ' : '├─ ';
      const score = n.score !== null ? n.score.toFixed(4) : '  —   ';
      const notes = [n.reusedFrom ? `reused ${n.reusedFrom}` : '', n.pruned ? 'pruned' : '', n.failure ? n.failure.split('\n')[0].slice(0, 80) : '', ...earlyStopNotes(n), s.best?.id === n.id ? '★ best' : '', s.final?.pick.id === n.id ? '◆ recommended' : '', n.expansion ? `expanded: ${n.expansion.kind ?? 'UCT pick'} — ${n.expansion.reason.slice(0, 100)}` : ''].filter(Boolean).join('; ');
      const change = n.changes.length ? n.changes.map((c) => `${c.path.split('.').pop()}=${JSON.stringify(c.to)}`).join(', ') : n.title;
      lines.push(`${prefix}${branch}${n.id} ${STATUS_MARK[n.status] ?? n.status} ${score}  ${change}${notes ? `  (${notes})` : ''}`);
      walk(n.id, parent === null ? '' : prefix + (last ? '   ' : '│  '));
    });
  };
  walk(null, '');
  if (s.best) lines.push(`Best: ${s.best.id} ${s.metric}=${s.best.score.toFixed(4)} (validation), ${s.best.testScore?.toFixed(4) ?? '—'} (held-out test)`);
  return lines.join('\n') + '\n' + (s.final ? renderFinalPick(s.metric, s.final) : '');
}

/** The recommendation by mean ± sd over seeds, and each finalist's numbers. */
function renderFinalPick(metric: string, f: NonNullable<TreeSummary['final']>): string {
  const line = (x: FinalistSummary) => `${x.id} ${metric}=${x.mean.toFixed(4)} ± ${x.sd.toFixed(4)} over ${x.scores.length} seeds (validation; runs ${x.runs.join(', ')}), held-out test mean ${x.testMean?.toFixed(4) ?? '—'}`;
  const others = f.finalists.filter((x) => x.id !== f.pick.id).map((x) => `  also re-run: ${line(x)}\n`).join('');
  return `Recommended (best mean over seeds): ${line(f.pick)}\n${others}`;
}

function cmdValidate(args: ParsedArgs): number {
  const dir = dirArg(args);
  let bad = 0;
  const report = (e: unknown) => {
    if (!(e instanceof SpecError)) throw e;
    for (const p of e.problems) process.stdout.write(formatProblem(p) + '\n');
    bad++;
  };
  // Every file is checked even when one is refused: a broken trex.yaml still lets the node files be checked.
  let exp: Experiment | undefined;
  try {
    exp = Experiment.open(dir, { readOnly: true });
  } catch (e) {
    report(e);
  }
  try {
    for (const w of exp?.loadWarnings ?? []) process.stderr.write(`warning: ${w}\n`);
    const ids = exp
      ? [...exp.tree.nodes.keys()]
      : existsSync(join(dir, 'nodes'))
        ? readdirSync(join(dir, 'nodes')).filter(isNodeId).sort()
        : [];
    for (const id of ids) {
      for (const [file, schema] of [[NODE_FILES.recipe, 'recipe'], [NODE_FILES.train, 'train']] as const) {
        try {
          loadYamlFile(join(dir, 'nodes', id, file), schema, `nodes/${id}/${file}`);
        } catch (e) {
          report(e);
        }
      }
    }
  } finally {
    exp?.close();
  }
  process.stdout.write(bad ? `${bad} file(s) with errors\n` : 'trex.yaml and all node files are valid\n');
  return bad ? 1 : 0;
}

/** Opens the experiment for a change by hand, refusing while a search process holds it. */
function cmdVerdict(args: ParsedArgs, verdict: 'approve' | 'reject'): number {
  const dir = dirArg(args);
  const ids = args.positionals.slice(1);
  if (ids.length === 0) throw new UsageError('missing <node>');
  return withIdleExperiment(dir, verdict, (exp) => {
    for (const id of ids) {
      if (verdict === 'approve') approveNode(exp, id);
      else rejectNode(exp, id);
      process.stdout.write(`${id} ${verdict === 'approve' ? 'approved: it runs on the next trex run' : 'rejected'}\n`);
    }
    return 0;
  });
}

function cmdResume(args: ParsedArgs): number {
  const dir = dirArg(args);
  const id = args.positionals[1];
  if (!id) throw new UsageError('missing <node>');
  return withIdleExperiment(dir, 'resume', (exp) => {
    const step = resumeNode(exp, id);
    process.stdout.write(`${id} queued to continue from its checkpoint at step ${step}: it trains to the end on the next trex run\n`);
    return 0;
  });
}

function cmdPrune(args: ParsedArgs): number {
  const dir = dirArg(args);
  const id = args.positionals[1];
  if (!id) throw new UsageError('missing <node>');
  return withIdleExperiment(dir, 'prune', (exp) => {
    const pruned = !args.flags.has('undo');
    setPruned(exp, id, pruned);
    process.stdout.write(`${id} ${pruned ? 'pruned: its subtree is excluded from selection' : 'restored'}\n`);
    return 0;
  });
}

function cmdExport(args: ParsedArgs): number {
  const dir = dirArg(args);
  const [, id, out] = args.positionals;
  if (!id || !out) throw new UsageError('trex export needs <dir> <node> <out>');
  const format = stringFlag(args, 'format');
  if (format !== undefined && !(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
  if (!isNodeId(id)) throw new UsageError(`'${id}' is not a node id`);
  const exp = Experiment.open(dir, { readOnly: true });
  try {
    const r = exportNode(exp, id, out, { format: format as ExportFormat | undefined });
    process.stdout.write(`Exported ${id} (${r.framework}) to ${r.dir}: ${r.files.length} files. Reproduce it with: bash ${join(out, 'run.sh')} (see its README.md)\n`);
    return 0;
  } finally {
    exp.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof SpecError) {
      process.stderr.write(`Invalid experiment files:\n${e.problems.map((p) => '  ' + formatProblem(p)).join('\n')}\n`);
      process.exit(2);
    }
    if (e instanceof UsageError) {
      process.stderr.write(`trex: ${e.message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`trex: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
