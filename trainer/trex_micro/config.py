"""Validation of the engine's JSON inputs. Every problem raises InputError
naming the offending field (e.g. `filters[1].kind`) so the CLI exits 2."""
from trex_protocol.errors import InputError
from trex_protocol.fields import choice, get, number, present
from .tasks import get_task

FILTER_KINDS = ("dedup", "length", "label_agreement")
SCHEDULERS = ("cosine", "linear", "constant")


def parse_task(doc):
    """task.json -> normalized dict with the Task object under 'impl'."""
    get(doc, "name", "name", str, required=True)
    task = get(doc, "task", "task", dict, required=True)
    if get(task, "kind", "task.kind", str, required=True) != "micro":
        raise InputError("task.kind", f"only 'micro' is supported, got {task['kind']!r}")
    impl = get_task(get(task, "generator", "task.generator", str, required=True))
    metric = get(doc, "metric", "metric", dict, required=True)
    metric_name = get(metric, "name", "metric.name", str, required=True)
    if metric_name not in ("exact_match", "accuracy"):
        raise InputError("metric.name", f"unsupported metric {metric_name!r} (use exact_match or accuracy)")
    ev = get(doc, "evaluation", "evaluation", dict, default={})
    return {
        "name": doc["name"],
        "base_model": get(doc, "base_model", "base_model", str, default="micro-gpt"),
        "impl": impl,
        "metric": metric_name,
        "validation_size": int(number(ev, "validation_size", "evaluation.validation_size", 200, lo=1, hi=5000)),
        "test_size": int(number(ev, "test_size", "evaluation.test_size", 300, lo=0, hi=5000)),
        "seed": int(number(ev, "seed", "evaluation.seed", 1234)),
    }


def parse_recipe(doc, task):
    impl = task["impl"]
    sources = get(doc, "sources", "sources", list, required=True)
    if not sources:
        raise InputError("sources", "needs at least one source")
    parsed_sources = []
    for i, src in enumerate(sources):
        f = f"sources[{i}]"
        if not isinstance(src, dict):
            raise InputError(f, "must be an object")
        kind = get(src, "kind", f"{f}.kind", str, default="generator")
        if kind != "generator":
            raise InputError(f"{f}.kind", f"only 'generator' sources are supported, got {kind!r}")
        gen = get_task(get(src, "generator", f"{f}.generator", str, default=impl.name), f"{f}.generator")
        if gen is not impl:
            raise InputError(f"{f}.generator", f"must match the task generator {impl.name!r}")
        params = get(src, "params", f"{f}.params", dict, default={})
        impl.check_params(params, f"{f}.params")
        parsed_sources.append({
            "name": get(src, "name", f"{f}.name", str, default=f"source{i}"),
            "num_examples": int(number(src, "num_examples", f"{f}.num_examples", required=True, lo=1, hi=200000)),
            "weight": float(number(src, "weight", f"{f}.weight", 1.0, lo=0)),
            "params": params,
        })
    fmt = get(doc, "format", "format", dict, default={})
    template = get(fmt, "template", "format.template", str, default="plain")
    if template not in impl.templates:
        raise InputError("format.template", f"unknown template {template!r} for {impl.name}; use one of {list(impl.templates)}")
    filters = get(doc, "filters", "filters", list, default=[])
    for i, flt in enumerate(filters):
        f = f"filters[{i}]"
        if not isinstance(flt, dict):
            raise InputError(f, "must be an object")
        kind = get(flt, "kind", f"{f}.kind", str, required=True)
        if kind not in FILTER_KINDS:
            raise InputError(f"{f}.kind", f"unknown filter {kind!r}; use one of {list(FILTER_KINDS)}")
        if kind == "length":
            number(flt, "max_chars", f"{f}.max_chars", required=True, lo=1)
        if kind == "label_agreement":
            if not impl.has_lexicon:
                raise InputError(f"{f}.kind", f"label_agreement is not available for task {impl.name}")
            number(flt, "min_agreement", f"{f}.min_agreement", 0.5, lo=0, hi=1)
    aug = get(doc, "augmentation", "augmentation", dict, default={})
    mixing = get(doc, "mixing", "mixing", dict, default={})
    return {
        "sources": parsed_sources,
        "template": template,
        "filters": filters,
        "paraphrase": bool(get(aug, "paraphrase", "augmentation.paraphrase", bool, default=False)),
        "total": number(mixing, "total", "mixing.total", None, lo=1, hi=200000),
        "seed": int(number(doc, "seed", "seed", 0)),
    }


def parse_train(doc):
    """run/train.json: train.yaml as the engine resolved it, every field written, so each field this
    trainer uses is required (a missing one is named) rather than defaulted a second time."""
    framework = get(doc, "framework", "framework", str, required=True)
    if framework != "micro":
        raise InputError("framework", f"this trainer only runs 'micro', got {framework!r}")
    method = get(doc, "method", "method", str, required=True)
    if method != "sft":
        raise InputError("method", f"only 'sft' is supported, got {method!r}")
    finetuning = get(doc, "finetuning", "finetuning", str, required=True)
    if finetuning not in ("full", "lora"):
        raise InputError("finetuning", f"must be 'full' or 'lora', got {finetuning!r}")
    lora = get(doc, "lora", "lora", dict, required=True)
    steps = number(doc, "max_steps", "max_steps", lo=1, hi=100000) if present(doc, "max_steps", "max_steps") is not None else None
    return {
        "finetuning": finetuning,
        "learning_rate": float(number(doc, "learning_rate", "learning_rate", required=True, lo=0, hi=10)),
        "epochs": float(number(doc, "epochs", "epochs", required=True, lo=0.01, hi=1000)),
        "max_steps": int(steps) if steps is not None else None,
        "batch_size": int(number(doc, "batch_size", "batch_size", required=True, lo=1, hi=4096)),
        "lora_rank": int(number(lora, "rank", "lora.rank", required=True, lo=1, hi=256)),
        "lora_alpha": float(number(lora, "alpha", "lora.alpha", required=True, lo=0)),
        "lora_dropout": float(number(lora, "dropout", "lora.dropout", required=True, lo=0, hi=0.9)),
        "warmup_ratio": float(number(doc, "warmup_ratio", "warmup_ratio", required=True, lo=0, hi=1)),
        "weight_decay": float(number(doc, "weight_decay", "weight_decay", required=True, lo=0)),
        "lr_scheduler": choice(doc, "lr_scheduler", "lr_scheduler", SCHEDULERS, required=True),
        "max_seq_len": int(number(doc, "max_seq_len", "max_seq_len", required=True, lo=8, hi=128)),
        "seed": int(number(doc, "seed", "seed", required=True)),
        "eval_steps": _eval_steps(doc),
    }


def _eval_steps(doc):
    """Steps between evaluations during training; null (written, never left out): none."""
    if present(doc, "eval_steps", "eval_steps") is None:
        return None
    return int(number(doc, "eval_steps", "eval_steps", lo=1, hi=100000))
