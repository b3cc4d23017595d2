// The trainers require every field of the config the engine renders: a train.yaml that spells out
// nothing but learning_rate, resolved and rendered, is read by each trainer's own parser as is.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planNodeStages, readLlmTrain, resolveTrain, writeRenderedFiles } from '../../../src/engine/frameworks';
import { ROOT } from '../../helpers/cli';
import { context, llmSpec } from './fixtures';

const PYTHON = process.env.TREX_PYTHON ?? '/usr/bin/python3';

/** Runs a trainer's parse_train on a rendered file; returns what it read. */
function parse(module: 'trex_llm' | 'trex_micro', file: string): Record<string, unknown> {
  const code = `import json, sys\nfrom ${module}.config import parse_train\nprint(json.dumps(parse_train(json.load(open(sys.argv[1])))))`;
  const r = spawnSync(PYTHON, ['-c', code, file], { cwd: join(ROOT, 'trainer'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

test('the hf script and the micro trainer read the rendered config of a minimal train.yaml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trex-contract-'));
  try {
    const hf = planNodeStages(context(llmSpec(), { framework: 'hf', learning_rate: 0.0002 }));
    writeRenderedFiles(dir, hf.files);
    const llm = parse('trex_llm', join(dir, 'nodes/n0003/run/hf/train.json'));
    const want = readLlmTrain({ framework: 'hf', learning_rate: 0.0002 });
    assert.deepEqual([llm.finetuning, llm.warmup_ratio, llm.lora_rank, llm.max_seq_len, llm.gradient_checkpointing], [want.finetuning, want.warmup_ratio, want.lora.rank, want.max_seq_len, want.gradient_checkpointing]);

    const microSpec = llmSpec({ base_model: 'micro-gpt', task: { kind: 'micro', generator: 'addition' } });
    const micro = planNodeStages(context(microSpec, { learning_rate: 0.003 }));
    writeRenderedFiles(dir, micro.files);
    const read = parse('trex_micro', join(dir, 'nodes/n0003/run/train.json'));
    const m = resolveTrain({ learning_rate: 0.003 });
    assert.deepEqual([read.finetuning, read.batch_size, read.lora_rank, read.max_seq_len, read.max_steps], [m.finetuning, m.batch_size, m.lora.rank, m.max_seq_len, null]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
