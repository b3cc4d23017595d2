"""`lm-eval`: runs an lm-evaluation-harness command (rendered by the engine)
and turns its output into metrics.json and predictions.jsonl.
lm-eval writes OUT/<model>/results_<date>.json with `results[task]["<metric>,<filter>"]`
and, with --log_samples, samples_<task>_<date>.jsonl. evaluation.lm_eval.tasks
give the validation score (their mean), test_tasks (optional) the test score."""
import fnmatch
import json
import os
import subprocess

from .config import get
from trex_protocol.errors import InputError
from trex_protocol.files import write_json_atomic, write_jsonl_atomic


def lm_eval_settings(task):
    cfg = task["lm_eval"]
    tasks = get(cfg, "tasks", "evaluation.lm_eval.tasks", list, required=True)
    if not tasks:
        raise InputError("evaluation.lm_eval.tasks", "needs at least one lm-eval task")
    return {"tasks": [str(t) for t in tasks],
            "test_tasks": [str(t) for t in get(cfg, "test_tasks", "evaluation.lm_eval.test_tasks", list, [])],
            "metric": get(cfg, "metric", "evaluation.lm_eval.metric", str, "acc,none")}


def _found(results_dir, pattern):
    # lm-eval names the sub-folder after the model path, so "./base" gives a hidden ".__base",
    # which glob's "**" skips (include_hidden needs Python 3.11; training hosts may be older).
    return [os.path.join(d, n) for d, _, names in os.walk(results_dir) for n in fnmatch.filter(names, pattern)]


def newest_results(results_dir):
    files = _found(results_dir, "results_*.json")
    if not files:
        raise RuntimeError(f"lm-eval wrote no results_*.json under {results_dir}")
    with open(max(files, key=os.path.getmtime), encoding="utf-8") as f:
        return json.load(f)


def metric_value(results, task_name, metric_key):
    entry = results.get("results", {}).get(task_name) or results.get("groups", {}).get(task_name)
    if entry is None:
        raise RuntimeError(f"lm-eval results have no task {task_name!r} (have {sorted(results.get('results', {}))})")
    if metric_key in entry:
        return float(entry[metric_key])
    base = metric_key.split(",", 1)[0]  # "acc,none" may be written "acc,strict-match" by another filter
    for key, value in entry.items():
        if key.split(",", 1)[0] == base and not key.startswith(base + "_stderr") and isinstance(value, (int, float)):
            return float(value)
    raise RuntimeError(f"lm-eval task {task_name!r} has no metric {metric_key!r} (have {sorted(entry)})")


def to_metrics(results, settings, metric_name):
    def mean(tasks):
        values = [metric_value(results, t, settings["metric"]) for t in tasks]
        return round(sum(values) / len(values), 4)
    doc = {"metric": metric_name, "validation": {metric_name: mean(settings["tasks"]), "tasks": settings["tasks"]}}
    if settings["test_tasks"]:
        doc["test"] = {metric_name: mean(settings["test_tasks"]), "tasks": settings["test_tasks"]}
    return doc


def sample_predictions(results_dir, settings):
    rows = []
    base = settings["metric"].split(",", 1)[0]
    for split, tasks in (("validation", settings["tasks"]), ("test", settings["test_tasks"])):
        for name in tasks:
            files = _found(results_dir, f"samples_{name}_*.jsonl")
            if not files:
                continue
            with open(max(files, key=os.path.getmtime), encoding="utf-8") as f:
                for line in f:
                    s = json.loads(line)
                    score = s.get(base)
                    rows.append({"split": split, "id": f"{name}:{s.get('doc_id')}", "expected": s.get("target"),
                                 "predicted": s.get("filtered_resps"), "score": score,
                                 "correct": bool(score) if isinstance(score, (int, float)) else None})
    return rows


def run_lm_eval(task, command, results_dir, out_path, predictions_path):
    settings = lm_eval_settings(task)
    r = subprocess.run(command)
    if r.returncode != 0:
        raise RuntimeError(f"lm-eval exited with {r.returncode}")
    doc = to_metrics(newest_results(results_dir), settings, task["metric"])
    write_json_atomic(out_path, doc)
    if predictions_path:
        write_jsonl_atomic(predictions_path, sample_predictions(results_dir, settings))
    return doc
