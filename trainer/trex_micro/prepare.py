"""`prepare`: recipe -> train.jsonl + stats.json (+ format.json for the
trainer and evaluator), built in a temp dir and renamed into place."""
import random

from trex_protocol.files import write_dir_atomic


def _generate_sources(task, recipe, forbidden):
    impl = task["impl"]
    pools = []
    for i, src in enumerate(recipe["sources"]):
        rng = random.Random(f"{recipe['seed']}:{i}:{src['name']}")
        rows = []
        while len(rows) < src["num_examples"]:
            ex = impl.generate(rng, src["params"], clean=False, paraphrase=recipe["paraphrase"])
            if ex["prompt"] in forbidden:  # never train on a validation/test prompt
                continue
            ex["source"] = src["name"]
            rows.append(ex)
        pools.append(rows)
    return pools


def _mix(pools, sources, total, seed):
    """Sample `total` examples from the sources by weight; without a total,
    just concatenate. Each source is drawn in order and cycled if exhausted,
    so asking for more than a source holds repeats its examples."""
    if total is None:
        return [ex for pool in pools for ex in pool]
    rng = random.Random(f"mix:{seed}")
    weights = [s["weight"] for s in sources]
    if sum(weights) <= 0:
        weights = [1.0] * len(sources)
    cursor = [0] * len(pools)
    out = []
    for _ in range(int(total)):
        k = rng.choices(range(len(pools)), weights=weights)[0]
        out.append(pools[k][cursor[k] % len(pools[k])])
        cursor[k] += 1
    return out


def _apply_filters(task, rows, filters):
    dropped = {}
    for flt in filters:
        kind, before = flt["kind"], len(rows)
        if kind == "dedup":
            seen, kept = set(), []
            for ex in rows:
                if ex["prompt"] not in seen:
                    seen.add(ex["prompt"])
                    kept.append(ex)
            rows = kept
        elif kind == "length":
            rows = [ex for ex in rows if len(ex["prompt"]) + len(ex["answer"]) <= flt["max_chars"]]
        elif kind == "label_agreement":
            min_agree = flt.get("min_agreement", 0.5)
            rows = [ex for ex in rows if task["impl"].agreement(ex) >= min_agree]
        dropped[kind] = dropped.get(kind, 0) + before - len(rows)
    return rows, dropped


def _summary(values):
    return {"mean": round(sum(values) / len(values), 2) if values else 0, "max": max(values, default=0)}


def eval_prompts(task):
    val, test = task["impl"].eval_sets(task["seed"], task["validation_size"], task["test_size"])
    return {ex["prompt"] for ex in val + test}


def prepare(task, recipe, out_dir):
    impl = task["impl"]
    pools = _generate_sources(task, recipe, eval_prompts(task))
    rows = _mix(pools, recipe["sources"], recipe["total"], recipe["seed"])
    rows, dropped = _apply_filters(task, rows, recipe["filters"])
    random.Random(f"shuffle:{recipe['seed']}").shuffle(rows)
    formatted = [{"prompt": impl.render_prompt(ex["prompt"], recipe["template"]),
                  "response": impl.render_response(ex["answer"], recipe["template"])} for ex in rows]
    by_source = {}
    for ex in rows:
        by_source[ex["source"]] = by_source.get(ex["source"], 0) + 1
    stats = {
        "num_examples": len(formatted),
        "by_source": by_source,
        "dropped": dropped,
        "prompt_chars": _summary([len(r["prompt"]) for r in formatted]),
        "response_chars": _summary([len(r["response"]) for r in formatted]),
        "samples": formatted[:5],
    }
    write_dir_atomic(out_dir, {"train.jsonl": formatted},
                     {"stats.json": stats, "format.json": {"task": impl.name, "template": recipe["template"]}})
    return stats
