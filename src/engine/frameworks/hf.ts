// The built-in Hugging Face script (trainer/trex_llm: transformers Trainer + peft), for machines
// that have only transformers and peft. Its config is the adapted train config as JSON; several
// GPUs run it under torchrun (data parallel).
import { type LlmTrain } from './trainConfig';
import { frameworkTensorboardDir, header, jsonText, localModelInputs, nodePaths, reportTo, trainerLogOutputs } from './render';
import type { RenderedFile, StageContext, TrainCommand } from './types';

/** `warmFrom`: the parent's adapter folder, loaded trainable instead of a fresh LoRA (--init-adapter). */
export function renderHf(ctx: StageContext, t: LlmTrain, gpus: number, notes: string[], warmFrom?: string): { files: RenderedFile[]; train: TrainCommand } {
  const paths = nodePaths(ctx);
  const configPath = `${paths.frameworkDir('hf')}/train.json`;
  const config = {
    _comment: header(ctx, 'Config of the built-in Hugging Face trainer', []).join(' '),
    framework: 'hf',
    base_model: ctx.spec.base_model,
    method: t.method,
    finetuning: t.finetuning,
    learning_rate: t.learning_rate,
    epochs: t.epochs,
    max_steps: t.max_steps,
    batch_size: t.batch_size,
    gradient_accumulation_steps: t.gradient_accumulation_steps,
    gradient_checkpointing: t.gradient_checkpointing,
    lora: t.lora,
    warmup_ratio: t.warmup_ratio,
    weight_decay: t.weight_decay,
    lr_scheduler: t.lr_scheduler,
    max_seq_len: t.max_seq_len,
    precision: t.precision,
    dpo_beta: t.dpo_beta,
    seed: t.seed,
    report_to: reportTo(ctx),
    tensorboard_dir: frameworkTensorboardDir(ctx),
    eval_steps: t.eval_steps,
    notes,
  };
  const script = ['{runner}/trex_llm.py', 'train', '--task', paths.taskJson, '--config', configPath, '--data', ctx.dataDir, '--out', paths.ckpt, ...(warmFrom ? ['--init-adapter', warmFrom] : [])];
  const argv = gpus > 1 ? ['{python}', '-m', 'torch.distributed.run', '--standalone', `--nproc_per_node=${gpus}`, ...script] : ['{python}', ...script];
  return {
    files: [{ path: configPath, content: jsonText(config) }],
    train: { argv, inputs: [paths.taskJson, configPath, ...localModelInputs(ctx.spec.base_model)], outputs: trainerLogOutputs(paths.ckpt), env: {} },
  };
}
