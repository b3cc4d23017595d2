"""Runs real Optuna (ask/tell) over a replayed grid table, for the search-efficiency benchmark.

Reads one JSON object on stdin:
  {"knobs": [{"path": str, "values": [json, ...]}, ...],
   "rows": [{"values": [json, ...], "score": float}, ...],   # one per grid configuration
   "baseline": {"values": [json, ...] | null, "score": float},
   "goal": "maximize" | "minimize", "trials": int, "seeds": int,
   "samplers": ["tpe", "tpe_startup4", "random"]}
Prints one JSON object: {sampler: [[best-so-far score after run 1..trials] per seed]}.

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


def main():
    spec = json.load(sys.stdin)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    table = {}
    for row in spec["rows"]:
        table[tuple(json.dumps(v, sort_keys=True) for v in row["values"])] = row["score"]
    out = {}
    for name in spec["samplers"]:
        out[name] = [run_one(spec, table, name, seed) for seed in range(spec["seeds"])]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
