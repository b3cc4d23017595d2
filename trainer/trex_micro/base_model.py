"""Base model cache: `<cache>/base/<name>.pt`, pretrained once under a file
lock so concurrent runs don't both pretrain, written atomically."""
import fcntl
import os
import time

import torch

from . import model as model_lib
from . import tokenizer
from trex_protocol.errors import InputError
from trex_protocol.files import write_json_atomic
from .pretrain_corpus import build_corpus

PRETRAIN = {"steps": 420, "batch_size": 32, "seq_len": 64, "lr": 3e-3, "seed": 1234,
            "paragraphs": 6000}


def base_path(cache, name):
    return os.path.join(cache, "base", f"{name}.pt")


def check_name(name, field="base_model"):
    if name not in model_lib.CONFIGS:
        raise InputError(field, f"unknown base model {name!r}; supported: {sorted(model_lib.CONFIGS)}")


def ensure_base(cache, name, log=print):
    """Return the path of the cached base model, pretraining it if missing."""
    check_name(name)
    path = base_path(cache, name)
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the second process waits, then reuses
        if not os.path.exists(path):
            pretrain(cache, name, log)
    return path


def pretrain(cache, name, log=print):
    check_name(name)
    cfg = PRETRAIN
    start = time.time()
    torch.manual_seed(cfg["seed"])
    text = build_corpus(cfg["seed"], cfg["paragraphs"])
    data = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    model = model_lib.build(name)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.01)
    gen = torch.Generator().manual_seed(cfg["seed"])
    T, B, steps = cfg["seq_len"], cfg["batch_size"], cfg["steps"]
    loss = None
    for step in range(steps):
        lr = cfg["lr"] * min(1.0, (step + 1) / 30) * 0.5 * (1 + torch.cos(torch.tensor(step / steps * 3.14159)).item())
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, len(data) - T - 1, (B,), generator=gen)
        x = torch.stack([data[s:s + T] for s in starts])
        y = torch.stack([data[s + 1:s + T + 1] for s in starts])
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"pretrain {name}: step {step + 1}/{steps} loss {loss.item():.3f}")
    path = base_path(cache, name)
    model_lib.save(model, path)
    meta = {"name": name, "params": sum(p.numel() for p in model.parameters()),
            "config": model.config, "corpus_chars": len(text), "pretrain": cfg,
            "final_loss": round(loss.item(), 4), "seconds": round(time.time() - start, 2)}
    write_json_atomic(os.path.join(cache, "base", f"{name}.json"), meta)
    log(f"pretrain {name}: done in {meta['seconds']}s, final loss {meta['final_loss']}")
    return path
