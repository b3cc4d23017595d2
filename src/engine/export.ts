// A node, exported as a self-contained bundle that reproduces it without TREX: the data recipe,
// the rendered framework config, the exact stage commands in run.sh, the trainer scripts they run,
// the pinned library versions, the seed, and a README with the node's scores and lineage. The
// bundle keeps the experiment-relative layout the stage commands use, so they run unchanged.
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { NODE_FILES, type Experiment } from './experiment';
import { localDataFiles, LLM_FRAMEWORKS, planNodeStages, resolveTrain, writeRenderedFiles, type NodeStages, type StagePlan } from './frameworks';
import { TINY_MODEL } from './frameworks/modelInfo';
import { runnerDir } from './packageDirs';
import { describeChanges } from './insights';
import type { NodeConfig } from './spec/configPaths';
import type { JsonObject } from './spec/types';

export type ExportFormat = (typeof LLM_FRAMEWORKS)[number];
/** The frameworks a node of an llm task can be exported for. */
export const EXPORT_FORMATS: readonly ExportFormat[] = LLM_FRAMEWORKS;

export interface ExportResult {
  dir: string;
  framework: string;
  /** Files written, relative to the bundle. */
  files: string[];
}

/** Writes the bundle for `nodeId` into `outDir` (created; must be empty or absent). */
export function exportNode(exp: Experiment, nodeId: string, outDir: string, opts: { format?: ExportFormat } = {}): ExportResult {
  const node = exp.tree.get(nodeId);
  const out = resolve(outDir);
  if (out === resolve(exp.dir) || out.startsWith(resolve(exp.dir) + '/')) throw new Error(`export to a folder outside the experiment (${outDir} is inside it)`);
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`${outDir} is not empty: export into a new folder`);
  const config = exp.readNodeConfig(nodeId);
  const resolved = resolveTrain(config.train);
  const framework = resolved.framework;
  if (opts.format && opts.format !== framework && framework === 'micro') throw new Error(`${nodeId} trains with the micro trainer; --format applies to llm tasks (hf, trl, llamafactory)`);
  const train = opts.format && opts.format !== framework ? resolveTrain({ ...config.train, framework: opts.format }) : resolved;
  const runDir = `nodes/${nodeId}/run`;
  const dataDir = `nodes/${nodeId}/data`;
  // The whole schedule from the base model: a warm-started node continued its parent's checkpoint.
  const stages = planNodeStages({ nodeId, runDir, dataDir, spec: exp.spec, recipe: config.recipe, train });

  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  const write = (rel: string, content: string) => {
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    writeFileSync(join(out, rel), content);
    written.push(rel);
  };
  const taskJson: JsonObject = { name: exp.spec.name, base_model: exp.spec.base_model, task: exp.spec.task as JsonObject, metric: exp.spec.metric, evaluation: exp.spec.evaluation };
  write(`${runDir}/task.json`, JSON.stringify(taskJson, null, 2));
  write(`${runDir}/recipe.json`, JSON.stringify(config.recipe, null, 2));
  writeRenderedFiles(out, stages.files);
  written.push(...stages.files.map((f) => f.path));
  for (const f of [NODE_FILES.plan, NODE_FILES.recipe, NODE_FILES.train]) {
    if (existsSync(exp.nodePath(nodeId, f))) {
      mkdirSync(join(out, 'nodes', nodeId), { recursive: true });
      copyFileSync(exp.nodePath(nodeId, f), join(out, 'nodes', nodeId, f));
      written.push(`nodes/${nodeId}/${f}`);
    }
  }
  copyFileSync(join(exp.dir, 'trex.yaml'), join(out, 'trex.yaml'));
  written.push('trex.yaml');
  for (const rel of localDataFiles({ nodeId, runDir, dataDir, spec: exp.spec, recipe: config.recipe, train })) {
    const src = join(exp.dir, rel);
    if (!existsSync(src)) throw new Error(`${nodeId}'s data file ${rel} is missing from the experiment folder`);
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    cpSync(src, join(out, rel), { recursive: true, dereference: false, verbatimSymlinks: true });
    written.push(rel);
  }
  written.push(...copyTrainer(out, framework));
  write('run.sh', runScript(stages, stageThreads(exp, nodeId)));
  write('README.md', readme(exp, nodeId, config, stages, train.framework, framework));
  return { dir: out, framework: train.framework, files: written.sort() };
}

/** The trainer scripts the stages run, and the pinned versions they were tested with. */
function copyTrainer(out: string, framework: string): string[] {
  const src = runnerDir();
  // Both trainers speak the engine protocol through trex_protocol.
  const parts = framework === 'micro' ? ['trex_micro.py', 'trex_micro', 'trex_protocol'] : ['trex_llm.py', 'trex_llm', 'trex_protocol', 'requirements.txt', 'requirements.lock'];
  const copied: string[] = [];
  for (const p of parts) {
    if (!existsSync(join(src, p))) continue;
    cpSync(join(src, p), join(out, 'trainer', p), { recursive: true, filter: (s) => !/__pycache__|[/\\]tests([/\\]|$)/.test(relative(src, s)) });
    copied.push(`trainer/${p}`);
  }
  if (framework === 'micro') {
    writeFileSync(join(out, 'trainer', 'requirements.txt'), '# The micro trainer needs PyTorch only (any 2.x CPU or CUDA build).\ntorch>=2.1\n');
    copied.push('trainer/requirements.txt');
  }
  return copied;
}

/** The CPU threads the node's train stage ran with, from the command line its run folder kept. */
function stageThreads(exp: Experiment, nodeId: string): number | undefined {
  const cmd = exp.nodePath(nodeId, 'run', 'train', 'cmd');
  if (!existsSync(cmd)) return undefined;
  const m = /(?:^|\s)TREX_THREADS=(\d+)(?:\s|$)/.exec(readFileSync(cmd, 'utf8'));
  return m ? Number(m[1]) : undefined;
}

function shellWord(s: string): string {
  return /^[\w./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One argv word for bash: {runner} is the bundled trainer/, {cache} the $CACHE variable. */
function bashWord(arg: string): string {
  const a = arg.replace(/\{runner\}/g, 'trainer');
  if (a === '{python}') return '"$PYTHON"';
  if (!a.includes('{cache}')) return shellWord(a);
  const dq = (t: string) => t.replace(/[\\"$`]/g, (c) => `\\${c}`);
  return `"${a.split('{cache}').map(dq).join('${CACHE}')}"`;
}

function command(plan: StagePlan): string {
  const env = Object.entries(plan.env).map(([k, v]) => `${k}=${shellWord(v)} `).join('');
  return env + plan.argv.map(bashWord).join(' ');
}

function runScript(stages: NodeStages, threads: number | undefined): string {
  return [
    '#!/usr/bin/env bash',
    '# Reproduces the node: prepare the data, train, evaluate — the exact commands TREX ran.',
    '# PYTHON: a Python with trainer/requirements.txt installed (default: python3).',
    '# CACHE: where base models and downloads are cached (default: ./.cache); the trainer reads it',
    '#   as TREX_CACHE (trex:tiny-llama is built there by trainer/trex_llm/tiny_model.py on first use).',
    ...(threads
      ? [`# TREX_THREADS: CPU threads per stage (default ${threads}, as TREX ran the node; on a CPU another count`, '#   changes the order of float sums, so the scores may differ slightly).']
      : []),
    'set -euo pipefail',
    'cd "$(dirname "$0")"',
    'PYTHON=${PYTHON:-python3}',
    'CACHE=${CACHE:-$PWD/.cache}',
    'mkdir -p "$CACHE"',
    'export TREX_CACHE="$CACHE"',
    ...(threads ? [`export TREX_THREADS=\${TREX_THREADS:-${threads}}`, 'export OMP_NUM_THREADS=$TREX_THREADS'] : []),
    'export PYTHONUNBUFFERED=1',
    `echo "[1/3] prepare"`,
    command(stages.prepare),
    `echo "[2/3] train"`,
    command(stages.train),
    `echo "[3/3] evaluate"`,
    command(stages.evaluate),
    '',
  ].join('\n');
}

function readme(exp: Experiment, nodeId: string, config: NodeConfig, stages: NodeStages, framework: string, ranWith: string): string {
  const tree = exp.tree;
  const node = tree.get(nodeId);
  const lineage: string[] = [];
  for (let id: string | null = nodeId; id; id = tree.get(id).parent) lineage.unshift(id);
  const r = node.result;
  const metric = exp.spec.metric.name;
  const train = stages.train.argv;
  return [
    `# ${exp.spec.name} — node ${nodeId}: ${node.title}`,
    '',
    `Exported from a TREX experiment. ${exp.spec.objective.trim()}`,
    '',
    '## Scores',
    '',
    r ? `- ${metric} (validation, used for selection): ${r.score.toFixed(4)}` : `- not scored (status: ${node.status})`,
    r?.testScore !== undefined ? `- ${metric} (held-out test, reported only): ${r.testScore.toFixed(4)}` : '',
    r?.reusedFrom ? `- answered from ${r.reusedFrom}, which had the identical configuration` : '',
    r?.warmStartFrom ? `- TREX continued ${r.warmStartFrom}'s checkpoint for this node; run.sh trains the whole schedule from the base model instead` : '',
    '',
    '## Lineage',
    '',
    ...lineage.map((id) => `- ${id} ${tree.get(id).title}: ${describeChanges(tree.get(id))}`),
    '',
    '## Reproduce',
    '',
    '```bash',
    'python3 -m venv .venv && .venv/bin/pip install -r trainer/requirements.txt',
    'PYTHON=.venv/bin/python bash run.sh',
    '```',
    '',
    `Framework: ${framework}. The scores land in \`nodes/${nodeId}/metrics.json\`; the training log in the checkpoint folder.`,
    framework !== ranWith
      ? `TREX trained this node with ${ranWith}; this bundle renders the same train.yaml for ${framework} (--format), so its score is that framework's own run of the config, not the one above, and can differ by more than the metric's noise.`
      : '',
    `Seed: ${JSON.stringify(config.train.seed ?? 0)} (train.yaml), data seed ${JSON.stringify(config.recipe.seed ?? 0)} (recipe.yaml).`,
    baseModelNote(exp.spec.base_model),
    framework === ranWith ? reproducibilityNote(ranWith) : '',
    '',
    '## Files',
    '',
    `- \`nodes/${nodeId}/plan.md\`, \`recipe.yaml\`, \`train.yaml\`: the node as TREX kept it`,
    `- \`${runFolder(nodeId)}/\`: the rendered configs the stages read`,
    `- \`run.sh\`: the stage commands (train: \`${train.slice(1, 3).map(bashWord).join(' ')} …\`)`,
    '- `trainer/`: the scripts the commands run and `requirements.txt` with the pinned versions',
    '',
  ]
    .filter((l, i, all) => l !== '' || all[i - 1] !== '')
    .join('\n');
}

function reproducibilityNote(framework: string): string {
  const checked = framework === 'trl' ? ' (checked for TRL on trex:tiny-llama: the same adapter weights, predictions and score, bit for bit)' : '';
  return `With the same seeds, pinned versions and TREX_THREADS on a CPU the stages are deterministic${checked}; on a GPU, or with other versions or thread counts, expect the score within the metric's sampling noise.`;
}

function baseModelNote(base: string): string {
  if (base === TINY_MODEL) return `Base model: ${base}, the tiny Llama that \`trainer/trex_llm/tiny_model.py\` builds from a fixed seed into $CACHE on first use (about a minute on a CPU; no download).`;
  return `Base model: ${base} (a local folder, or a Hugging Face hub id that transformers downloads into its own cache).`;
}

function runFolder(nodeId: string): string {
  return `nodes/${nodeId}/run`;
}
