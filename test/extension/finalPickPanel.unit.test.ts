// The final pick in the panel's host-side data: the experiment tab lists the finalists with
// mean ± sd over seeds (the recommendation first), and the details pane of any run of a finalist
// shows its mean ± sd and whether it was chosen. Nodes are the engine's own seed re-runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Experiment, FINAL_PICK_PROPOSER, initExperiment, readExample, seedReruns, setPath } from '../../src/engine';
import { buildExperimentOverview } from '../../src/extension/panel/experimentOverview';
import { buildNodeDetails } from '../../src/extension/panel/nodeDetails';
import { tempDir } from '../helpers/cli';

function result(exp: Experiment, id: string, score: number, testScore: number): void {
  exp.emit({ type: 'node_result', id, result: { score, testScore, metrics: {}, wallMs: 1, computeMs: 1, savedMs: 0 } });
}

test('experiment tab and details pane: finalists with mean ± sd over seeds, the recommendation first', () => {
  const dir = tempDir('trex-unit-final-panel-');
  initExperiment(dir, readExample('addition').text);
  const exp = Experiment.open(dir);
  const base = exp.spec.baseline as never;
  const root = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# b\n', config: base, changes: [] });
  const lr = exp.createNode({ parent: root, origin: 'proposer', title: 'lr', plan: '# lr\n', config: setPath(exp.readNodeConfig(root), 'train.learning_rate', 0.01), changes: [{ path: 'train.learning_rate', from: 0.003, to: 0.01 }] });
  result(exp, root, 0.5, 0.45);
  result(exp, lr, 0.7, 0.66);
  assert.deepEqual(buildExperimentOverview(exp).finalPick, [], 'nothing before the re-runs');

  const scores: Record<string, number[]> = { [root]: [0.5, 0.52, 0.48], [lr]: [0.7, 0.6, 0.62] };
  for (const r of seedReruns(exp, [lr, root], 3)) {
    const id = exp.createNode({ ...r, origin: 'proposer', proposer: FINAL_PICK_PROPOSER, by: 'offline' });
    const list = scores[r.parent];
    const k = [...exp.tree.nodes.values()].filter((n) => n.parent === r.parent && n.proposer === FINAL_PICK_PROPOSER).length;
    result(exp, id, list[k], 0.4);
  }

  const o = buildExperimentOverview(exp).finalPick;
  assert.deepEqual(o.map((f) => f.id), [lr, root]);
  const m = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - m(xs)) ** 2, 0) / (xs.length - 1));
  assert.ok(Math.abs(o[0].mean - m(scores[lr])) < 1e-12 && Math.abs(o[0].sd - sd(scores[lr])) < 1e-12);
  assert.equal(o[0].seeds, 3);
  assert.ok(Math.abs(o[0].testMean! - (0.66 + 0.4 + 0.4) / 3) < 1e-12);

  const rerun = [...exp.tree.nodes.values()].find((n) => n.parent === lr)!.id;
  const rows = buildNodeDetails(exp, rerun).metrics;
  assert.match(rows.find((r) => r.name === 'final pick')!.value, new RegExp(`^recommended .*runs ${lr}, `));
  assert.equal(rows.find((r) => r.name === 'exact_match over seeds (validation)')!.value, `${m(scores[lr]).toFixed(4)} ± ${sd(scores[lr]).toFixed(4)} (n=3)`);
  assert.match(buildNodeDetails(exp, root).metrics.find((r) => r.name === 'final pick')!.value, /^finalist, not chosen/);
  exp.close();
});
