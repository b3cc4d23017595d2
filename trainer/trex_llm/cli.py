"""Command line: prepare | peek-source | train | evaluate | launch | lm-eval (see README.md).
Bad input exits 2 with the field named; any other failure exits 1."""
import argparse
import os
import sys
import time

from trex_protocol.cli import add_command, require_train_data, run_command


def _parser():
    p = argparse.ArgumentParser(prog="trex_llm.py", description="TREX LLM runner (data recipes, training, evaluation)")
    sub = p.add_subparsers(dest="command", required=True)
    s = add_command(sub, "prepare", "run a data recipe into a data dir", ("task", "recipe", "out"))
    s.add_argument("--cache", default=os.environ.get("TREX_CACHE", os.path.expanduser("~/.cache/trex")))
    s = add_command(sub, "peek-source", "load a few rows of one recipe source and map them (JSON on stdout)", ("recipe",))
    s.add_argument("--source", type=int, required=True, help="index into the recipe's sources")
    s.add_argument("--rows", type=int, default=8)
    s.add_argument("--cache", default=os.environ.get("TREX_CACHE", os.path.expanduser("~/.cache/trex")))
    s = add_command(sub, "train", "fine-tune with the built-in Hugging Face script (--config: the rendered run/hf/train.json)",
                    ("task", "config", "data", "out"))
    s.add_argument("--init-adapter", default=None, help="a parent's LoRA adapter folder to continue (warm start)")
    add_command(sub, "evaluate", "generate and score on the prepared validation and test sets",
                ("task", "ckpt", "data", "out"), ("predictions",))
    s = sub.add_parser("launch", help="run LLaMA-Factory or TRL with live progress")
    s.add_argument("--framework", required=True, choices=("llamafactory", "trl"))
    s.add_argument("--out", required=True, help="the trainer's output dir")
    s.add_argument("--note", action="append", default=[])
    s.add_argument("--logging-steps", type=int, default=1)
    s.add_argument("--eval-data", default=None, help="the prepared validation.jsonl, when the config evaluates during training")
    s.add_argument("--eval-rows", default=None, help="where to write the examples it evaluates on (with --eval-data)")
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    s = add_command(sub, "lm-eval", "run lm-evaluation-harness and convert its results (--results: lm-eval --output_path)",
                    ("task", "results", "out"), ("predictions",))
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    return p


def _command(args):
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        from trex_protocol.errors import InputError
        raise InputError("cmd", "give the command after --")
    return cmd


def run(args):
    from trex_protocol.files import read_json
    from . import config

    if args.command == "launch":
        from .launch import launch
        if bool(args.eval_data) != bool(args.eval_rows):
            from trex_protocol.errors import InputError
            raise InputError("eval-rows", "--eval-data and --eval-rows go together")
        return launch(args.framework, args.out, _command(args), args.note, args.logging_steps, args.eval_data, args.eval_rows)
    if args.command == "peek-source":
        import json
        from .peek import peek_source
        recipe = config.parse_recipe(read_json(args.recipe, "recipe"))
        print(json.dumps(peek_source(recipe, args.source, args.rows, args.cache), ensure_ascii=False), flush=True)
        return 0
    task = config.parse_task(read_json(args.task, "task"))
    if args.command == "prepare":
        from .recipe import prepare
        recipe = config.parse_recipe(read_json(args.recipe, "recipe"))
        t = time.time()
        stats = prepare(task, recipe, args.out, args.cache)
        print(f"prepare {task['name']}: {stats['num_examples']} training examples, validation "
              f"{stats['validation']['num_examples']} ({stats['validation']['from']}), test {stats['test']['num_examples']}, "
              f"dropped {stats['dropped']} in {time.time() - t:.1f}s -> {args.out}", flush=True)
    elif args.command == "train":
        cfg = config.parse_train(read_json(args.config, "config"))
        require_train_data(args.data)
        _require_ml_packages(cfg["finetuning"])
        from .hf_train import train
        train(task, cfg, args.data, args.out, args.init_adapter)
    elif args.command == "evaluate":
        _require_ml_packages("full")
        from .evaluate import evaluate
        m = evaluate(task, args.ckpt, args.data, args.out, args.predictions)
        name = m["metric"]
        test = f" test {name}={m['test'][name]}" if "test" in m else ""
        print(f"evaluate {task['name']}: validation {name}={m['validation'][name]}{test} ({m['generator']}, "
              f"{m['seconds']}s)", flush=True)
    elif args.command == "lm-eval":
        from .lm_eval import run_lm_eval
        m = run_lm_eval(task, _command(args), args.results, args.out, args.predictions)
        print(f"lm-eval {task['name']}: validation {m['metric']}={m['validation'][m['metric']]}", flush=True)
    return 0


def _require_ml_packages(finetuning):
    from trex_protocol.errors import InputError
    missing = []
    for name in ("torch", "transformers") + (("peft",) if finetuning in ("lora", "qlora") else ()):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise InputError("framework", f"the training machine's python ({sys.executable}) lacks {', '.join(missing)}; "
                                      f"pip install {' '.join(missing)}")


def main(argv):
    return run_command("trex_llm", _parser(), run, argv)
