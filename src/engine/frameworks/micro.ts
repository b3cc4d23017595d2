// The micro trainer's stages (trainer/trex_micro.py): prepare, train (optionally warm-started from
// the parent's checkpoint) and evaluate, for the CPU micro tasks.
import { nodePaths, trainerLogOutputs } from './render';
import type { NodeStages, StageContext } from './types';
import { planWarmStart, warmStartNote } from './warmStart';

/** The resumable training state the micro trainer saves at each evaluation during training (checkpoint.py). */
export function microTrainState(ckpt: string, step: number): string {
  return `${ckpt}/checkpoint/step-${step}.pt`;
}

export function microStages(ctx: StageContext): NodeStages {
  const { runDir, dataDir } = ctx;
  const paths = nodePaths(ctx);
  const warmStart = planWarmStart(ctx);
  const train = ['{python}', '{runner}/trex_micro.py', 'train', '--task', paths.taskJson, '--config', `${runDir}/train.json`, '--data', dataDir, '--out', paths.ckpt, '--cache', '{cache}'];
  if (warmStart) train.push('--init', warmStart.checkpoint);
  const resume = ctx.resumeStep !== undefined ? microTrainState(paths.ckpt, ctx.resumeStep) : undefined;
  if (resume) train.push('--resume', resume);
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
    train: { argv: train, inputs: [paths.taskJson, `${runDir}/train.json`], produced: [dataDir, ...(warmStart ? [warmStart.checkpoint] : []), ...(resume ? [resume] : [])], outputs: trainerLogOutputs(paths.ckpt), env: {} },
    evaluate: {
      argv: ['{python}', '{runner}/trex_micro.py', 'evaluate', '--task', paths.taskJson, '--ckpt', paths.ckpt, '--out', paths.metrics, '--predictions', paths.predictions],
      inputs: [paths.taskJson],
      produced: [paths.ckpt],
      outputs: [paths.metrics, paths.predictions],
      env: {},
    },
  };
}
