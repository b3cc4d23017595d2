"""Runs real Optuna (ask/tell) over a replayed grid table, for the search-efficiency benchmark.

Reads one JSON object on stdin:
  {"knobs": [{"path": str, "values": [json, ...]}, ...],
   "rows": [{"values": [json, ...], "score": float}, ...],   # one per grid configuration
   "baseline": {"values": [json, ...] | null, "score": float},
   "goal": "maximize" | "minimize", "trials": int, "seeds": int,
   "samplers": ["tpe", "tpe_startup4", "random"]}
Prints one JSON object: {sampler: [[best-so-far score after run 1..trials] per seed]}.

With "mode": "compute" the input also has, per row, "cost_ms" (a full run: training and
evaluation), "prepare_ms" and "recipe" (data is prepared once per recipe, as with TREX's data
cache), "train_ms", "total_steps" and "steps" ([[step, value], ...]: evaluations during training,
signed so that larger is better when the study maximizes), plus "budget_ms" and "runs":
[{"sampler": ..., "pruner": "none" | "median" | "hyperband"}, ...]. Each trial reports its
evaluations during training; a pruned trial costs its share of training up to that step and gives
no final score. Prints {"<sampler>/<pruner>": [[[compute_ms, best], ...] per seed]}, a point after
every run until the compute budget is spent.

Run 1 is the baseline, as in a TREX search (enqueued as Optuna's first trial when its values are
on the grid). A configuration Optuna asks for again is answered from the table without spending a
run, which is generous to Optuna (it does not deduplicate by itself).
"""
import json
import sys

import optuna


def sampler_for(name, seed):
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "tpe_startup4":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=4)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"unknown sampler {name!r} (expected tpe, tpe_startup4 or random)")


def run_one(spec, table, sampler_name, seed):
    knobs = spec["knobs"]
    trials = spec["trials"]
    better = max if spec["goal"] == "maximize" else min
    # Choices are JSON strings so any knob value (numbers, strings, objects) is a valid category.
    choices = [[json.dumps(v, sort_keys=True) for v in k["values"]] for k in knobs]
    study = optuna.create_study(direction=spec["goal"], sampler=sampler_for(sampler_name, seed))
    base = spec["baseline"]
    curve = []
    best = None
    if base["values"] is not None:
        study.enqueue_trial({f"k{i}": json.dumps(v, sort_keys=True) for i, v in enumerate(base["values"])})
    else:
        best = base["score"]
        curve.append(best)
    seen = set()
    asks = 0
    while len(curve) < trials and asks < 50 * trials:
        asks += 1
        trial = study.ask()
        key = tuple(trial.suggest_categorical(f"k{i}", c) for i, c in enumerate(choices))
        if key not in table:
            raise KeyError(f"configuration {key} is not on the grid")
        score = table[key]
        study.tell(trial, score)
        if key in seen:
            continue
        seen.add(key)
        best = score if best is None else better(best, score)
        curve.append(best)
    while len(curve) < trials:  # the whole grid was tried
        curve.append(best)
    return curve


def pruner_for(name):
    if name == "none":
        return optuna.pruners.NopPruner()
    if name == "median":
        return optuna.pruners.MedianPruner()
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner()
    raise ValueError(f"unknown pruner {name!r} (expected none, median or hyperband)")


def run_compute(spec, rows, sampler_name, pruner_name, seed):
    """One study under a compute budget; returns [(compute_ms, best)] after each run."""
    knobs = spec["knobs"]
    choices = [[json.dumps(v, sort_keys=True) for v in k["values"]] for k in knobs]
    better = max if spec["goal"] == "maximize" else min
    study = optuna.create_study(direction=spec["goal"], sampler=sampler_for(sampler_name, seed), pruner=pruner_for(pruner_name))
    base = spec["baseline"]
    if base["values"] is not None:
        study.enqueue_trial({f"k{i}": json.dumps(v, sort_keys=True) for i, v in enumerate(base["values"])})
    spent, best, points = 0.0, None, []
    prepared, completed = set(), {}
    asks = 0
    # Ends when the budget is spent, the run limit reached, or every configuration completed.
    while spent < spec["budget_ms"] and asks < 5 * spec["max_runs"] and len(points) < spec["max_runs"] and len(completed) < len(rows):
        asks += 1
        trial = study.ask()
        key = tuple(trial.suggest_categorical(f"k{i}", c) for i, c in enumerate(choices))
        row = rows[key]
        if key in completed:  # asked again: answered from the table at no cost
            study.tell(trial, completed[key])
            continue
        if row["recipe"] not in prepared:
            prepared.add(row["recipe"])
            spent += row["prepare_ms"]
        pruned_at = None
        for step, value in row["steps"]:
            trial.report(value, step)
            if trial.should_prune():
                pruned_at = step
                break
        if pruned_at is not None:
            spent += row["train_ms"] * pruned_at / row["total_steps"]
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            spent += row["cost_ms"]
            completed[key] = row["score"]
            study.tell(trial, row["score"])
            best = row["score"] if best is None else better(best, row["score"])
        points.append([spent, best])
    return points


def main_compute(spec):
    rows = {tuple(json.dumps(v, sort_keys=True) for v in r["values"]): r for r in spec["rows"]}
    out = {}
    for run in spec["runs"]:
        name = f'{run["sampler"]}/{run["pruner"]}'
        out[name] = [run_compute(spec, rows, run["sampler"], run["pruner"], seed) for seed in range(spec["seeds"])]
    json.dump(out, sys.stdout)


def main():
    spec = json.load(sys.stdin)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if spec.get("mode") == "compute":
        return main_compute(spec)
    table = {}
    for row in spec["rows"]:
        table[tuple(json.dumps(v, sort_keys=True) for v in row["values"])] = row["score"]
    out = {}
    for name in spec["samplers"]:
        out[name] = [run_one(spec, table, name, seed) for seed in range(spec["seeds"])]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
