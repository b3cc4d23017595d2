// Dispatch on train.yaml `framework`: micro keeps the micro trainer's commands; hf, llamafactory
// and trl share the recipe runner (prepare) and the evaluator, and differ in the train stage.
// Before rendering an LLM node, its GPU memory is estimated: a config that cannot fit is refused
// (RenderError, the node fails in 'setup' with the reason), one that fits after adapting the
// batch runs adapted, and says so in the rendered config, the train log and run/memory.md.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { recipeLocalPaths } from '../dataFiles';
import { writeFileAtomic } from '../store/atomicWrite';
import { gpuTarget } from './compute';
import { renderEvaluate } from './evaluation';
import { renderHf } from './hf';
import { renderLlamaFactory } from './llamafactory';
import { fitToGpu, type MemoryPlan } from './memory';
import { microStages } from './micro';
import { modelInfo } from './modelInfo';
import { adapterOutputs, frameworkTensorboardDir, jsonText, nodePaths, tensorboardEnv } from './render';
import { renderTrl } from './trl';
import { RenderError, type NodeStages, type RenderedFile, type StageContext, type StagePlan } from './types';
import { planWarmStart, warmStartNote } from './warmStart';

export function planNodeStages(ctx: StageContext): NodeStages {
  const stages = frameworkStages(ctx);
  // The run's train.json: the resolved config with every field (the micro trainer's input).
  return { ...stages, files: [{ path: `${ctx.runDir}/train.json`, content: jsonText(ctx.train) }, ...stages.files] };
}

function frameworkStages(ctx: StageContext): NodeStages {
  const requested = ctx.train;
  const kind = ctx.spec.task.kind;
  if (requested.framework === 'micro') {
    if (kind === 'llm') throw new RenderError("train.framework 'micro' runs micro tasks only; an llm task uses hf, llamafactory or trl");
    return microStages(ctx);
  }
  if (kind !== 'llm') throw new RenderError(`train.framework '${requested.framework}' needs task.kind llm (this task is ${kind})`);
  const model = modelInfo(ctx.spec.base_model, ctx.spec.task);
  const gpu = gpuTarget(ctx.spec);
  const plan = fitToGpu(requested, model, gpu);
  if (plan.refusal) throw new RenderError(`train.yaml ${plan.refusal}`);
  const t = plan.train;
  const warmStart = planWarmStart(ctx);
  const notes = [...plan.adaptations, ...(warmStart ? [warmStartNote(warmStart)] : [])];
  const from = warmStart?.checkpoint;
  const rendered =
    t.framework === 'hf'
      ? renderHf(ctx, t, gpu.count, notes, from)
      : t.framework === 'llamafactory'
        ? renderLlamaFactory(ctx, t, model, gpu.count, notes, from)
        : renderTrl(ctx, t, gpu.count, notes, from);
  return {
    framework: t.framework,
    files: [...rendered.files, ...memoryFiles(ctx, plan, gpu.count)],
    notes,
    warmStart,
    prepare: prepareStage(ctx),
    train: {
      ...rendered.train,
      produced: [ctx.dataDir, ...(from ? [from] : [])],
      // The framework's own event files (tracking.tensorboard.framework_logs) come back with the logs.
      outputs: [...rendered.train.outputs, ...(t.finetuning === 'full' ? [] : adapterOutputs(nodePaths(ctx).ckpt)), ...tensorboardOutputs(ctx)],
      env: { ...rendered.train.env, ...tensorboardEnv(ctx) },
    },
    evaluate: renderEvaluate(ctx, t),
  };
}

function tensorboardOutputs(ctx: StageContext): string[] {
  const dir = frameworkTensorboardDir(ctx);
  return dir ? [dir] : [];
}

function prepareStage(ctx: StageContext): StagePlan {
  const paths = nodePaths(ctx);
  return {
    argv: ['{python}', '{runner}/trex_llm.py', 'prepare', '--task', paths.taskJson, '--recipe', paths.recipeJson, '--out', ctx.dataDir, '--cache', '{cache}'],
    inputs: [paths.taskJson, paths.recipeJson, ...localDataFiles(ctx)],
    produced: [],
    outputs: [`${ctx.dataDir}/stats.json`],
    env: {},
  };
}

/** Local data files and script steps named by the recipe and the task's eval sets (inside the experiment) travel to remote hosts with the stage. */
export function localDataFiles(ctx: StageContext): string[] {
  return recipeLocalPaths(ctx.spec, ctx.recipe).filter((p) => !p.startsWith('/') && !p.startsWith('..'));
}

function memoryFiles(ctx: StageContext, plan: MemoryPlan, gpus: number): RenderedFile[] {
  const e = plan.estimate;
  const b = e.breakdown;
  const lines = [
    `# GPU memory plan for ${ctx.nodeId}`,
    '',
    `Estimated ${e.gib} GiB per GPU on ${gpus} × ${e.gpuGiB} GiB: weights ${b.weights}, gradients ${b.gradients}, optimizer ${b.optimizer}, reference model ${b.reference}, activations ${b.activations}, logits ${b.logits}, overhead ${b.overhead} (GiB).`,
    '',
    plan.adaptations.length ? 'Adapted so it fits:' : 'Runs as written.',
    ...plan.adaptations.map((a) => `- ${a}`),
    '',
  ];
  return [
    { path: `${ctx.runDir}/memory.md`, content: lines.join('\n') },
    { path: `${ctx.runDir}/memory.json`, content: jsonText({ estimate: e, adaptations: plan.adaptations, gpus }) },
  ];
}

/** Writes rendered files into the experiment folder (atomically, creating folders). */
export function writeRenderedFiles(experimentDir: string, files: RenderedFile[]): void {
  for (const f of files) {
    const abs = join(experimentDir, f.path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileAtomic(abs, f.content);
  }
}
