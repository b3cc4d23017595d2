// bench/gpu/stages.json (the GPU check's commands for machines without Node) must stay what the
// engine renders for bench/gpu/trex.yaml.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BENCH_DIR, renderBenchStages } from '../../../bench/gpu/renderStages';

test('bench/gpu/stages.json is current (regenerate: node out/bench/gpu/renderStages.js)', () => {
  assert.equal(readFileSync(join(BENCH_DIR, 'stages.json'), 'utf8'), renderBenchStages());
});
