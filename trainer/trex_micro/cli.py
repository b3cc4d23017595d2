"""Command line: pretrain | prepare | train | evaluate (see trainer/README.md).
Bad input exits 2 with the field named; any other failure exits 1."""
import argparse
import os
import time

from trex_protocol.cli import add_command, require_train_data, run_command


def _parser():
    p = argparse.ArgumentParser(prog="trex_micro.py", description="TREX micro trainer (CPU, torch only)")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("pretrain", help="pretrain and cache a base model")
    s.add_argument("--base", default="micro-gpt")
    s.add_argument("--cache", required=True)
    add_command(sub, "prepare", "build the training data from a recipe", ("task", "recipe", "out"))
    s = add_command(sub, "train", "fine-tune, write model.pt and trainer logs", ("task", "config", "data", "out", "cache"))
    s.add_argument("--init", default=None, help="parent checkpoint dir to warm-start from")
    s.add_argument("--resume", default=None, help="training checkpoint (checkpoint/step-<n>.pt) to continue from")
    add_command(sub, "evaluate", "score a checkpoint on validation and test", ("task", "ckpt", "out"), ("predictions",))
    return p


def _setup_torch():
    import torch
    torch.set_num_threads(int(os.environ.get("TREX_THREADS", "1")))
    try:
        torch.use_deterministic_algorithms(True)
    except Exception:  # older torch builds: seeds alone still make CPU runs repeatable
        pass


def run(args):
    from trex_protocol.files import read_json
    from . import config

    if args.command == "pretrain":
        _setup_torch()
        from .base_model import base_path, check_name, ensure_base
        check_name(args.base, "--base")
        existed = os.path.exists(base_path(args.cache, args.base))
        path = ensure_base(args.cache, args.base)
        print(f"base model {'already cached' if existed else 'written'}: {path}", flush=True)
        return
    task = config.parse_task(read_json(args.task, "task"))
    if args.command == "prepare":
        from .prepare import prepare
        recipe = config.parse_recipe(read_json(args.recipe, "recipe"), task)
        t = time.time()
        stats = prepare(task, recipe, args.out)
        print(f"prepare {task['name']}: {stats['num_examples']} examples, dropped {stats['dropped']} "
              f"in {time.time() - t:.1f}s -> {args.out}", flush=True)
    elif args.command == "train":
        cfg = config.parse_train(read_json(args.config, "config"))
        require_train_data(args.data)
        _setup_torch()
        from .train import train
        train(task, cfg, args.data, args.out, args.cache, args.init, args.resume)
    elif args.command == "evaluate":
        _setup_torch()
        from .evaluate import evaluate
        t = time.time()
        m = evaluate(task, args.ckpt, args.out, args.predictions)
        name = m["metric"]
        print(f"evaluate {task['name']}: validation {name}={m['validation'][name]} "
              f"test {name}={m['test'][name]} in {time.time() - t:.1f}s", flush=True)


def main(argv):
    return run_command("trex_micro", _parser(), run, argv)
