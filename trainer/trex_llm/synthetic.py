"""LLM-generated training data (source kind `synthetic`). Calls an
OpenAI-compatible chat endpoint named by the environment of the training
machine (TREX_SYNTH_BASE_URL, TREX_SYNTH_API_KEY, TREX_SYNTH_MODEL: keys never
live in recipe files), asks for JSON Lines {"prompt","response"}, and caches
the result under <cache>/synthetic so re-preparing does not pay twice.
A source with `path` reads data generated earlier instead."""
import hashlib
import json
import os
import urllib.request

from trex_protocol.errors import InputError
from trex_protocol.files import write_jsonl_atomic

PER_REQUEST = 20
TIMEOUT_S = 300
SYSTEM = ("You write training data for fine-tuning a language model. Reply with JSON Lines only: one JSON object "
          "per line with the string keys \"prompt\" and \"response\". No prose, no code fences.")


def load_synthetic(src, cache_dir):
    from .sources import check_source_path, read_file_rows
    if src["path"]:
        # Data generated before is a file like any other: the engine's allowlist holds here too.
        check_source_path(src["path"], f"{src['field']}.path")
        return read_file_rows(src["path"], f"{src['field']}.path")
    n = src["num_examples"] or 100
    params = src["params"]
    base = os.environ.get("TREX_SYNTH_BASE_URL", "").rstrip("/")
    model = params.get("model") or os.environ.get("TREX_SYNTH_MODEL", "")
    if not base or not model:
        raise InputError(f"{src['field']}.kind", "synthetic sources need TREX_SYNTH_BASE_URL and TREX_SYNTH_MODEL "
                                                 "(and TREX_SYNTH_API_KEY) on the training machine, or a path to data generated before")
    key = hashlib.sha256(json.dumps([src["prompt"], n, model, params.get("temperature", 0.8)]).encode()).hexdigest()[:16]
    cached = os.path.join(cache_dir, "synthetic", f"{key}.jsonl")
    if os.path.exists(cached):
        return read_file_rows(cached, f"{src['field']}.path")
    rows = []
    attempts = 0
    while len(rows) < n and attempts < 3 * (n // PER_REQUEST + 1):
        attempts += 1
        want = min(PER_REQUEST, n - len(rows))
        text = _chat(base, model, src["prompt"] + f"\n\nWrite {want} new, varied examples.", params.get("temperature", 0.8))
        rows += parse_jsonl_reply(text)[:want]
    if not rows:
        raise InputError(f"{src['field']}.prompt", f"the model {model!r} returned no usable JSON lines")
    write_jsonl_atomic(cached, rows)
    return rows


def parse_jsonl_reply(text):
    rows = []
    for line in text.splitlines():
        line = line.strip().rstrip(",")
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("prompt"), str) and isinstance(obj.get("response"), str):
            rows.append({"prompt": obj["prompt"], "response": obj["response"]})
    return rows


def _chat(base, model, prompt, temperature):
    body = json.dumps({"model": model, "temperature": temperature,
                       "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]}).encode()
    headers = {"Content-Type": "application/json"}
    if os.environ.get("TREX_SYNTH_API_KEY"):
        headers["Authorization"] = "Bearer " + os.environ["TREX_SYNTH_API_KEY"]
    req = urllib.request.Request(base + "/chat/completions", data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as r:
            reply = json.loads(r.read().decode())
        return reply["choices"][0]["message"]["content"] or ""
    except Exception as e:
        raise RuntimeError(f"synthetic data request to {base} failed: {e}")
