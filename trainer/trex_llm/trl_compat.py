"""Runs TRL's training scripts (`trl sft|dpo ...`) under `accelerate launch`,
with a fix for TRL <= 0.24 under transformers >= 5 in every process.

TRL 0.24 (the newest LLaMA-Factory 0.9.5 allows) reads optional packages with
transformers' `_is_package_available(name)`, which transformers 5 changed to
return a `(available, version)` tuple: every optional package then counts as
installed and TRL dies importing `mergekit`; its DPO trainer also writes to
`model.warnings_issued`, which transformers 5 removed. TRL's own CLI starts the training
script in child processes (`accelerate launch trl/scripts/<method>.py`), where
a fix made in the parent is gone; so the parent here launches this file as the
training script, and each child fixes the function, then runs TRL's script.
This also passes `--num_processes` to accelerate itself: `trl dpo` ignores it
up to TRL 0.28. `--trex_init_adapter DIR` (a warm start) makes the run continue
the LoRA adapter in DIR instead of a fresh one: TRL's scripts have no option for
that, so each child hands TRL's trainer that adapter, loaded trainable, as the
model, and no peft_config (TRL's documented way to train an existing PeftModel).
`--trex_eval_data FILE` (the launcher's validation examples) is the eval set of a
config with `eval_strategy: steps`, and each evaluation's loss is reported as
progress (train_progress.py).
    python3 trl_compat.py dpo --config dpo.yaml --num_processes 2     (parent)
    python3 trl_compat.py --run dpo --config dpo.yaml                 (each child)"""
import os
import runpy
import sys

METHODS = ("sft", "dpo")
# Options of `accelerate launch` that the rendered commands may carry (each with one value).
LAUNCH_OPTIONS = ("--num_processes", "--config_file", "--main_process_port")
INIT_ADAPTER = "--trex_init_adapter"
EVAL_DATA = "--trex_eval_data"
TRAINERS = {"sft": "SFTTrainer", "dpo": "DPOTrainer"}


def patch():
    from transformers.utils import import_utils

    original = import_utils._is_package_available

    def is_available(name, return_version=False, *args, **kwargs):
        found = original(name, return_version, *args, **kwargs) if return_version else original(name, *args, **kwargs)
        if not return_version and isinstance(found, tuple):
            return found[0]
        return found

    # Only TRL's module sees the bool version (it binds the name at import); transformers'
    # own callers index the tuple, so the original goes back at once.
    import_utils._is_package_available = is_available
    try:
        import trl.import_utils  # noqa: F401
    finally:
        import_utils._is_package_available = original


def add_warnings_issued():
    """TRL <= 0.24's DPO trainer marks `model.warnings_issued["estimate_tokens"]`, a dict transformers 5
    no longer gives models: each model gets its own empty one again on first use."""
    from transformers import PreTrainedModel
    if hasattr(PreTrainedModel, "warnings_issued"):
        return

    def warnings_issued(self):
        return self.__dict__.setdefault("_warnings_issued", {})
    PreTrainedModel.warnings_issued = property(warnings_issued)


def continue_adapter(method, adapter_dir):
    """TRL's trainer for `method`, as the script imports it from `trl`, replaced by one that trains the
    adapter in `adapter_dir` (loaded trainable onto the script's base model) instead of a fresh
    LoRA from the script's peft_config. DPO's reference stays the base (the adapter switched off),
    since the script passes no ref_model when LoRA is on."""
    import trl
    from peft import PeftConfig, PeftModel
    saved = PeftConfig.from_pretrained(adapter_dir)
    base = getattr(trl, TRAINERS[method])

    class Continued(base):
        def __init__(self, model, *args, peft_config=None, **kwargs):
            if peft_config is None:
                raise SystemExit(f"trl_compat: {INIT_ADAPTER} continues a LoRA adapter; the config has no use_peft")
            if getattr(peft_config, "r", None) != getattr(saved, "r", None):
                raise SystemExit(f"trl_compat: the adapter in {adapter_dir} has rank {getattr(saved, 'r', None)}, "
                                 f"the config asks for lora_r {getattr(peft_config, 'r', None)}")
            model = PeftModel.from_pretrained(model, adapter_dir, is_trainable=True)
            print(f"note: warm start: continuing the adapter in {adapter_dir}", flush=True)
            super().__init__(model, *args, peft_config=None, **kwargs)

    Continued.__name__ = base.__name__
    setattr(trl, TRAINERS[method], Continued)


def evaluate_on(method, rows_path):
    """TRL's scripts evaluate on their dataset's "test" split, and a `datasets:` list has no place for
    a separate eval file: get_dataset, as the script imports it from `trl`, adds the rows in
    `rows_path` as that split, and TRL's trainer for `method` reports each evaluation's loss through
    TREX's progress callback (the launcher logs the training steps from TRL's printed dicts)."""
    import datasets
    import trl
    from trex_llm.train_progress import progress_callback
    from trex_protocol.files import read_jsonl
    load, base = trl.get_dataset, getattr(trl, TRAINERS[method])

    def get_dataset(mixture):
        found = load(mixture)
        found["test"] = datasets.Dataset.from_list(read_jsonl(rows_path)).select_columns(["prompt", "completion"])
        return found

    class Evaluated(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.add_callback(progress_callback(self.args.output_dir, steps=False))

    Evaluated.__name__ = base.__name__
    trl.get_dataset = get_dataset
    setattr(trl, TRAINERS[method], Evaluated)


def pop_option(args, name):
    """(the value of option `name` or None, `args` without it)."""
    if name not in args:
        return None, list(args)
    i = args.index(name)
    if i + 1 >= len(args):
        raise SystemExit(f"trl_compat: {name} needs a value")
    return args[i + 1], list(args[:i]) + list(args[i + 2:])


def split_launch_args(args):
    """`dpo --config x.yaml --num_processes 2` -> (method, accelerate args, script args)."""
    if not args or args[0] not in METHODS:
        raise SystemExit(f"trl_compat: expected one of {', '.join(METHODS)} first, got {args[:1]}")
    launch, script, rest = [], [], list(args[1:])
    while rest:
        arg = rest.pop(0)
        if arg in LAUNCH_OPTIONS and rest:
            launch += [arg, rest.pop(0)]
        else:
            script.append(arg)
    return args[0], launch, script


def accelerate_argv(args):
    """The `accelerate launch` argument list that runs this file's child mode for `args`."""
    method, launch, script = split_launch_args(args)
    return launch + [os.path.abspath(__file__), "--run", method] + script


def seed_like_trainer(script_args):
    """TRL's trainers add the LoRA layers before transformers' Trainer seeds the RNGs, so a fresh
    adapter's initial weights were random from run to run: seed first, with the config's seed."""
    config, _ = pop_option(script_args, "--config")
    seed = 42  # TrainingArguments' default
    if config:
        import yaml
        with open(config) as f:
            seed = int((yaml.safe_load(f) or {}).get("seed", seed))
    from transformers import set_seed
    set_seed(seed)


def run_child(method, script_args):
    patch()
    add_warnings_issued()
    init_adapter, script_args = pop_option(script_args, INIT_ADAPTER)
    if init_adapter:
        continue_adapter(method, init_adapter)
    eval_data, script_args = pop_option(script_args, EVAL_DATA)
    if eval_data:
        evaluate_on(method, eval_data)
    seed_like_trainer(script_args)
    script = os.path.join(os.path.dirname(__import__("trl").__file__), "scripts", f"{method}.py")
    sys.argv = [script] + script_args
    runpy.run_path(script, run_name="__main__")


def main(argv):
    # This folder (sys.path[0] for a script) holds modules named like common ones (logs, files, ...).
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, os.path.dirname(here))  # trex_llm and trex_protocol as packages
    if argv[:1] == ["--run"]:
        method, _, script = split_launch_args(argv[1:])
        return run_child(method, script)
    from accelerate.commands.launch import launch_command, launch_command_parser
    launch_command(launch_command_parser().parse_args(accelerate_argv(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
