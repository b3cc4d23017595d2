// Approval mode from the CLI: proposals wait for the user's verdict before they run.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { status, tempDir, trex } from '../helpers/cli';

test('in approval mode proposed nodes wait, and run once approved; rejected ones never run', () => {
  const dir = join(tempDir(), 'exp');
  assert.equal(trex(['init', dir, '--from', 'addition']).code, 0);
  const spec = join(dir, 'trex.yaml');
  writeFileSync(spec, readFileSync(spec, 'utf8').replace(/^search: \{/m, 'search: {approval: true, final_seeds: 1, '));
  // A budget well above 10 runs: in a search's last 10 runs (and at 8 or fewer), UCT proposes one
  // child per expansion and there would be one to review.
  const first = trex(['run', dir, '--budget', '20', '--parallel', '1']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /Waiting for approval: (n\d{4} ?)+/);
  const s1 = status(dir);
  const waiting = s1.nodes.filter((n) => n.status === 'awaiting_approval').map((n) => n.id);
  assert.equal(s1.runs, 1, 'only the baseline ran');
  assert.ok(waiting.length >= 2);

  assert.equal(trex(['approve', dir, waiting[0]]).code, 0);
  assert.equal(trex(['reject', dir, waiting[1]]).code, 0);
  const bad = trex(['approve', dir, 'n9999']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /no node 'n9999'/);

  const second = trex(['run', dir, '--budget', '20', '--parallel', '1']);
  assert.equal(second.code, 0, second.stderr);
  const s2 = status(dir);
  assert.equal(s2.nodes.find((n) => n.id === waiting[0])!.status, 'succeeded');
  assert.equal(s2.nodes.find((n) => n.id === waiting[1])!.status, 'rejected');
  assert.equal(s2.runs, 2, 'the approved node ran; the rest wait for a verdict');
});

test('search.frozen: no proposal may change a task-defining path; the dropped ones are recorded with the reason', () => {
  const dir = join(tempDir(), 'exp');
  assert.equal(trex(['init', dir, '--from', 'addition']).code, 0);
  const spec = join(dir, 'trex.yaml');
  // Approval mode stops after the first proposals: what was proposed can be read without running it.
  writeFileSync(spec, readFileSync(spec, 'utf8').replace(/^search: \{/m, 'search: {approval: true, final_seeds: 1, frozen: [recipe.format.template, train.finetuning], ').replace('children_per_expansion: 3', 'children_per_expansion: 6'));
  // Budget above the last-10-runs rule, so the root gets a full expansion to check.
  const first = trex(['run', dir, '--budget', '20', '--parallel', '1']);
  assert.equal(first.code, 0, first.stderr);
  const proposed = status(dir).nodes.filter((n) => n.status === 'awaiting_approval');
  assert.ok(proposed.length >= 1, 'the other knobs are still proposed');
  for (const n of proposed) {
    const cfg = readFileSync(join(dir, 'nodes', n.id, 'recipe.yaml'), 'utf8') + readFileSync(join(dir, 'nodes', n.id, 'train.yaml'), 'utf8');
    assert.doesNotMatch(cfg, /template: reversed|finetuning: lora/, `${n.id} changes a frozen path`);
  }
  const events = readFileSync(join(dir, 'tree.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; reason?: string });
  const dropped = events.filter((e) => e.type === 'proposal_dropped');
  assert.ok(dropped.some((e) => /changes (recipe\.format\.template|train\.finetuning).*search\.frozen/.test(e.reason ?? '')), JSON.stringify(dropped));
});
