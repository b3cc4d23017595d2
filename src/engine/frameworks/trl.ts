// TRL: a `trl sft` / `trl dpo` config (YAML keys = CLI flags), run through our launch wrapper,
// which turns the Trainer's printed log dicts into trainer_log.jsonl and live progress. It runs
// TRL's script under `accelerate launch` itself (trainer/trex_llm/trl_compat.py), so several GPUs'
// --num_processes reaches accelerate for `dpo` too (TRL's own `trl dpo` drops it up to TRL 0.28).
// The config's `dtype` key and `datasets:` list need TRL >= 0.23; the wrapper refuses older ones.
import { evaluationDuringTraining, header, localModelInputs, nodePaths, reportTo, trainerLogOutputs, yamlText } from './render';
import type { LlmTrain } from './trainConfig';
import type { RenderedFile, StageContext, TrainCommand } from './types';

export const TRL_LOGGING_STEPS = 5;
const DTYPE = { bf16: 'bfloat16', fp16: 'float16', fp32: 'float32' } as const;

export function trlConfig(ctx: StageContext, t: LlmTrain): Record<string, unknown> {
  const paths = nodePaths(ctx);
  const adapter = t.finetuning !== 'full';
  const columns = t.method === 'dpo' ? ['prompt', 'chosen', 'rejected'] : ['prompt', 'completion'];
  return {
    model_name_or_path: ctx.spec.base_model,
    trust_remote_code: true,
    dtype: DTYPE[t.precision],
    datasets: [{ path: 'json', data_files: `${ctx.dataDir}/train.jsonl`, split: 'train', columns }],
    output_dir: paths.ckpt,
    num_train_epochs: t.epochs,
    ...(t.max_steps ? { max_steps: t.max_steps } : {}),
    per_device_train_batch_size: t.batch_size,
    gradient_accumulation_steps: t.gradient_accumulation_steps,
    learning_rate: t.learning_rate,
    lr_scheduler_type: t.lr_scheduler,
    warmup_ratio: t.warmup_ratio,
    weight_decay: t.weight_decay,
    // TRL's configs default bf16 to true: fp32 must say bf16: false (else "doesn't support bf16/gpu" on CPU).
    ...(t.precision === 'bf16' ? { bf16: true } : t.precision === 'fp16' ? { fp16: true, bf16: false } : { bf16: false }),
    gradient_checkpointing: t.gradient_checkpointing,
    max_length: t.max_seq_len,
    ...(t.method === 'dpo' ? { beta: t.dpo_beta } : { completion_only_loss: true }),
    ...(adapter ? { use_peft: true, lora_r: t.lora.rank, lora_alpha: t.lora.alpha, lora_dropout: t.lora.dropout, lora_target_modules: t.lora.target === 'all' ? 'all-linear' : t.lora.target.split(',') } : {}),
    ...(t.finetuning === 'qlora' ? { load_in_4bit: true, bnb_4bit_quant_type: 'nf4', use_bnb_nested_quant: true } : {}),
    logging_steps: TRL_LOGGING_STEPS,
    ...evalKeys(ctx, t),
    save_strategy: 'no',
    report_to: reportTo(ctx),
    seed: t.seed,
  };
}

/** TRL's trainer evaluates the launcher's validation examples (trl_compat.py's --trex_eval_data) every eval_steps. */
function evalKeys(ctx: StageContext, t: LlmTrain): Record<string, unknown> {
  const during = evaluationDuringTraining(ctx, t, nodePaths(ctx).frameworkDir('trl'));
  return during ? { eval_strategy: 'steps', eval_steps: during.steps, per_device_eval_batch_size: t.batch_size } : {};
}

/**
 * `warmFrom`: the parent's adapter folder. TRL's scripts have no option to start from an adapter,
 * so the launcher takes --trex_init_adapter and hands TRL's trainer that adapter, loaded trainable,
 * in place of a fresh one (trainer/trex_llm/trl_compat.py).
 */
export function renderTrl(ctx: StageContext, t: LlmTrain, gpus: number, notes: string[], warmFrom?: string): { files: RenderedFile[]; train: TrainCommand } {
  const paths = nodePaths(ctx);
  const configPath = `${paths.frameworkDir('trl')}/${t.method}.yaml`;
  const evalArgs = evaluationDuringTraining(ctx, t, paths.frameworkDir('trl'))?.launchArgs ?? [];
  const launcher = ['{python}', '{runner}/trex_llm.py', 'launch', '--framework', 'trl', '--out', paths.ckpt, '--logging-steps', String(TRL_LOGGING_STEPS), ...evalArgs, ...notes.flatMap((n) => ['--note', n]), '--'];
  const argv = [...launcher, 'trl', t.method, '--config', configPath, ...(warmFrom ? ['--trex_init_adapter', warmFrom] : []), ...(gpus > 1 ? ['--num_processes', String(gpus)] : [])];
  return {
    files: [{ path: configPath, content: yamlText(header(ctx, `TRL ${t.method} config`, notes), trlConfig(ctx, t)) }],
    train: { argv, inputs: [configPath, ...localModelInputs(ctx.spec.base_model)], outputs: trainerLogOutputs(paths.ckpt), env: {} },
  };
}
