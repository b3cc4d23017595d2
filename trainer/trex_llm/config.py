"""Validation of the engine's JSON inputs (task.json, recipe.json, the rendered
train config). Every problem raises InputError naming the field, e.g.
`filters[1].kind`, so the CLI exits 2 with one clear line."""
from trex_protocol.errors import InputError
from trex_protocol.fields import choice, get, number, present

SOURCE_KINDS = ("hf", "file", "synthetic")
FILTER_KINDS = ("dedup", "near_dedup", "length", "language", "quality", "script")
BUILTIN_METRICS = ("accuracy", "exact_match", "f1", "macro_f1", "micro_f1", "rouge1", "rouge2", "rougeL")
ANSWER_KINDS = ("text", "label", "labels", "choice", "sequence", "number")
EVAL_KINDS = ("builtin", "lm_eval", "script")
GENERATORS = ("auto", "vllm", "transformers")


def parse_source(src, field, default_name):
    """One data source: a recipe source or a task's fixed validation/test set."""
    if not isinstance(src, dict):
        raise InputError(field, "must be an object")
    kind = get(src, "kind", f"{field}.kind", str, required=True)
    if kind == "generator":
        raise InputError(f"{field}.kind", "generator sources belong to micro tasks; use hf, file or synthetic")
    if kind not in SOURCE_KINDS:
        raise InputError(f"{field}.kind", f"unknown source kind {kind!r}; use one of {list(SOURCE_KINDS)}")
    parsed = {
        "name": get(src, "name", f"{field}.name", str, default_name),
        "kind": kind,
        "dataset": get(src, "dataset", f"{field}.dataset", str),
        "subset": get(src, "subset", f"{field}.subset", str),
        "split": get(src, "split", f"{field}.split", str, "train"),
        "path": get(src, "path", f"{field}.path", str),
        "num_examples": number(src, "num_examples", f"{field}.num_examples", None, lo=1),
        "weight": float(number(src, "weight", f"{field}.weight", 1.0, lo=0)),
        "params": get(src, "params", f"{field}.params", dict, {}),
        "prompt": get(src, "prompt", f"{field}.prompt", str),
        "field": field,
    }
    if kind == "hf" and not parsed["dataset"]:
        raise InputError(f"{field}.dataset", "is required for kind hf (a Hugging Face dataset id)")
    if kind == "file" and not parsed["path"]:
        raise InputError(f"{field}.path", "is required for kind file (a local path or an http(s) URL)")
    if kind == "synthetic" and not (parsed["prompt"] or parsed["path"]):
        raise InputError(f"{field}.prompt", "is required for kind synthetic (or a path to data generated before)")
    _check_mapping(parsed["params"].get("mapping"), f"{field}.params.mapping")
    values = parsed["params"].get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise InputError(f"{field}.params.values", "must map a field name to {raw value: text}")
    return parsed


def _check_mapping(mapping, field):
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise InputError(field, "must be an object")
    for key, value in mapping.items():
        if key not in ("prompt", "response", "system", "rejected"):
            raise InputError(f"{field}.{key}", "unknown key; use prompt, response, system or rejected")
        if not isinstance(value, str) or not value:
            raise InputError(f"{field}.{key}", "must be a field name or a template like 'Review: {sentence}'")
    return mapping


def parse_task(doc):
    get(doc, "name", "name", str, required=True)
    base_model = get(doc, "base_model", "base_model", str, required=True)
    task = get(doc, "task", "task", dict, required=True)
    kind = get(task, "kind", "task.kind", str, required=True)
    if kind != "llm":
        raise InputError("task.kind", f"this runner handles 'llm' tasks, got {kind!r} (micro tasks use trex_micro.py)")
    metric = get(doc, "metric", "metric", dict, required=True)
    metric_name = get(metric, "name", "metric.name", str, required=True)
    ev = get(doc, "evaluation", "evaluation", dict, {})
    eval_kind = choice(ev, "kind", "evaluation.kind", EVAL_KINDS, "builtin")
    if eval_kind == "builtin" and metric_name not in BUILTIN_METRICS:
        raise InputError("metric.name", f"built-in evaluation computes {list(BUILTIN_METRICS)}; "
                                        f"for {metric_name!r} use evaluation.kind script or lm_eval")
    eval_data = get(task, "eval_data", "task.eval_data", dict, {})
    sets = {}
    for split in ("validation", "test"):
        if eval_data.get(split) is not None:
            sets[split] = parse_source(eval_data[split], f"task.eval_data.{split}", split)
    answer = get(task, "answer", "task.answer", dict, {})
    answer_kind = choice(answer, "kind", "task.answer.kind", ANSWER_KINDS, "text")
    labels = get(answer, "labels", "task.answer.labels", list, [])
    if answer_kind in ("label", "labels") and not labels:
        raise InputError("task.answer.labels", f"is required for answer kind {answer_kind!r}")
    return {
        "name": doc["name"],
        "base_model": base_model,
        "system": get(task, "system", "task.system", str),
        "eval_sets": sets,
        "eval_mapping": _check_mapping(eval_data.get("mapping"), "task.eval_data.mapping"),
        "eval_params": get(eval_data, "params", "task.eval_data.params", dict, {}),
        "answer": {
            "kind": answer_kind,
            "labels": [str(x) for x in labels],
            "choices": [str(x) for x in get(answer, "choices", "task.answer.choices", list, ["A", "B", "C", "D"])],
        },
        "metric": metric_name,
        "goal": get(metric, "goal", "metric.goal", str, "maximize"),
        "eval_kind": eval_kind,
        "validation_size": int(number(ev, "validation_size", "evaluation.validation_size", 500, lo=1)),
        "test_size": int(number(ev, "test_size", "evaluation.test_size", 1000, lo=1)),
        "seed": int(number(ev, "seed", "evaluation.seed", 1234)),
        "max_new_tokens": int(number(ev, "max_new_tokens", "evaluation.max_new_tokens", 64, lo=1, hi=32768)),
        "batch_size": int(number(ev, "batch_size", "evaluation.batch_size", 16, lo=1, hi=4096)),
        "generator": choice(ev, "generator", "evaluation.generator", GENERATORS, "auto"),
        "script": _parse_script(ev.get("script")),
        "lm_eval": get(ev, "lm_eval", "evaluation.lm_eval", dict, {}),
    }


def _parse_script(script):
    if script is None:
        return None
    if not isinstance(script, dict):
        raise InputError("evaluation.script", "must be an object {command, files}")
    command = get(script, "command", "evaluation.script.command", str, required=True)
    if "{predictions}" not in command or "{out}" not in command:
        raise InputError("evaluation.script.command", "must contain {predictions} and {out} placeholders")
    return {"command": command}


def parse_recipe(doc):
    sources = get(doc, "sources", "sources", list, required=True)
    if not sources:
        raise InputError("sources", "needs at least one source")
    parsed_sources = [parse_source(s, f"sources[{i}]", f"source{i}") for i, s in enumerate(sources)]
    names = [s["name"] for s in parsed_sources]
    if len(set(names)) != len(names):
        raise InputError("sources", f"source names must be unique, got {names}")
    filters = get(doc, "filters", "filters", list, [])
    for i, flt in enumerate(filters):
        _check_filter(flt, f"filters[{i}]")
    fmt = get(doc, "format", "format", dict, {})
    template = get(fmt, "template", "format.template", str, "chat")
    from .templates import check_template
    check_template(template, "format.template")
    mixing = get(doc, "mixing", "mixing", dict, {})
    split = get(doc, "split", "split", dict, {})
    aug = get(doc, "augmentation", "augmentation", dict, {})
    if aug.get("paraphrase"):
        raise InputError("augmentation.paraphrase", "is a micro-task feature; for LLM tasks add a synthetic source")
    return {
        "sources": parsed_sources,
        "mapping": _check_mapping(doc.get("mapping"), "mapping"),
        "template": template,
        "filters": filters,
        "total": number(mixing, "total", "mixing.total", None, lo=1),
        "validation_fraction": float(number(split, "validation", "split.validation", 0.1, lo=0, hi=0.5)),
        "seed": int(number(doc, "seed", "seed", 0)),
    }


def _check_filter(flt, field):
    kind = get(flt, "kind", f"{field}.kind", str, required=True)
    if kind not in FILTER_KINDS:
        hint = " (label_agreement is a micro-task filter)" if kind == "label_agreement" else ""
        raise InputError(f"{field}.kind", f"unknown filter {kind!r}{hint}; use one of {list(FILTER_KINDS)}")
    if kind == "length":
        lo = number(flt, "min_chars", f"{field}.min_chars", None, lo=0)
        hi = number(flt, "max_chars", f"{field}.max_chars", None, lo=1)
        tok = number(flt, "max_tokens", f"{field}.max_tokens", None, lo=1)
        if lo is None and hi is None and tok is None:
            raise InputError(field, "a length filter needs min_chars, max_chars or max_tokens")
    elif kind == "near_dedup":
        number(flt, "threshold", f"{field}.threshold", None, lo=0, hi=1)
    elif kind == "language":
        langs = get(flt, "languages", f"{field}.languages", list, required=True)
        if not langs or not all(isinstance(x, str) for x in langs):
            raise InputError(f"{field}.languages", "must list language codes, e.g. [en, zh]")
    elif kind == "quality":
        number(flt, "min_score", f"{field}.min_score", None)
        get(flt, "field", f"{field}.field", str)
    elif kind == "script":
        from .script_step import parse_step
        parse_step(flt, field)


def parse_train(doc):
    """The train config rendered for the built-in Hugging Face script (run/hf/train.json). The engine
    resolves train.yaml once and writes every field, so each one is required here: a missing field
    means a config from elsewhere, not a gap to fill with a default of our own."""
    framework = get(doc, "framework", "framework", str, required=True)
    if framework != "hf":
        raise InputError("framework", f"the built-in script trains framework 'hf', got {framework!r}")
    lora = get(doc, "lora", "lora", dict, required=True)
    max_steps = number(doc, "max_steps", "max_steps", lo=1) if present(doc, "max_steps", "max_steps") is not None else None
    eval_steps = number(doc, "eval_steps", "eval_steps", lo=1) if present(doc, "eval_steps", "eval_steps") is not None else None
    return {
        "base_model": get(doc, "base_model", "base_model", str, required=True),
        "method": choice(doc, "method", "method", ("sft", "dpo"), required=True),
        "finetuning": choice(doc, "finetuning", "finetuning", ("full", "lora", "qlora"), required=True),
        "learning_rate": float(number(doc, "learning_rate", "learning_rate", required=True, lo=0, hi=1)),
        "epochs": float(number(doc, "epochs", "epochs", required=True, lo=0.001)),
        "max_steps": int(max_steps) if max_steps is not None else None,
        "batch_size": int(number(doc, "batch_size", "batch_size", required=True, lo=1)),
        "gradient_accumulation_steps": int(number(doc, "gradient_accumulation_steps", "gradient_accumulation_steps", required=True, lo=1)),
        "gradient_checkpointing": bool(get(doc, "gradient_checkpointing", "gradient_checkpointing", bool, required=True)),
        "lora_rank": int(number(lora, "rank", "lora.rank", required=True, lo=1)),
        "lora_alpha": float(number(lora, "alpha", "lora.alpha", required=True, lo=0)),
        "lora_dropout": float(number(lora, "dropout", "lora.dropout", required=True, lo=0, hi=1)),
        "lora_target": get(lora, "target", "lora.target", str, required=True),
        "warmup_ratio": float(number(doc, "warmup_ratio", "warmup_ratio", required=True, lo=0, hi=1)),
        "weight_decay": float(number(doc, "weight_decay", "weight_decay", required=True, lo=0)),
        "lr_scheduler": choice(doc, "lr_scheduler", "lr_scheduler", ("cosine", "linear", "constant"), required=True),
        "max_seq_len": int(number(doc, "max_seq_len", "max_seq_len", required=True, lo=8)),
        "precision": choice(doc, "precision", "precision", ("fp32", "bf16", "fp16"), required=True),
        "dpo_beta": float(number(doc, "dpo_beta", "dpo_beta", required=True, lo=0)),
        "seed": int(number(doc, "seed", "seed", required=True)),
        "report_to": choice(doc, "report_to", "report_to", ("none", "tensorboard"), required=True),
        "tensorboard_dir": _tensorboard_dir(doc),
        "eval_steps": int(eval_steps) if eval_steps is not None else None,
        # Not a train.yaml field: a knob for tests and hand-run configs (default: 20 log lines a run).
        "logging_steps": number(doc, "logging_steps", "logging_steps", None, lo=1),
        "notes": [str(n) for n in get(doc, "notes", "notes", list, required=True)],
    }


def _tensorboard_dir(doc):
    """Where report_to tensorboard writes: a folder when it is on, null when it is off."""
    if "tensorboard_dir" not in doc:
        raise InputError("tensorboard_dir", "is required (null when report_to is none)")
    value = doc["tensorboard_dir"]
    if doc.get("report_to") == "tensorboard" and not (isinstance(value, str) and value):
        raise InputError("tensorboard_dir", "must name a folder when report_to is tensorboard")
    if doc.get("report_to") == "none" and value is not None:
        raise InputError("tensorboard_dir", "must be null when report_to is none")
    return value
