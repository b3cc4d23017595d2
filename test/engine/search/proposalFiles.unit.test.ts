// A proposal's data scripts through the search runner (in-memory backend, virtual clock): the new
// node's folder holds the script, its recipe and recorded change point at nodes/<id>/, and the
// prepare stage's recipe, its data policy and the files it ships and hashes all name that file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Experiment, initExperiment, MemoryBackend, microStageOutputs, readExample, Search, type MemoryStage, type Proposer } from '../../../src/engine';
import { recipeLocalPaths } from '../../../src/engine/dataFiles';
import { tempDir } from '../../helpers/cli';

const SCRIPT = 'import sys\nsys.stdout.write(sys.stdin.read())\n';

test('the runner writes a proposal\'s script into the new node folder and its prepare stage runs it from there', async () => {
  const dir = tempDir('trex-unit-nodefiles-');
  initExperiment(dir, readExample('addition').text);
  const exp = Experiment.open(dir);
  const prepares: MemoryStage[] = [];
  const backend = new MemoryBackend(exp.dir, (s: MemoryStage) => {
    if (s.stage === 'prepare') prepares.push(s);
    return microStageOutputs(s, 'exact_match', { validation: 0.5, test: 0.5 }, 1000);
  });
  let asked = 0;
  const proposer: Proposer = {
    name: 'scripted',
    propose: async (ctx) => {
      if (asked++ > 0) return { proposals: [], dropped: [] };
      const parent = ctx.exp.readNodeConfig(ctx.parentId);
      const filters = [{ kind: 'script', path: 'keep.py' }];
      return { proposals: [{ title: 'keep all', plan: '# keep\n', config: { recipe: { ...parent.recipe, filters }, train: parent.train }, changes: [{ path: 'recipe.filters', from: parent.recipe.filters, to: filters }], files: [{ path: 'keep.py', content: SCRIPT }] }], dropped: [] };
    },
  };
  await new Search(exp, { backend, proposer, fallbackProposer: null, budget: { max_runs: 2 }, parallel: 1 }).run(new AbortController().signal);
  const child = [...exp.tree.nodes.values()].find((n) => n.title === 'keep all');
  assert.ok(child, 'the proposal became a node');
  const path = `nodes/${child.id}/keep.py`;
  assert.equal(readFileSync(exp.nodePath(child.id, 'keep.py'), 'utf8'), SCRIPT);
  assert.deepEqual(exp.readNodeConfig(child.id).recipe.filters, [{ kind: 'script', path }]);
  assert.deepEqual(child.changes.map((c) => c.to), [[{ kind: 'script', path }]]);
  const prep = prepares.find((s) => s.nodeId === child.id);
  assert.ok(prep, 'the child was prepared');
  assert.deepEqual((JSON.parse(readFileSync(`${dir}/${prep.arg('--recipe')}`, 'utf8')) as { filters: unknown }).filters, [{ kind: 'script', path }]);
  assert.ok((JSON.parse(prep.job.env.TREX_DATA_POLICY) as { allow_paths: string[] }).allow_paths.includes(path), 'the runner may read it');
  // The files a prepare stage ships and hashes (the data-cache key) include it.
  assert.ok(recipeLocalPaths(exp.spec, exp.readNodeConfig(child.id).recipe).includes(path), 'it travels with the stage');
  exp.close();
});
