"""`evaluate`: generates answers for the validation and test sets prepared in
the data dir, reads the answers (answers.py), scores them (metrics.py) and/or
hands the predictions to a custom script, then writes metrics.json
`{"metric", "validation": {metric: x, "n"}, "test": {...}}` and one
predictions.jsonl line per example for bad-case analysis."""
import json
import os
import shlex
import subprocess
import tempfile
import time

from .answers import read_answer
from .config import BUILTIN_METRICS
from trex_protocol.errors import InputError
from trex_protocol.files import read_jsonl, write_json_atomic, write_jsonl_atomic
from .metrics import score_split

SPLITS = ("validation", "test")


def load_eval_sets(data_dir):
    sets = {}
    for split in SPLITS:
        path = os.path.join(data_dir, f"{split}.jsonl")
        if os.path.exists(path):
            rows = read_jsonl(path)
            if rows:
                sets[split] = rows
    if "validation" not in sets:
        raise InputError("data", f"no validation examples in {data_dir}: give the task eval_data.validation, "
                                 "or a recipe split.validation above 0")
    return sets


def score_predictions(task, sets, outputs):
    """outputs: {split: [raw model text]} -> (metrics by split, prediction rows)."""
    metric, answer = task["metric"], task["answer"]
    builtin = metric if metric in BUILTIN_METRICS else "exact_match"
    result, predictions = {}, []
    for split, rows in sets.items():
        preds = [read_answer(text, answer) for text in outputs[split]]
        refs = [read_answer(r["reference"], answer) for r in rows]
        scores, per_example = score_split(preds, refs, builtin, answer["labels"])
        result[split] = dict(scores, n=len(rows))
        for r, text, pred, ref, s in zip(rows, outputs[split], preds, refs, per_example):
            # source: bad-case slices by data source (eval data prepared before it was written has none).
            predictions.append({"split": split, "id": r["id"], "source": r.get("source"), "prompt": r["prompt_text"], "expected": ref,
                                "predicted": pred, "output": text, "score": round(s, 4), "correct": s >= 0.9999})
    return result, predictions


def run_script(command, split, predictions, field="evaluation.script.command"):
    """Runs the task's scoring script on one split's predictions -> {metric: value}."""
    with tempfile.TemporaryDirectory(prefix="trex-eval-") as tmp:
        pred_path, out_path = os.path.join(tmp, f"{split}.jsonl"), os.path.join(tmp, "metrics.json")
        write_jsonl_atomic(pred_path, [p for p in predictions if p["split"] == split])
        argv = [a.replace("{predictions}", pred_path).replace("{out}", out_path).replace("{split}", split)
                for a in shlex.split(command)]
        r = subprocess.run(argv, env=dict(os.environ, TREX_SPLIT=split))
        if r.returncode != 0:
            raise RuntimeError(f"the evaluation script exited with {r.returncode}: {command}")
        try:
            with open(out_path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise InputError(field, f"the script did not write a JSON object to {{out}}: {e}")
    if not isinstance(doc, dict):
        raise InputError(field, "the script must write a JSON object {metric: value}")
    return {k: v for k, v in doc.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def evaluate(task, ckpt_dir, data_dir, out_path, predictions_path):
    from .generate import generate
    if not os.path.isdir(ckpt_dir):
        raise InputError("ckpt", f"no checkpoint dir {ckpt_dir}")
    sets = load_eval_sets(data_dir)
    order = [(split, i) for split in sets for i in range(len(sets[split]))]
    start = time.time()
    texts, backend = generate(ckpt_dir, task["base_model"], [sets[s][i]["prompt"] for s, i in order],
                              task["max_new_tokens"], task["batch_size"], task["generator"])
    outputs = {split: [] for split in sets}
    for (split, _), text in zip(order, texts):
        outputs[split].append(text)
    result, predictions = score_predictions(task, sets, outputs)
    if task["script"]:
        for split in sets:
            result[split].update(run_script(task["script"]["command"], split, predictions))
    for split in sets:
        if task["metric"] not in result[split]:
            raise InputError("metric.name", f"no {task['metric']!r} for {split}: the script must write it")
    doc = {"metric": task["metric"], **result, "generator": backend, "seconds": round(time.time() - start, 1)}
    write_json_atomic(out_path, doc)
    if predictions_path:
        write_jsonl_atomic(predictions_path, predictions)
    return doc
