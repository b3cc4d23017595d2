// The rung monitor on a real experiment folder and event log: which peers a node is ranked against,
// what it records, and which nodes are never stopped (a resumed node, a final-pick re-run).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Experiment, initExperiment, readExample } from '../../../src/engine';
import { RungMonitor } from '../../../src/engine/executor/rungMonitor';
import { FINAL_PICK_PROPOSER } from '../../../src/engine/search/finalPick';
import { tempDir } from '../../helpers/cli';

const SETTINGS = { enabled: true, rungs: 2, reduction_factor: 2, min_steps: 10 };

function experiment(): Experiment {
  const dir = tempDir('trex-unit-rungs-');
  initExperiment(dir, readExample('addition').text);
  return Experiment.open(dir);
}

function child(exp: Experiment, parent: string | null, title: string, proposer?: string): string {
  const config = { recipe: exp.spec.baseline.recipe as never, train: { ...exp.spec.baseline.train, seed: exp.tree.nodes.size } as never };
  return exp.createNode({ parent, origin: parent ? 'proposer' : 'root', title, plan: `# ${title}\n`, config, changes: [], proposer });
}

function succeed(exp: Experiment, id: string, score: number, rungValue: number): void {
  exp.emit({ type: 'node_rung', id, rung: 0, step: 10, metric: 'exact_match', value: rungValue });
  exp.emit({ type: 'node_result', id, result: { score, metrics: {}, wallMs: 0, computeMs: 0, savedMs: 0 } });
}

/** An experiment whose baseline finished with a score and a value at rung 0. */
function withBaseline(score: number, rungValue: number): { exp: Experiment; root: string } {
  const exp = experiment();
  const root = child(exp, null, 'baseline');
  succeed(exp, root, score, rungValue);
  return { exp, root };
}

test('a node is ranked at each rung against its siblings and the best nodes, and recorded there', () => {
  const { exp, root } = withBaseline(0.6, 0.3);
  const a = child(exp, root, 'a');
  const b = child(exp, root, 'b');
  const monitor = new RungMonitor(exp, SETTINGS);
  assert.equal(monitor.observe(a, 5, 'exact_match', 0.0), null, 'before the first rung nothing is recorded');
  assert.deepEqual(exp.tree.get(a).rungs, []);
  // a vs the root (the best node) at rung 0: 0.4 > 0.3, the top 1 of 2 goes on.
  assert.equal(monitor.observe(a, 10, 'exact_match', 0.4), null);
  assert.deepEqual(exp.tree.get(a).rungs, [{ rung: 0, step: 10, metric: 'exact_match', value: 0.4 }]);
  // b vs its sibling a and the root: 0.1 of [0.4, 0.3, 0.1] keeps floor(3/2) = 1, threshold 0.4.
  const stop = monitor.observe(b, 10, 'exact_match', 0.1);
  assert.ok(stop);
  assert.deepEqual({ rung: stop.rung, step: stop.step, value: stop.value, threshold: stop.threshold, of: stop.of }, { rung: 0, step: 10, value: 0.1, threshold: 0.4, of: 3 });
  assert.equal(stop.reason, 'stopped early at step 10 (rung 0): exact_match 0.1 vs threshold 0.4 (the top 1 of 3 at this rung go on)');
  // A rung is recorded once per node; a later evaluation reaches the next rung (20) only.
  assert.equal(monitor.observe(a, 15, 'exact_match', 0.9), null);
  assert.equal(exp.tree.get(a).rungs.length, 1);
  monitor.observe(a, 20, 'exact_match', 0.5);
  assert.deepEqual(exp.tree.get(a).rungs.map((r) => r.rung), [0, 1]);
  exp.close();
});

test('a node of another branch that is not among the best is no peer; with too few peers nothing stops', () => {
  const { exp, root } = withBaseline(0.9, 0.8);
  const x = child(exp, root, 'x');
  const y = child(exp, root, 'y');
  const monitor = new RungMonitor(exp, { ...SETTINGS, reduction_factor: 3 });
  // y's peers: its sibling x (no value yet) and the root: 2 values < reduction factor 3.
  assert.equal(monitor.observe(y, 10, 'exact_match', 0.0), null);
  // A different metric name at the rung is not comparable.
  assert.equal(monitor.observe(x, 10, 'eval_loss', 9.0), null);
  exp.close();
});

test('a resumed node and a final-pick re-run are recorded at rungs but never stopped', () => {
  const { exp, root } = withBaseline(0.9, 0.8);
  const rerun = child(exp, root, 'seed re-run', FINAL_PICK_PROPOSER);
  const monitor = new RungMonitor(exp, SETTINGS);
  assert.equal(monitor.observe(rerun, 10, 'exact_match', 0.0), null);
  assert.equal(exp.tree.get(rerun).rungs.length, 1);
  const slow = child(exp, root, 'slow');
  const stop = monitor.observe(slow, 10, 'exact_match', 0.0);
  assert.ok(stop, 'stopped: 0 vs the root and the re-run');
  exp.emit({ type: 'node_stopped_early', id: slow, ...stop, computeMs: 5 });
  assert.equal(exp.tree.get(slow).status, 'stopped');
  exp.emit({ type: 'node_resumed', id: slow, step: 10, by: 'user' });
  const n = exp.tree.get(slow);
  assert.equal(n.status, 'pending');
  assert.equal(n.resumeStep, 10);
  assert.equal(n.earlyStop?.step, 10, 'the early stop stays as history');
  assert.equal(monitor.observe(slow, 20, 'exact_match', 0.0), null, 'a resumed node trains to the end');
  assert.equal(exp.tree.computeMsSpent(), 5, 'the compute before the stop still counts');
  exp.close();
});
