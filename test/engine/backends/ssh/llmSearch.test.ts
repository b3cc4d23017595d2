// A real LLaMA-Factory search over the ssh backend, through the bundled CLI and a loopback sshd:
// `trex init --from tiny-sft` with train.framework llamafactory, `trex run --budget 4` on the host,
// then a queued child that only trains longer continues its parent's LoRA adapter there, and the
// search goes on to 6 runs. Asserts what the framework produced and what came back: adapter files
// byte-identical to the host's, a loss that decreases in LLaMA-Factory's own trainer_log.jsonl,
// scores that differ between nodes, and the warm start (its first loss below the parent's).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { Experiment, forkNode, queueNode } from '../../../../src/engine';
import { ROOT, status, tempDir, trex } from '../../../helpers/cli';
import { SshdHarness, sshdAvailable } from './sshd';

const PYTHON = process.env.TREX_TRAINER_PYTHON ?? join(ROOT, '.venv-trainer', 'bin', 'python');
const CACHE = process.env.TREX_CACHE ?? join(ROOT, '.trex-cache');
const skip = !sshdAvailable()
  ? 'OpenSSH server (/usr/sbin/sshd) is not installed'
  : !existsSync(join(ROOT, 'dist', 'cli.js'))
    ? 'dist/cli.js is not built (node esbuild.mjs)'
    : !existsSync(PYTHON)
      ? `no trainer venv at ${PYTHON}: run .ci/setup.sh (or set TREX_TRAINER_PYTHON)`
      : false;
let h: SshdHarness;
const temps: string[] = [];

before(async () => {
  if (skip) return;
  h = await SshdHarness.start();
  // The host's sessions: no hub, and the tiny base model from the cache the other tests share.
  h.addSessionEnv(`TREX_CACHE=${CACHE} HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false`);
  await h.restart();
});
after(async () => {
  await h?.cleanup();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function sshEnv(): Record<string, string> {
  return { ...h.env(), HOME: h.dir, TREX_REMOTE_CACHE: CACHE };
}

function losses(trainerLog: string): number[] {
  const rows = readFileSync(trainerLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss?: number });
  return rows.map((r) => r.loss).filter((l): l is number => typeof l === 'number');
}

test('a 6-run LLaMA-Factory search over ssh, with a warm-started child, brings real adapters and scores back', { skip, timeout: 1_500_000 }, () => {
  const parent = tempDir('trex-ssh-llm-');
  temps.push(parent);
  const dir = join(parent, 'tiny-sft-lf');
  const init = trex(['init', dir, '--from', 'tiny-sft'], sshEnv());
  assert.equal(init.code, 0, init.stderr);
  const remote = join(h.dir, 'remote tiny-sft');
  const specPath = join(dir, 'trex.yaml');
  const spec = parse(readFileSync(specPath, 'utf8')) as { compute: object; baseline: { train: Record<string, unknown> } };
  spec.compute = { backend: 'ssh:trex-test', remote_dir: remote, python: PYTHON, gpu_memory_gib: 80 };
  spec.baseline.train.framework = 'llamafactory';
  writeFileSync(specPath, stringify(spec));

  const first = trex(['run', dir, '--budget', '4', '--accept-new-host'], sshEnv());
  assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
  const four = status(dir).nodes;
  assert.equal(four.length, 4);
  assert.ok(new Set(four.map((n) => n.score)).size > 1, `scores differ between nodes: ${four.map((n) => n.score).join(', ')}`);

  // A child of the root that only trains longer (max_steps 10 -> 16) continues the root's adapter.
  const root = four.find((n) => n.parent === null)!;
  const exp = Experiment.open(dir);
  const fork = forkNode(exp, root.id);
  const trainPath = exp.nodePath(fork, 'train.yaml');
  const train = parse(readFileSync(trainPath, 'utf8')) as Record<string, unknown>;
  train.max_steps = Number(train.max_steps) + 6;
  writeFileSync(trainPath, stringify(train));
  queueNode(exp, fork);
  exp.close();
  const second = trex(['run', dir, '--budget', '6'], sshEnv());
  assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);

  const s = status(dir);
  assert.equal(s.runs, 6);
  const ran = s.nodes.filter((n) => n.status === 'succeeded' && !n.reusedFrom);
  assert.equal(ran.length, 6, JSON.stringify(s.nodes.map((n) => [n.id, n.status, n.reusedFrom, n.failure])));
  for (const n of ran) {
    const ckpt = join(dir, 'nodes', n.id, 'ckpt');
    for (const f of ['adapter_model.safetensors', 'adapter_config.json', 'trainer_log.jsonl']) {
      assert.ok(existsSync(join(ckpt, f)), `${n.id}: ${f} came back from the host`);
      assert.ok(readFileSync(join(ckpt, f)).equals(readFileSync(join(remote, 'nodes', n.id, 'ckpt', f))), `${n.id}: ${f} is the host's`);
    }
    assert.match(readFileSync(join(dir, 'nodes', n.id, 'logs', 'train.log'), 'utf8'), /launch llamafactory: /, `${n.id} ran LLaMA-Factory`);
    assert.equal(typeof n.score, 'number');
  }
  const rootLosses = losses(join(dir, 'nodes', root.id, 'ckpt', 'trainer_log.jsonl'));
  assert.ok(rootLosses.length >= 2 && rootLosses[rootLosses.length - 1] < rootLosses[0], `the root's loss decreases: ${JSON.stringify(rootLosses)}`);
  assert.ok(new Set(ran.map((n) => n.score)).size > 1, 'scores differ between nodes');

  const warm = s.nodes.find((n) => n.id === fork)!;
  assert.equal(warm.warmStartFrom, root.id, 'the longer child warm-started from the root');
  assert.match(readFileSync(join(dir, 'nodes', fork, 'run', 'llamafactory', 'train.yaml'), 'utf8'), new RegExp(`^adapter_name_or_path: nodes/${root.id}/ckpt$`, 'm'));
  const warmLosses = losses(join(dir, 'nodes', fork, 'ckpt', 'trainer_log.jsonl'));
  // Same seed, data order and constant learning rate: a fresh adapter would log the root's first loss.
  assert.ok(warmLosses[0] < rootLosses[0], `the warm child's first loss ${warmLosses[0]} is below the root's first ${rootLosses[0]}`);
});
