// The micro trainer's stages (trainer/trex_micro.py): prepare, train (optionally warm-started from
// the parent's checkpoint) and evaluate, for the CPU micro tasks.
import { nodePaths, trainerLogOutputs } from './render';
import type { NodeStages, StageContext } from './types';
import { planWarmStart, warmStartNote } from './warmStart';

export function microStages(ctx: StageContext): NodeStages {
  const { runDir, dataDir } = ctx;
  const paths = nodePaths(ctx);
  const warmStart = planWarmStart(ctx);
  const train = ['{python}', '{runner}/trex_micro.py', 'train', '--task', paths.taskJson, '--config', `${runDir}/train.json`, '--data', dataDir, '--out', paths.ckpt, '--cache', '{cache}'];
  if (warmStart) train.push('--init', warmStart.checkpoint);
  return {
    framework: 'micro',
    files: [],
    notes: warmStart ? [warmStartNote(warmStart)] : [],
    warmStart,
    prepare: {
      argv: ['{python}', '{runner}/trex_micro.py', 'prepare', '--task', paths.taskJson, '--recipe', paths.recipeJson, '--out', dataDir],
      inputs: [paths.taskJson, paths.recipeJson],
      produced: [],
      outputs: [`${dataDir}/stats.json`],
      env: {},
    },
    train: { argv: train, inputs: [paths.taskJson, `${runDir}/train.json`], produced: [dataDir, ...(warmStart ? [warmStart.checkpoint] : [])], outputs: trainerLogOutputs(paths.ckpt), env: {} },
    evaluate: {
      argv: ['{python}', '{runner}/trex_micro.py', 'evaluate', '--task', paths.taskJson, '--ckpt', paths.ckpt, '--out', paths.metrics, '--predictions', paths.predictions],
      inputs: [paths.taskJson],
      produced: [paths.ckpt],
      outputs: [paths.metrics, paths.predictions],
      env: {},
    },
  };
}
