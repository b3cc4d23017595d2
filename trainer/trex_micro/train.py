"""`train`: supervised fine-tuning (full or LoRA) of the micro model with
loss on response tokens + END only. Writes LLaMA-Factory / HF Trainer style
logs so the engine can parse these runs exactly like real ones."""
import math
import os
import shutil
import time

import torch
import torch.nn.functional as F

from . import checkpoint
from . import model as model_lib
from . import tokenizer
from .base_model import ensure_base
from .interim_eval import InterimEval
from trex_protocol.errors import InputError
from trex_protocol.files import read_jsonl, write_json_atomic
from trex_protocol.progress import TrainerLog, print_line

IGNORE = -100


def encode_examples(rows, max_len):
    encoded = []
    for r in rows:
        p = tokenizer.encode(r["prompt"])
        resp = tokenizer.encode(r["response"]) + [tokenizer.END]
        ids = (p + resp)[:max_len + 1]
        labels = ([IGNORE] * len(p) + resp)[:max_len + 1]
        encoded.append((ids, labels))
    return encoded


def make_batch(items):
    T = max(len(ids) for ids, _ in items) - 1
    x = torch.full((len(items), T), tokenizer.PAD, dtype=torch.long)
    y = torch.full((len(items), T), IGNORE, dtype=torch.long)
    for i, (ids, labels) in enumerate(items):
        n = len(ids) - 1
        x[i, :n] = torch.tensor(ids[:-1])
        y[i, :n] = torch.tensor(labels[1:])
    return x, y


def lr_at(step, total, cfg):
    warmup = int(cfg["warmup_ratio"] * total)
    if step < warmup:
        return cfg["learning_rate"] * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    if cfg["lr_scheduler"] == "cosine":
        return cfg["learning_rate"] * 0.5 * (1 + math.cos(math.pi * progress))
    if cfg["lr_scheduler"] == "linear":
        return cfg["learning_rate"] * (1 - progress)
    return cfg["learning_rate"]


def train(task, cfg, data_dir, out_dir, cache, init_dir=None, resume_file=None):
    start = time.time()
    torch.manual_seed(cfg["seed"])
    rows = read_jsonl(os.path.join(data_dir, "train.jsonl"))
    if not rows:
        raise InputError("data", f"{data_dir}/train.jsonl has no examples")
    if init_dir:
        init_path = os.path.join(init_dir, "model.pt")
        if not os.path.exists(init_path):
            raise InputError("init", f"no model.pt in {init_dir}")
    else:
        from .base_model import base_path
        if not os.path.exists(base_path(cache, task["base_model"])):
            # One-time work shared by every later run: announced, and reported so the engine
            # does not bill it to this node.
            print(f"Preparing base model {task['base_model']} (once; cached for later runs)...", flush=True)
            print_line({"phase": f"preparing base model {task['base_model']} (one time)"})
        t_base = time.time()
        init_path = ensure_base(cache, task["base_model"])
        setup_seconds = time.time() - t_base
        if setup_seconds > 1.0:
            print_line({"setup_seconds": round(setup_seconds, 3), "phase": "training"})
            start += setup_seconds
    model = model_lib.load(init_path)
    if cfg["finetuning"] == "lora":
        model.add_lora(cfg["lora_rank"], cfg["lora_alpha"], cfg["lora_dropout"])
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg["learning_rate"], weight_decay=cfg["weight_decay"])

    data = encode_examples(rows, min(cfg["max_seq_len"], model.block_size))
    bs = min(cfg["batch_size"], len(data))
    steps_per_epoch = math.ceil(len(data) / bs)
    total = cfg["max_steps"] or max(1, math.ceil(cfg["epochs"] * steps_per_epoch))
    log_every = max(1, total // 20)
    gen = torch.Generator().manual_seed(cfg["seed"])

    interim = InterimEval(task, data_dir, cfg["eval_steps"])
    history, window, all_losses = [], [], []
    order, first = [], 0
    if resume_file:
        state = checkpoint.load(resume_file)
        extra = state["extra"]
        if extra["step"] >= total:
            raise InputError("resume", f"{resume_file} is at step {extra['step']}, not before the last step {total}")
        model.load_state_dict(state["state_dict"])
        opt.load_state_dict(extra["optimizer"])
        gen.set_state(extra["generator"])
        torch.set_rng_state(extra["torch_rng"])
        order, history, all_losses, first = list(extra["order"]), extra["history"], extra["losses"], extra["step"]
        print(f"resuming from the checkpoint at step {first}", flush=True)
    # A resumed run keeps the log lines of the steps it already did.
    log = TrainerLog(out_dir, start=start, fresh=not resume_file)
    print(f"train {task['name']}: {len(data)} examples, {total} steps, {cfg['finetuning']}, "
          f"{sum(p.numel() for p in params)} trainable params", flush=True)
    model.train()
    for step in range(first, total):
        if not order:
            order = torch.randperm(len(data), generator=gen).tolist()
        batch_ids, order = order[:bs], order[bs:]
        x, y = make_batch([data[i] for i in batch_ids])
        lr = lr_at(step, total, cfg)
        for g in opt.param_groups:
            g["lr"] = lr
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=IGNORE)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        window.append(loss.item())
        all_losses.append(loss.item())
        done = step + 1
        if done % log_every == 0 or done == total:
            mean_loss = sum(window) / len(window)
            window = []
            epoch = round(done / steps_per_epoch, 4)
            log.step(done, total, mean_loss, lr, epoch)
            history.append({"step": done, "loss": round(mean_loss, 4), "learning_rate": lr, "epoch": epoch})
        if interim.due(done, total):
            # Checkpoint first: a node stopped on this evaluation can resume from exactly here.
            checkpoint.save(out_dir, model, opt, done, gen, order, history, all_losses)
            log.evaluation(done, total, interim.metric, interim.score(model))
    log.close()

    if cfg["finetuning"] == "lora":
        model.merge_lora()
    model_lib.save(model, os.path.join(out_dir, "model.pt"))
    fmt = os.path.join(data_dir, "format.json")
    if os.path.exists(fmt):  # the evaluator must render prompts like training did
        shutil.copyfile(fmt, os.path.join(out_dir, "format.json"))

    runtime = time.time() - start
    epochs_done = round(total / steps_per_epoch, 4)
    results = {"epoch": epochs_done, "train_loss": round(sum(all_losses) / len(all_losses), 4),
               "train_runtime": round(runtime, 3),
               "train_samples_per_second": round(total * bs / runtime, 3),
               "train_steps_per_second": round(total / runtime, 3)}
    write_json_atomic(os.path.join(out_dir, "train_results.json"), results)
    write_json_atomic(os.path.join(out_dir, "all_results.json"), results)
    write_json_atomic(os.path.join(out_dir, "trainer_state.json"), {
        "global_step": total, "max_steps": total, "num_train_epochs": math.ceil(epochs_done),
        "epoch": epochs_done, "logging_steps": log_every, "train_batch_size": bs,
        "log_history": history, "total_flos": 0, "is_world_process_zero": True,
    })
    print(f"train {task['name']}: done in {runtime:.1f}s, mean loss {results['train_loss']}", flush=True)
    return results
