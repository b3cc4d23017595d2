"""`train`: the built-in Hugging Face script (transformers Trainer + peft) for
machines without LLaMA-Factory or TRL. SFT with loss on the answer only, or
DPO (dpo.py); full, LoRA or QLoRA; multi-GPU when launched under torchrun.
Writes the model (an adapter for LoRA/QLoRA), trainer_log.jsonl (live,
LLaMA-Factory format), trainer_state.json, train_results.json and
all_results.json, and prints TREX_PROGRESS lines."""
import math
import os
import shutil
import time

from .chat import IGNORE, encode_pair
from trex_protocol.errors import InputError
from trex_protocol.files import fresh_dir, read_jsonl, write_json_atomic
from .train_progress import eval_examples, progress_callback


class SftCollator:
    def __init__(self, pad_id):
        self.pad_id = pad_id

    def __call__(self, items):
        import torch
        width = max(len(ids) for ids, _ in items)
        ids = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for i, (x, y) in enumerate(items):
            ids[i, :len(x)] = torch.tensor(x)
            labels[i, :len(y)] = torch.tensor(y)
            mask[i, :len(x)] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def _load_rows(data_dir, method):
    rows = read_jsonl(os.path.join(data_dir, "train.jsonl"))
    if not rows:
        raise InputError("data", f"{data_dir}/train.jsonl has no examples")
    if method == "dpo" and not all("rejected" in r for r in rows):
        raise InputError("method", "dpo needs a rejected answer for every example: map `rejected` in the recipe")
    return rows


def _eval_items(tokenizer, data_dir, cfg):
    """Validation pairs for the eval loss every `eval_steps` (SFT only; none when eval_steps is null)."""
    if not cfg["eval_steps"] or cfg["method"] != "sft":
        return None
    rows = eval_examples(os.path.join(data_dir, "validation.jsonl"))
    return [encode_pair(tokenizer, r["prompt"], r["reference"], cfg["max_seq_len"]) for r in rows] or None


def total_steps(cfg, num_examples, world):
    per_step = cfg["batch_size"] * cfg["gradient_accumulation_steps"] * world
    steps_per_epoch = max(1, math.ceil(num_examples / per_step))
    return cfg["max_steps"] or max(1, math.ceil(cfg["epochs"] * steps_per_epoch)), steps_per_epoch


def train(task, cfg, data_dir, out_dir, init_adapter=None):
    """`init_adapter`: a parent's LoRA adapter folder to continue (a warm start) instead of a fresh one."""
    import torch
    from transformers import Trainer, TrainingArguments
    from .dpo import PairCollator, add_reference_logps, encode_preferences, make_dpo_trainer_class
    from .hf_models import add_lora, continue_lora, load_base_model, load_tokenizer, pick_precision

    start = time.time()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    main_process = int(os.environ.get("RANK", "0")) == 0
    rows = _load_rows(data_dir, cfg["method"])
    cuda = torch.cuda.is_available()
    dtype, bf16, fp16, note = pick_precision(cfg["precision"], cuda)
    if main_process:
        for line in cfg["notes"] + ([note] if note else []):
            print(f"note: {line}", flush=True)
        log_path = os.path.join(out_dir, "trainer_log.jsonl")
        if os.path.exists(log_path):
            os.remove(log_path)  # a re-run starts a fresh log
    torch.manual_seed(cfg["seed"])
    tokenizer = load_tokenizer(cfg["base_model"])
    model = load_base_model(cfg["base_model"], dtype, cfg["finetuning"], cuda)
    gc = cfg["gradient_checkpointing"]
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if cuda else "cpu")

    if cfg["method"] == "dpo":
        items = encode_preferences(tokenizer, rows, cfg["max_seq_len"])
        if cfg["finetuning"] != "qlora":
            model.to(device)
        add_reference_logps(model, items, tokenizer.pad_token_id, cfg["batch_size"], device)
        collator, trainer_class = PairCollator(tokenizer.pad_token_id), make_dpo_trainer_class(Trainer, cfg["dpo_beta"])
    else:
        items = [encode_pair(tokenizer, r["prompt"], r["completion"][0]["content"], cfg["max_seq_len"]) for r in rows]
        collator, trainer_class = SftCollator(tokenizer.pad_token_id), Trainer
    if init_adapter and cfg["finetuning"] not in ("lora", "qlora"):
        raise InputError("init_adapter", f"finetuning {cfg['finetuning']} has no adapter to continue")
    # DPO's reference log-probs above came from the base model, as in the parent's run.
    if init_adapter:
        model = continue_lora(model, cfg, gc, init_adapter)
        if main_process:
            print(f"note: warm start: continuing the adapter in {init_adapter}", flush=True)
    elif cfg["finetuning"] in ("lora", "qlora"):
        model = add_lora(model, cfg, gc)
    if gc:
        model.config.use_cache = False  # the KV cache is useless in training and conflicts with checkpointing

    eval_items = _eval_items(tokenizer, data_dir, cfg)
    total, steps_per_epoch = total_steps(cfg, len(items), world)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if main_process:
        print(f"train {task['name']}: {len(items)} examples, {total} steps ({steps_per_epoch}/epoch), {cfg['method']} "
              f"{cfg['finetuning']}, {trainable} trainable params, {world} process(es), "
              f"{'cuda' if cuda else 'cpu'} {str(dtype).replace('torch.', '')}", flush=True)
    if cfg["report_to"] == "tensorboard":
        # transformers >= 5 reads the TensorBoard folder from the environment only.
        os.environ["TENSORBOARD_LOGGING_DIR"] = cfg["tensorboard_dir"]
        if main_process:
            fresh_dir(cfg["tensorboard_dir"])
    args = TrainingArguments(
        output_dir=out_dir, per_device_train_batch_size=cfg["batch_size"],
        gradient_accumulation_steps=cfg["gradient_accumulation_steps"], learning_rate=cfg["learning_rate"],
        max_steps=total, lr_scheduler_type=cfg["lr_scheduler"], warmup_steps=int(cfg["warmup_ratio"] * total),
        weight_decay=cfg["weight_decay"], logging_steps=int(cfg["logging_steps"] or max(1, total // 20)),
        save_strategy="no", report_to=cfg["report_to"], bf16=bf16, fp16=fp16, seed=cfg["seed"], remove_unused_columns=False,
        dataloader_num_workers=0, disable_tqdm=True, gradient_checkpointing=gc,
        gradient_checkpointing_kwargs={"use_reentrant": False} if gc else None,
        ddp_find_unused_parameters=False if world > 1 else None, use_cpu=not cuda,
        eval_strategy="steps" if eval_items else "no", eval_steps=cfg["eval_steps"] if eval_items else None,
        per_device_eval_batch_size=cfg["batch_size"],
    )
    trainer = trainer_class(model=model, args=args, train_dataset=items, eval_dataset=eval_items, data_collator=collator,
                            callbacks=[progress_callback(out_dir)])
    result = trainer.train()
    trainer.save_model(out_dir)
    if main_process:
        tokenizer.save_pretrained(out_dir)
        fmt = os.path.join(data_dir, "format.json")
        if os.path.exists(fmt):  # the evaluator renders prompts like training did
            shutil.copyfile(fmt, os.path.join(out_dir, "format.json"))
        write_json_atomic(os.path.join(out_dir, "trex_model.json"), {
            "base_model": cfg["base_model"], "finetuning": cfg["finetuning"], "method": cfg["method"]})
    metrics = dict(result.metrics, train_samples=len(items))
    trainer.save_metrics("train", metrics)
    trainer.save_state()
    if main_process:
        print(f"train {task['name']}: done in {time.time() - start:.1f}s, loss {metrics.get('train_loss', float('nan')):.4f}",
              flush=True)
    return metrics

