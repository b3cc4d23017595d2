// LLaMA-Factory: a train YAML and a dataset_info.json naming the prepared data, run with
// `llamafactory-cli train` through our launch wrapper, which tails LLaMA-Factory's
// trainer_log.jsonl into live progress. Several GPUs: LLaMA-Factory starts torchrun itself
// (FORCE_TORCHRUN=1).
import { posix } from 'node:path';
import type { ModelInfo } from './modelInfo';
import { evaluationDuringTraining, header, jsonText, localModelInputs, nodePaths, reportTo, trainerLogOutputs, yamlText, type DuringTraining } from './render';
import type { LlmTrain } from './trainConfig';
import type { RenderedFile, StageContext, TrainCommand } from './types';

export const LLAMAFACTORY_LOGGING_STEPS = 5;
const DATASET = 'trex_train';
const EVAL_DATASET = 'trex_eval';

/**
 * dataset_info.json: the data dir's train.jsonl in sharegpt form (chat messages with roles), and the
 * validation examples it evaluates on during training (`evalRows`, written by the launcher) in the same form.
 */
export function datasetInfo(datasetDir: string, dataDir: string, method: LlmTrain['method'], evalRows?: string): object {
  const tags = { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant', system_tag: 'system' };
  const file_name = posix.relative(datasetDir, `${dataDir}/train.jsonl`);
  if (method === 'dpo') {
    return { [DATASET]: { file_name, formatting: 'sharegpt', ranking: true, columns: { messages: 'prompt', chosen: 'chosen_message', rejected: 'rejected_message' }, tags } };
  }
  const chat = { formatting: 'sharegpt', columns: { messages: 'messages' }, tags };
  return { [DATASET]: { file_name, ...chat }, ...(evalRows ? { [EVAL_DATASET]: { file_name: posix.relative(datasetDir, evalRows), ...chat } } : {}) };
}

/** LLaMA-Factory's own evaluation every eval_steps: its eval loss lands in trainer_log.jsonl, which the launcher tails. */
function evalKeys(during: DuringTraining | null, t: LlmTrain): Record<string, unknown> {
  return during ? { eval_dataset: EVAL_DATASET, eval_strategy: 'steps', eval_steps: during.steps, per_device_eval_batch_size: t.batch_size } : {};
}

/**
 * `warmFrom`: the parent's adapter folder as `adapter_name_or_path`. With create_new_adapter false
 * LLaMA-Factory (0.9.x, model/adapter.py) loads the last listed adapter trainable and goes on
 * training it; its LoRA shape comes from the adapter's own config.
 */
export function llamafactoryConfig(ctx: StageContext, t: LlmTrain, model: ModelInfo, datasetDir: string, warmFrom?: string): Record<string, unknown> {
  const paths = nodePaths(ctx);
  const adapter = t.finetuning !== 'full';
  return {
    model_name_or_path: ctx.spec.base_model,
    trust_remote_code: true,
    stage: t.method,
    do_train: true,
    finetuning_type: adapter ? 'lora' : 'full',
    ...(adapter ? { lora_rank: t.lora.rank, lora_alpha: t.lora.alpha, lora_dropout: t.lora.dropout, lora_target: t.lora.target } : {}),
    ...(adapter && warmFrom ? { adapter_name_or_path: warmFrom, create_new_adapter: false } : {}),
    ...(t.finetuning === 'qlora' ? { quantization_bit: 4, quantization_method: 'bnb' } : {}),
    ...(t.method === 'dpo' ? { pref_beta: t.dpo_beta, pref_loss: 'sigmoid' } : {}),
    dataset: DATASET,
    ...evalKeys(evaluationDuringTraining(ctx, t, datasetDir), t),
    dataset_dir: datasetDir,
    template: model.llamafactoryTemplate,
    ...(model.llamafactoryTemplate === 'qwen3' ? { enable_thinking: false } : {}),
    cutoff_len: t.max_seq_len,
    overwrite_cache: true,
    preprocessing_num_workers: 4,
    output_dir: paths.ckpt,
    logging_steps: LLAMAFACTORY_LOGGING_STEPS,
    save_strategy: 'no',
    plot_loss: false,
    overwrite_output_dir: true,
    report_to: reportTo(ctx),
    per_device_train_batch_size: t.batch_size,
    gradient_accumulation_steps: t.gradient_accumulation_steps,
    learning_rate: t.learning_rate,
    num_train_epochs: t.epochs,
    ...(t.max_steps ? { max_steps: t.max_steps } : {}),
    lr_scheduler_type: t.lr_scheduler,
    warmup_ratio: t.warmup_ratio,
    weight_decay: t.weight_decay,
    ...(t.precision === 'bf16' ? { bf16: true } : t.precision === 'fp16' ? { fp16: true } : {}),
    disable_gradient_checkpointing: !t.gradient_checkpointing,
    seed: t.seed,
    ddp_timeout: 180000000,
  };
}

export function renderLlamaFactory(ctx: StageContext, t: LlmTrain, model: ModelInfo, gpus: number, notes: string[], warmFrom?: string): { files: RenderedFile[]; train: TrainCommand } {
  const paths = nodePaths(ctx);
  const dir = paths.frameworkDir('llamafactory');
  const yamlPath = `${dir}/train.yaml`;
  const infoPath = `${dir}/dataset_info.json`;
  const during = evaluationDuringTraining(ctx, t, dir);
  const argv = ['{python}', '{runner}/trex_llm.py', 'launch', '--framework', 'llamafactory', '--out', paths.ckpt, ...(during?.launchArgs ?? []), ...notes.flatMap((n) => ['--note', n]), '--', 'llamafactory-cli', 'train', yamlPath];
  return {
    files: [
      { path: yamlPath, content: yamlText(header(ctx, 'LLaMA-Factory training config', notes), llamafactoryConfig(ctx, t, model, dir, warmFrom)) },
      { path: infoPath, content: jsonText(datasetInfo(dir, ctx.dataDir, t.method, during?.rows)) },
    ],
    train: { argv, inputs: [yamlPath, infoPath, ...localModelInputs(ctx.spec.base_model)], outputs: trainerLogOutputs(paths.ckpt), env: gpus > 1 ? { FORCE_TORCHRUN: '1' } : {} },
  };
}
