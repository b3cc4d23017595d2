// The FT-Bench task specs: each validates against the schema, renders with every framework it
// declares into configs that parse, and `trex init --from ft-bench/<task>` starts one.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { modelInfo, planNodeStages, resolveTrain, LLM_FRAMEWORKS } from '../../../src/engine/frameworks';
import type { JsonObject, TaskSpec } from '../../../src/engine/spec/types';
import { parseAndValidate } from '../../../src/engine/spec/validate';
import { ROOT, tempDir, trex } from '../../helpers/cli';

const DIR = join(ROOT, 'examples', 'ft-bench');
const TASKS = ['aci-bench', 'tomg-bench', 'omebench', 'hoc', 'sst2', 'cs-bench', 'openfindata', 'econlogicqa', 'gta', 'lawbench'];
const PUBLISHED: Record<string, string> = { 'aci-bench': '50.2', 'tomg-bench': '68.1', omebench: '48.4', hoc: '89.7', sst2: '97.2', 'cs-bench': '58.1', openfindata: '69.9', econlogicqa: '45.4', gta: '65.2', lawbench: '42.1' };

function load(task: string): TaskSpec {
  return parseAndValidate<TaskSpec>(readFileSync(join(DIR, task, 'trex.yaml'), 'utf8'), 'trex', `examples/ft-bench/${task}/trex.yaml`);
}

test('all ten FT-Bench tasks ship, on Qwen3-1.7B, with the published score to beat', () => {
  assert.deepEqual(readdirSync(DIR).filter((n) => existsSync(join(DIR, n, 'trex.yaml'))).sort(), [...TASKS].sort());
  for (const task of TASKS) {
    const spec = load(task);
    assert.equal(spec.base_model, 'Qwen/Qwen3-1.7B', task);
    assert.equal(spec.task.kind, 'llm', task);
    assert.ok(spec.objective.includes(PUBLISHED[task]), `${task} objective names the published ${PUBLISHED[task]}`);
    assert.match(spec.compute?.backend ?? '', /^ssh:/, task);
    assert.ok(spec.search_space.length >= 3, `${task} has a search space`);
    assert.equal(spec.baseline.train.finetuning, 'lora', task);
  }
});

test('every FT-Bench spec renders with each framework it declares, into configs that parse', () => {
  for (const task of TASKS) {
    const spec = load(task);
    const frameworks = (spec.compute?.frameworks as string[] | undefined) ?? [spec.baseline.train.framework ?? 'llamafactory'];
    assert.ok(frameworks.length >= 2, `${task} declares its frameworks`);
    for (const framework of frameworks) {
      assert.ok((LLM_FRAMEWORKS as readonly string[]).includes(framework), `${task}: ${framework}`);
      const train = resolveTrain({ ...(spec.baseline.train as JsonObject), framework });
      const stages = planNodeStages({ nodeId: 'n0000', runDir: 'nodes/n0000/run', dataDir: 'cache/data/h', spec, recipe: spec.baseline.recipe as JsonObject, train });
      assert.deepEqual(stages.notes, [], `${task}/${framework}: the baseline fits an 80 GiB GPU as written`);
      for (const f of stages.files) {
        const value: unknown = f.path.endsWith('.json') ? JSON.parse(f.content) : f.path.endsWith('.yaml') ? parse(f.content) : f.content;
        assert.ok(value && typeof value === 'object' || typeof value === 'string', `${task}/${framework}: ${f.path} parses`);
      }
      for (const stage of [stages.prepare, stages.train, stages.evaluate]) {
        assert.equal(stage.argv[0], '{python}', `${task}/${framework} runs through the resolved python`);
        assert.ok(stage.argv.every((a) => a.length > 0 && !a.includes('undefined')), `${task}/${framework}: ${stage.argv.join(' ')}`);
      }
      const trainFile = stages.files.find((f) => /run\/(hf|llamafactory|trl)\//.test(f.path) && !f.path.endsWith('dataset_info.json'));
      assert.ok(trainFile, `${task}/${framework} renders a training config`);
      const cfg = (trainFile.path.endsWith('.json') ? JSON.parse(trainFile.content) : parse(trainFile.content)) as JsonObject;
      assert.equal(cfg.model_name_or_path ?? cfg.base_model, 'Qwen/Qwen3-1.7B');
    }
  }
});

test('trex init --from ft-bench/<task> starts an experiment; trex examples lists them', () => {
  const dir = join(tempDir(), 'sst2');
  const r = trex(['init', dir, '--from', 'ft-bench/sst2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(join(dir, 'trex.yaml'), 'utf8'), /name: ftbench-sst2/);
  const v = trex(['validate', dir]);
  assert.equal(v.code, 0, v.stderr + v.stdout);
  const list = trex(['examples']);
  assert.match(list.stdout, /^ft-bench\/hoc\s+FT-Bench HOC/m);
  const bad = trex(['init', join(tempDir(), 'x'), '--from', 'ft-bench/../sentiment']);
  assert.notEqual(bad.code, 0, 'only listed examples');
});

test('hub sources use the splits and dataset ids their authors publish', () => {
  // EconLogicQA publishes train / val / test (no "validation").
  const econ = load('econlogicqa');
  const evalData = econ.task.eval_data as { validation: JsonObject; test: JsonObject };
  assert.deepEqual([evalData.validation.split, evalData.test.split], ['val', 'test']);
  // OpenMolIns is one dataset per size (phenixace/OpenMolIns-light ... -xlarge), no configs: the search
  // varies the dataset id, and no source names a subset.
  const tomg = load('tomg-bench');
  const source = (tomg.baseline.recipe.sources as JsonObject[])[0];
  assert.equal(source.dataset, 'phenixace/OpenMolIns-light');
  assert.equal(source.subset, undefined);
  const sizes = tomg.search_space.find((d) => d.path === 'recipe.sources.0.dataset');
  assert.ok(sizes, 'the size knob chooses the dataset id');
  for (const id of sizes.values ?? []) assert.match(String(id), /^phenixace\/OpenMolIns-(light|small|medium|large|xlarge)$/);
  assert.ok(!tomg.search_space.some((d) => d.path.endsWith('.subset')), 'no subset knob');
});

test('base models other than Qwen get the LLaMA-Factory template registered for their generation', () => {
  const cases: [string, string][] = [
    ['google/gemma-2-9b-it', 'gemma2'],
    ['google/gemma-3-4b-it', 'gemma3'],
    ['google/gemma-3n-E4B-it', 'gemma3n'],
    ['google/gemma-7b-it', 'gemma'],
    ['microsoft/phi-4', 'phi4'],
    ['microsoft/Phi-4-mini-instruct', 'phi4_mini'],
    ['microsoft/Phi-3-small-8k-instruct', 'phi_small'],
    ['microsoft/Phi-3-mini-4k-instruct', 'phi'],
    ['meta-llama/Llama-3.1-8B-Instruct', 'llama3'],
    ['Qwen/Qwen3-1.7B', 'qwen3'],
  ];
  for (const [model, template] of cases) assert.equal(modelInfo(model, { kind: 'llm', model_params_b: 1 }).llamafactoryTemplate, template, model);
  // Each name must be one the installed LLaMA-Factory registers (skipped without the trainer venv).
  const lib = join(ROOT, '.venv-trainer', 'lib');
  const py = existsSync(lib) ? readdirSync(lib).find((n) => existsSync(join(lib, n, 'site-packages', 'llamafactory', 'data', 'template.py'))) : undefined;
  if (!py) return;
  const source = readFileSync(join(lib, py, 'site-packages', 'llamafactory', 'data', 'template.py'), 'utf8');
  const registered = new Set([...source.matchAll(/register_template\(\s*name="([^"]+)"/g)].map((m) => m[1]));
  assert.ok(registered.size > 20, 'read the registered templates');
  for (const [, template] of cases) assert.ok(registered.has(template), `${template} is a LLaMA-Factory template`);
});
