"""Command line: prepare | train | evaluate | launch | lm-eval (see README.md).
Bad input exits 2 with the field named; any other failure exits 1."""
import argparse
import os
import sys
import time


def _parser():
    p = argparse.ArgumentParser(prog="trex_llm.py", description="TREX LLM runner (data recipes, training, evaluation)")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("prepare", help="run a data recipe into a data dir")
    s.add_argument("--task", required=True)
    s.add_argument("--recipe", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--cache", default=os.environ.get("TREX_CACHE", os.path.expanduser("~/.cache/trex")))
    s = sub.add_parser("train", help="fine-tune with the built-in Hugging Face script")
    s.add_argument("--task", required=True)
    s.add_argument("--config", required=True, help="the rendered run/hf/train.json")
    s.add_argument("--data", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--init-adapter", default=None, help="a parent's LoRA adapter folder to continue (warm start)")
    s = sub.add_parser("evaluate", help="generate and score on the prepared validation and test sets")
    s.add_argument("--task", required=True)
    s.add_argument("--ckpt", required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--predictions", default=None)
    s = sub.add_parser("launch", help="run LLaMA-Factory or TRL with live progress")
    s.add_argument("--framework", required=True, choices=("llamafactory", "trl"))
    s.add_argument("--out", required=True, help="the trainer's output dir")
    s.add_argument("--note", action="append", default=[])
    s.add_argument("--logging-steps", type=int, default=1)
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    s = sub.add_parser("lm-eval", help="run lm-evaluation-harness and convert its results")
    s.add_argument("--task", required=True)
    s.add_argument("--results", required=True, help="lm-eval --output_path")
    s.add_argument("--out", required=True)
    s.add_argument("--predictions", default=None)
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    return p


def _command(args):
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        from .errors import InputError
        raise InputError("cmd", "give the command after --")
    return cmd


def run(args):
    from .files import read_json
    from . import config

    if args.command == "launch":
        from .launch import launch
        return launch(args.framework, args.out, _command(args), args.note, args.logging_steps)
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
        if not os.path.exists(os.path.join(args.data, "train.jsonl")):
            from .errors import InputError
            raise InputError("data", f"no train.jsonl in {args.data}")
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
    from .errors import InputError
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
    from .errors import InputError
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except InputError as e:
        print(f"trex_llm {args.command}: invalid input: {e}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print(f"trex_llm {args.command}: interrupted", file=sys.stderr, flush=True)
        return 130
    except Exception as e:  # one clear line for the engine; TREX_DEBUG=1 for the traceback
        print(f"trex_llm {args.command}: error: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        if os.environ.get("TREX_DEBUG"):
            raise
        return 1
