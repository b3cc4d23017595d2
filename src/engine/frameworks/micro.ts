// The micro trainer's stages (trainer/trex_micro.py): prepare, train (optionally warm-started from
// the parent's checkpoint) and evaluate, for the CPU micro tasks.
import { nodePaths, trainerLogOutputs } from './render';
import type { NodeStages, StageContext } from './types';

export function microStages(ctx: StageContext): NodeStages {
  const { runDir, dataDir, nodeId } = ctx;
  const paths = nodePaths(ctx);
  const train = ['{python}', '{runner}/trex_micro.py', 'train', '--task', `${runDir}/task.json`, '--config', `${runDir}/train.json`, '--data', dataDir, '--out', `nodes/${nodeId}/ckpt`, '--cache', '{cache}'];
  if (ctx.warmFrom) train.push('--init', `nodes/${ctx.warmFrom}/ckpt`);
  return {
    framework: 'micro',
    files: [],
    notes: [],
    prepare: {
      argv: ['{python}', '{runner}/trex_micro.py', 'prepare', '--task', `${runDir}/task.json`, '--recipe', `${runDir}/recipe.json`, '--out', dataDir],
      inputs: [`${runDir}/task.json`, `${runDir}/recipe.json`],
      outputs: [`${dataDir}/stats.json`],
      env: {},
    },
    train: { argv: train, inputs: [`${runDir}/train.json`], outputs: trainerLogOutputs(paths.ckpt), env: {} },
    evaluate: {
      argv: ['{python}', '{runner}/trex_micro.py', 'evaluate', '--task', `${runDir}/task.json`, '--ckpt', `nodes/${nodeId}/ckpt`, '--out', `nodes/${nodeId}/metrics.json`, '--predictions', `nodes/${nodeId}/predictions.jsonl`],
      inputs: [],
      outputs: [`nodes/${nodeId}/metrics.json`, `nodes/${nodeId}/predictions.jsonl`],
      env: {},
    },
  };
}
