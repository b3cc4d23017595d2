"""`launch`: runs an external trainer (LLaMA-Factory's `llamafactory-cli
train`, TRL's `trl sft|dpo`) and makes its progress look like ours:
LLaMA-Factory writes <out>/trainer_log.jsonl, which is tailed into
TREX_PROGRESS lines; TRL only prints Trainer log dicts
(`{'loss': 1.2, 'epoch': 0.5}`, Python reprs, not JSON), which are parsed into
trainer_log.jsonl + progress, and into trainer_state.json / all_results.json
at the end when TRL did not write them. Exits with the trainer's exit code."""
import ast
import json
import os
import shutil
import subprocess
import sys
import threading
import time

from trex_protocol.errors import InputError
from trex_protocol.files import fresh_dir, write_json_atomic, write_jsonl_atomic
from trex_protocol.progress import TrainerLog, print_evaluation, print_progress

KNOWN_TOOLS = {"llamafactory-cli": "llamafactory", "trl": "trl", "accelerate": "accelerate", "torchrun": "torch"}
TAIL_INTERVAL_S = 1.0


def resolve_tool(name):
    """The CLI next to this python first (same venv), then PATH."""
    if os.sep in name:
        return name
    local = os.path.join(os.path.dirname(sys.executable), name)
    if os.access(local, os.X_OK):
        return local
    found = shutil.which(name)
    if not found:
        package = KNOWN_TOOLS.get(name, name)
        raise InputError("framework", f"{name} not found on the training machine; install it into the python TREX "
                                      f"uses ({sys.executable} -m pip install {package}) or pick another train.framework")
    return found


def parse_log_dict(line):
    """`{'loss': 1.23, 'grad_norm': ..., 'epoch': 0.5}` -> dict with numbers, else None."""
    line = line.strip()
    if not (line.startswith("{") and line.endswith("}") and "'" in line):
        return None
    try:
        value = ast.literal_eval(line)
    except (ValueError, SyntaxError):
        return None
    if not isinstance(value, dict):
        return None
    return {k: _number(v) for k, v in value.items()}


def _number(value):
    """transformers 5 prints the numbers formatted as strings ('0.2308')."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


class LogTail(threading.Thread):
    """Follows LLaMA-Factory's trainer_log.jsonl by byte offset, holding back a partial last line.
    A row with `eval_loss` (its evaluation during training) becomes an evaluation progress line."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.offset, self.partial = path, 0, ""
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            self.poll()
            self.stopped.wait(TAIL_INTERVAL_S)
        self.poll()

    def poll(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                f.seek(self.offset)
                chunk = f.read()
                self.offset = f.tell()
        except OSError:
            return
        lines = (self.partial + chunk).split("\n")
        self.partial = lines.pop()
        for line in lines:
            try:
                doc = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(doc, dict) or "current_steps" not in doc:
                continue
            if isinstance(doc.get("eval_loss"), (int, float)):  # an evaluation during training (eval_strategy: steps)
                print_evaluation(doc["current_steps"], doc.get("total_steps"), "loss", round(float(doc["eval_loss"]), 4))
            else:  # the last row has no loss but ends the count
                print_progress(doc["current_steps"], doc.get("total_steps"), doc.get("loss"), doc.get("epoch"))


def _installed_version(package):
    try:
        from importlib.metadata import version
        return version(package)
    except Exception:  # not installed: the tool fails with its own message
        return None


def _transformers_major():
    found = _installed_version("transformers")
    return int(found.split(".")[0]) if found else None


TRL_FLOOR = (0, 23)


def check_trl_version(found):
    """The rendered TRL config needs TRL >= 0.23: `dtype` was `torch_dtype` before (0.22 drops the key
    silently and loads the model in fp32) and `datasets:` mixtures need 0.22."""
    if found is None:
        return
    try:
        parts = tuple(int(p) for p in found.split(".")[:2])
    except ValueError:
        return  # a development build: let TRL speak for itself
    if parts < TRL_FLOOR:
        raise InputError("framework", f"TRL {found} is installed, but the rendered TRL config needs TRL >= "
                                      f"{'.'.join(map(str, TRL_FLOOR))} (`dtype` key, `datasets:` mixtures); "
                                      f"upgrade it ({sys.executable} -m pip install 'trl>=0.23') or pick another train.framework")


def _config_at(command):
    """Where the rendered config is in a TRL (`--config X`) or LLaMA-Factory (`train X.yaml`) command, or None."""
    i = command.index("--config") + 1 if "--config" in command else next(
        (k for k, a in enumerate(command) if a.endswith((".yaml", ".yml"))), None)
    return i if i is not None and i < len(command) else None


def _load_config(command, i):
    import yaml
    with open(command[i], encoding="utf-8") as f:
        return yaml.safe_load(f)


def _with_resolved(command, i, doc, comment=None):
    """`command` pointing at `doc` written as `<name>.resolved.yaml` next to the rendered config."""
    import yaml
    path = command[i]
    resolved = path if path.endswith(".resolved.yaml") else os.path.splitext(path)[0] + ".resolved.yaml"
    with open(resolved, "w", encoding="utf-8") as f:
        if comment:
            f.write(f"# {comment}\n")
        yaml.safe_dump(doc, f, sort_keys=False)
    return command[:i] + [resolved] + command[i + 1:], resolved


def adapt_trl_config(command):
    """The rendered TRL config says `warmup_ratio`, which transformers 5 deprecated (a float
    `warmup_steps` in [0, 1) is a ratio there) and later removed; TRL then forwards the unknown
    key to `accelerate launch`, which rejects it. On transformers >= 5 the config is rewritten
    next to the rendered one (`<name>.resolved.yaml`) with `warmup_steps` and the command points
    at that; on 4.x it runs as rendered."""
    if "--config" not in command or (_transformers_major() or 0) < 5:
        return command
    i = command.index("--config") + 1
    doc = _load_config(command, i)
    if not isinstance(doc, dict) or "warmup_ratio" not in doc:
        return command
    ratio = doc.pop("warmup_ratio")
    if ratio:
        doc["warmup_steps"] = float(ratio)
    name = os.path.basename(command[i])
    command, resolved = _with_resolved(command, i, doc, f"{name} for the installed transformers (>= 5): warmup_ratio -> warmup_steps")
    print(f"note: transformers >= 5 on this machine: warmup_ratio {ratio} passed as warmup_steps ({resolved})", flush=True)
    return command


def resolve_config_model(command):
    """A reserved base_model (hf_models.TINY_MODEL) in the rendered TRL / LLaMA-Factory config
    becomes the local folder it names, in `<name>.resolved.yaml` next to the rendered one."""
    i = _config_at(command)
    if i is None:
        return command
    from .hf_models import resolve_base_model
    doc = _load_config(command, i)
    name = doc.get("model_name_or_path") if isinstance(doc, dict) else None
    if not isinstance(name, str) or resolve_base_model(name) == name:
        return command
    doc["model_name_or_path"] = resolve_base_model(name)
    command, resolved = _with_resolved(command, i, doc)
    print(f"note: base_model {name} is {doc['model_name_or_path']} ({resolved})", flush=True)
    return command


# The keys of a rendered config that turn on evaluation during training (TRL's and LLaMA-Factory's).
EVAL_KEYS = ("eval_dataset", "eval_strategy", "eval_steps", "per_device_eval_batch_size")


def set_up_evaluation(framework, command, eval_data, eval_rows, via_compat):
    """Writes the validation examples the framework evaluates on during training (train_progress.py:
    the first EVAL_ROWS of `eval_data` with a text answer, shaped like training rows) to `eval_rows`,
    which LLaMA-Factory's dataset_info.json names and trl_compat.py takes as TRL's eval set. With
    no such example, or a TRL outside this python (its script cannot take the file), the config's
    evaluation keys are dropped, with a note, and the run trains without evaluations."""
    from .train_progress import eval_chat_rows
    rows = eval_chat_rows(eval_data)
    if rows and (framework == "llamafactory" or via_compat):
        write_jsonl_atomic(eval_rows, rows)
        return command + (["--trex_eval_data", eval_rows] if framework == "trl" else [])
    why = f"{eval_data} has no example with a text answer" if not rows else f"{command[0]} is not TRL beside {sys.executable}"
    print(f"note: no evaluations during training: {why}", flush=True)
    i = _config_at(command)
    doc = _load_config(command, i) if i is not None else None
    if not isinstance(doc, dict):
        return command
    return _with_resolved(command, i, {k: v for k, v in doc.items() if k not in EVAL_KEYS}, f"without evaluations during training ({why})")[0]


def launch(framework, out_dir, command, notes, logging_steps, eval_data=None, eval_rows=None):
    """`eval_data`: the prepared validation.jsonl, when the rendered config evaluates during training;
    `eval_rows`: where the examples it evaluates on are written (set_up_evaluation)."""
    for note in notes:
        print(f"note: {note}", flush=True)
    command = [resolve_tool(command[0])] + command[1:]
    if framework == "trl":
        command = adapt_trl_config(command)
    command = resolve_config_model(command)
    via_compat = False
    if framework == "trl":
        if os.path.basename(command[0]) == "trl" and os.path.dirname(command[0]) == os.path.dirname(sys.executable):
            via_compat = True
            check_trl_version(_installed_version("trl"))
            # TRL's CLI in this python's environment: its scripts run under `accelerate launch` through
            # trl_compat.py, which fixes TRL <= 0.24 on transformers 5 in every process and hands
            # --num_processes to accelerate itself (`trl dpo` ignores it up to TRL 0.28).
            command = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "trl_compat.py")] + command[1:]
        elif "--trex_init_adapter" in command:
            raise InputError("framework", f"a warm start runs TRL through trl_compat.py, which needs TRL installed beside "
                                          f"{sys.executable}; {command[0]} is elsewhere")
    if eval_data:
        command = set_up_evaluation(framework, command, eval_data, eval_rows, via_compat)
    os.makedirs(out_dir, exist_ok=True)
    if os.environ.get("TENSORBOARD_LOGGING_DIR"):
        fresh_dir(os.environ["TENSORBOARD_LOGGING_DIR"])  # a re-run's event files replace the last run's
    log_path = os.path.join(out_dir, "trainer_log.jsonl")
    if os.path.exists(log_path):
        os.remove(log_path)  # a re-run starts a fresh log
    tail = LogTail(log_path) if framework == "llamafactory" else None
    own_log = None if tail else TrainerLog(out_dir)
    history, final = [], {}
    if tail:
        tail.start()
    print(f"launch {framework}: {' '.join(command)}", flush=True)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if own_log is None:
            continue
        doc = parse_log_dict(line)
        if doc and "loss" in doc:
            step = (len(history) + 1) * logging_steps
            own_log.step(step, None, doc["loss"], doc.get("learning_rate"), doc.get("epoch"))
            history.append(dict(doc, step=step))
        elif doc and "train_runtime" in doc:
            final = doc
    code = proc.wait()
    if tail:
        tail.stopped.set()
        tail.join()
    if own_log:
        own_log.close()
        if code == 0:
            _write_missing_results(out_dir, history, final)
    return code


def _write_missing_results(out_dir, history, final):
    if final and not os.path.exists(os.path.join(out_dir, "all_results.json")):
        write_json_atomic(os.path.join(out_dir, "train_results.json"), final)
        write_json_atomic(os.path.join(out_dir, "all_results.json"), final)
    if not os.path.exists(os.path.join(out_dir, "trainer_state.json")):
        steps = history[-1]["step"] if history else 0
        write_json_atomic(os.path.join(out_dir, "trainer_state.json"), {
            "global_step": steps, "epoch": history[-1].get("epoch") if history else None,
            "log_history": history + ([dict(final, step=steps)] if final else []), "written_by": "trex launch",
            "time": time.strftime("%Y-%m-%dT%H:%M:%S")})
