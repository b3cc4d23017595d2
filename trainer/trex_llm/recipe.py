"""`prepare`: a data recipe -> training data in the node's data dir.
Order: load each source -> map fields -> sample num_examples -> mix by weight
(mixing.total) -> drop examples whose prompt is a validation/test prompt ->
filters and script steps (script_step.py) in order -> shuffle -> hold out a validation split if the task has no
fixed one -> apply the prompt template. Writes train.jsonl, validation.jsonl,
test.jsonl (rows in chat form, see README.md), stats.json and format.json,
built in a temp dir and renamed into place."""
import random

from .filters import apply_filter, normalize
from trex_protocol.files import write_dir_atomic
from .mapping import effective_mapping, map_row
from .script_step import run_script_step
from .sources import load_rows
from .templates import apply_template
from .tokens import TokenCounter

NUM_SAMPLES = 5


def chat_row(system, prompt, response=None, rejected=None):
    """One example in every shape the trainers read: `prompt`/`completion`
    (TRL), `messages` (LLaMA-Factory sharegpt, the built-in script),
    `chosen`/`rejected` (TRL DPO) and `*_message` (LLaMA-Factory ranking)."""
    prompt_msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    row = {"prompt": prompt_msgs}
    if response is not None:
        row["completion"] = [{"role": "assistant", "content": response}]
        row["messages"] = prompt_msgs + row["completion"]
    if rejected is not None:
        row["chosen"] = row["completion"]
        row["rejected"] = [{"role": "assistant", "content": rejected}]
        row["chosen_message"] = row["chosen"][0]
        row["rejected_message"] = row["rejected"][0]
    return row


def _mapped(src, raw_rows, mapping, value_map, needs_response=True):
    examples, unmapped = [], 0
    for i, row in enumerate(raw_rows):
        ex = map_row(row, mapping, value_map, src["field"], needs_response)
        if ex is None:
            unmapped += 1
            continue
        ex.update(source=src["name"], id=f"{src['name']}:{i}", raw=row)
        examples.append(ex)
    return examples, unmapped


def build_eval_sets(task, template, cache_dir):
    """The task's fixed validation/test sets, mapped by the task (not the
    recipe) and capped by evaluation.validation_size / test_size."""
    sets = {}
    for split, src in task["eval_sets"].items():
        mapping = effective_mapping(task["eval_mapping"], src["params"])
        values = dict(task["eval_params"].get("values", {}), **src["params"].get("values", {}))
        examples, _ = _mapped(src, load_rows(src, cache_dir), mapping, values)
        cap = task[f"{split}_size"]
        if len(examples) > cap:
            examples = random.Random(f"eval:{task['seed']}:{split}").sample(examples, cap)
        sets[split] = examples
    return sets


def eval_row(ex, system, template):
    prompt = apply_template(template, ex["prompt"])
    return {"id": ex["id"], "prompt": chat_row(ex.get("system") or system, prompt)["prompt"],
            "prompt_text": prompt, "reference": ex["response"], "source": ex["source"]}


def train_row(ex, system, template):
    row = chat_row(ex.get("system") or system, apply_template(template, ex["prompt"]), ex["response"], ex.get("rejected"))
    row.update(id=ex["id"], source=ex["source"])
    return row


def _mix(pools, sources, total, seed):
    """Without a total, concatenate. With one, draw `total` examples by weight;
    a source asked for more than it holds is cycled (its examples repeat)."""
    if total is None:
        return [ex for pool in pools for ex in pool]
    live = [i for i, p in enumerate(pools) if p]
    if not live:
        return []
    rng = random.Random(f"mix:{seed}")
    weights = [sources[i]["weight"] for i in live]
    if sum(weights) <= 0:
        weights = [1.0] * len(live)
    cursor = {i: 0 for i in live}
    out = []
    for _ in range(int(total)):
        k = rng.choices(live, weights=weights)[0]
        out.append(pools[k][cursor[k] % len(pools[k])])
        cursor[k] += 1
    return out


def _summary(values):
    if not values:
        return {"mean": 0, "p50": 0, "p95": 0, "max": 0}
    s = sorted(values)
    return {"mean": round(sum(s) / len(s), 1), "p50": s[len(s) // 2], "p95": s[min(len(s) - 1, int(0.95 * len(s)))], "max": s[-1]}


def prepare(task, recipe, out_dir, cache_dir):
    system = task["system"]
    template = recipe["template"]
    eval_sets = build_eval_sets(task, template, cache_dir)
    forbidden = {normalize(ex["prompt"]) for rows in eval_sets.values() for ex in rows}

    dropped = {}
    pools = []
    for src in recipe["sources"]:
        mapping = effective_mapping(recipe["mapping"], src["params"])
        examples, unmapped = _mapped(src, load_rows(src, cache_dir), mapping, src["params"].get("values", {}))
        if unmapped:
            dropped["unmapped"] = dropped.get("unmapped", 0) + unmapped
        n = src["num_examples"]
        if n and n < len(examples):
            examples = random.Random(f"sample:{recipe['seed']}:{src['name']}").sample(examples, int(n))
        pools.append(examples)
    rows = _mix(pools, recipe["sources"], recipe["total"], recipe["seed"])

    before = len(rows)
    rows = [ex for ex in rows if normalize(ex["prompt"]) not in forbidden]  # never train on an eval prompt
    if before - len(rows):
        dropped["decontaminated"] = before - len(rows)
    counter = TokenCounter(task["base_model"])
    steps = []
    for i, flt in enumerate(recipe["filters"]):
        if flt["kind"] == "script":  # may add rows as well as drop them: counted in stats.steps
            rows, step_stats = run_script_step(rows, flt, f"filters[{i}]")
            steps.append(step_stats)
            continue
        before = len(rows)
        rows = apply_filter(rows, flt, counter)
        dropped[flt["kind"]] = dropped.get(flt["kind"], 0) + before - len(rows)
    random.Random(f"shuffle:{recipe['seed']}").shuffle(rows)

    validation_from = "task" if "validation" in eval_sets else "holdout"
    if validation_from == "holdout" and recipe["validation_fraction"] > 0 and len(rows) > 1:
        k = max(1, int(round(len(rows) * recipe["validation_fraction"])))
        eval_sets["validation"], rows = rows[:k][:task["validation_size"]], rows[k:]

    train = [train_row(ex, system, template) for ex in rows]
    validation = [eval_row(ex, system, template) for ex in eval_sets.get("validation", [])]
    test = [eval_row(ex, system, template) for ex in eval_sets.get("test", [])]
    stats = _stats(rows, train, validation, test, validation_from, dropped, counter, template)
    if steps:
        stats["steps"] = steps
    write_dir_atomic(out_dir, {"train.jsonl": train, "validation.jsonl": validation, "test.jsonl": test},
                     {"stats.json": stats, "format.json": {"template": template, "system": system,
                                                           "has_rejected": any("rejected" in r for r in train)}})
    return stats


def _stats(rows, train, validation, test, validation_from, dropped, counter, template):
    by_source = {}
    for ex in rows:
        by_source[ex["source"]] = by_source.get(ex["source"], 0) + 1
    prompt_tokens = [counter.count(ex["prompt"]) for ex in rows]
    response_tokens = [counter.count(ex["response"]) for ex in rows]
    return {
        "num_examples": len(train),
        "by_source": by_source,
        "dropped": dropped,
        "prompt_chars": _summary([len(ex["prompt"]) for ex in rows]),
        "response_chars": _summary([len(ex["response"]) for ex in rows]),
        "prompt_tokens": _summary(prompt_tokens),
        "response_tokens": _summary(response_tokens),
        "total_tokens": sum(prompt_tokens) + sum(response_tokens),
        "token_counter": counter.name,
        "template": template,
        "with_rejected": sum(1 for ex in rows if ex.get("rejected") is not None),
        "validation": {"num_examples": len(validation), "from": validation_from},
        "test": {"num_examples": len(test)},
        "samples": [{"source": ex["source"], "prompt": apply_template(template, ex["prompt"]), "response": ex["response"]}
                    for ex in rows[:NUM_SAMPLES]],
    }
