// One tiny real fine-tune per framework (hf, trl, llamafactory): prepare → train → evaluate on the
// tiny Llama (trainer/trex_llm/tiny_model.py) through TREX's executor and local backend, against the
// very same stage commands (each stage's recorded `cmd`) run by hand in a copy of the experiment.
// Order TREX, by hand, TREX: the two TREX runs straddle the hand run so warm caches favour neither.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Experiment, initExperiment, LocalBackend, NodeExecutor, packageRoot, runnerDir, type JsonObject } from '../src/engine';
import { reviewsSpec, writeReviews } from '../fixtures/reviewsExperiment';
import type { Row } from './report';

const FRAMEWORKS = ['hf', 'trl', 'llamafactory'] as const;
const STAGES = ['prepare', 'train', 'evaluate'] as const;
const ENV = { CUDA_VISIBLE_DEVICES: '', HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false', OMP_NUM_THREADS: '2' };
const TRAIN = { finetuning: 'lora', learning_rate: 0.01, max_steps: 10, batch_size: 4, gradient_accumulation_steps: 1, max_seq_len: 64, precision: 'fp32', warmup_ratio: 0, lr_scheduler: 'constant', lora: { rank: 8, alpha: 16, dropout: 0, target: 'all' } };

interface Setup {
  dir: string;
  id: string;
}

function experimentFor(framework: string, python: string, cache: string): Setup {
  const dir = mkdtempSync(join(tmpdir(), `trex-bench-${framework}-`));
  writeReviews(dir);
  execFileSync(python, [join(runnerDir(), 'trex_llm', 'tiny_model.py'), '--cache', cache, '--out', join(dir, 'tiny')], { env: { ...process.env, ...ENV }, stdio: 'ignore' });
  const train: JsonObject = { framework, ...TRAIN };
  const { spec, recipe } = reviewsSpec(`bench-${framework}`, train);
  initExperiment(dir, stringify(spec));
  const exp = Experiment.open(dir);
  const id = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# baseline\n', config: { recipe, train }, changes: [] });
  exp.close();
  mkdirSync(join(dir, '.hf'), { recursive: true });
  return { dir, id };
}

/** One node through TREX; wall time and the time until the trainer reported its first step. */
async function throughTrex(s: Setup, python: string): Promise<{ wallS: number; firstStepS?: number }> {
  const exp = Experiment.open(s.dir);
  try {
    const backend = new LocalBackend({ experimentDir: s.dir, runnerDir: runnerDir(), python, cacheDir: join(s.dir, '.cache') });
    const t0 = Date.now();
    let firstStep: number | undefined;
    const executor = new NodeExecutor(exp, backend, {
      reuse: { dedupe: false, data_cache: false, warm_start: false },
      threads: 2,
      env: { ...ENV, HF_HOME: join(s.dir, '.hf') },
      onProgress: (p) => {
        if (firstStep === undefined && p.stage === 'train' && (p.step ?? 0) >= 1) firstStep = Date.now();
      },
    });
    const outcome = await executor.run(s.id, new AbortController().signal);
    const wallS = (Date.now() - t0) / 1000;
    if (outcome !== 'succeeded') throw new Error(`${s.dir}: node ${s.id} ${outcome}: ${exp.tree.get(s.id).failure?.reason ?? ''}`);
    return { wallS, firstStepS: firstStep === undefined ? undefined : (firstStep - t0) / 1000 };
  } finally {
    exp.close();
  }
}

/** The stage commands TREX ran (their run folders' `cmd`), run one after another in a fresh copy. */
function byHand(framework: string, done: Setup, python: string, cache: string): number {
  const copy = experimentFor(framework, python, cache);
  const nodeDir = (root: string) => join(root, 'nodes', done.id);
  rmSync(nodeDir(copy.dir), { recursive: true, force: true });
  // The node's own files and rendered inputs, without any stage's outputs or run folders.
  cpSync(nodeDir(done.dir), nodeDir(copy.dir), { recursive: true, filter: (src) => !/\/(ckpt|data|logs|metrics\.json|predictions[^/]*)$/.test(src) && !STAGES.some((st) => src.endsWith(`/run/${st}`)) });
  cpSync(join(done.dir, 'trex.yaml'), join(copy.dir, 'trex.yaml'));
  const cmds = STAGES.map((st) => readFileSync(join(nodeDir(done.dir), 'run', st, 'cmd'), 'utf8').trim().split(done.dir).join(copy.dir));
  const t0 = Date.now();
  for (const cmd of cmds) {
    const r = spawnSync('bash', ['-c', `${cmd} > /dev/null 2>&1`], { cwd: copy.dir, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`by hand in ${copy.dir}: ${cmd.slice(0, 300)} exited ${r.status}`);
  }
  return (Date.now() - t0) / 1000;
}

export async function benchFrameworks(log: (s: string) => void, only?: readonly string[]): Promise<Row[]> {
  const python = join(packageRoot(), '.venv-trainer', 'bin', 'python');
  if (!existsSync(python)) {
    log(`frameworks: skipped, no trainer venv at ${python} (.ci/setup.sh tests creates it)`);
    return [];
  }
  const cache = process.env.TREX_CACHE ?? join(packageRoot(), '.trex-cache');
  const rows: Row[] = [];
  for (const fw of FRAMEWORKS.filter((f) => !only || only.includes(f))) {
    log(`frameworks: ${fw} — TREX, by hand, TREX`);
    const a = experimentFor(fw, python, cache);
    const first = await throughTrex(a, python);
    log(`frameworks: ${fw} TREX ${first.wallS.toFixed(1)} s, first step at ${first.firstStepS?.toFixed(1) ?? '—'} s`);
    const handS = byHand(fw, a, python, cache);
    log(`frameworks: ${fw} by hand ${handS.toFixed(1)} s`);
    const second = await throughTrex(experimentFor(fw, python, cache), python);
    log(`frameworks: ${fw} TREX ${second.wallS.toFixed(1)} s, first step at ${second.firstStepS?.toFixed(1) ?? '—'} s`);
    const trexS = (first.wallS + second.wallS) / 2;
    const overhead = ((trexS - handS) / handS) * 100;
    const steps = [first.firstStepS, second.firstStepS].filter((x): x is number => x !== undefined);
    rows.push({ section: 'frameworks', name: `${fw}: tiny LoRA prepare→train→evaluate, TREX vs same commands by hand`, value: `${trexS.toFixed(1)} s / ${handS.toFixed(1)} s`, note: 'TREX is the mean of the runs before and after the hand run' });
    rows.push({ section: 'frameworks', name: `${fw}: TREX wall-time overhead`, value: overhead, unit: '%', target: '≤ 3%', met: overhead <= 3 });
    if (steps.length) rows.push({ section: 'frameworks', name: `${fw}: from start to the first training step`, value: Math.min(...steps), unit: 's', note: 'from the TREX_PROGRESS lines of the train log' });
  }
  return rows;
}
