"""`evaluate`: batched greedy decoding on the task's fixed validation and
test sets. Prompts are left-padded (per-row positions keep the learned
position embeddings right) and decoded with a KV cache."""
import json
import os

import torch

from . import model as model_lib
from . import tokenizer
from trex_protocol.errors import InputError
from trex_protocol.files import write_json_atomic, write_text_atomic

BATCH = 256


@torch.no_grad()
def greedy_decode(model, prompts, max_new_tokens):
    model.eval()
    outputs = []
    for i in range(0, len(prompts), BATCH):
        chunk = [tokenizer.encode(p)[-(model.block_size - max_new_tokens):] for p in prompts[i:i + BATCH]]
        B, T = len(chunk), max(len(c) for c in chunk)
        x = torch.full((B, T), tokenizer.PAD, dtype=torch.long)
        pad = torch.tensor([T - len(c) for c in chunk])
        for r, c in enumerate(chunk):
            x[r, T - len(c):] = torch.tensor(c)
        positions = (torch.arange(T).expand(B, T) - pad.view(B, 1)).clamp(min=0)
        key_mask = torch.arange(T).expand(B, T) >= pad.view(B, 1)
        caches = [{} for _ in model.blocks]
        logits = model(x, positions, key_mask, caches)[:, -1]
        next_pos = torch.tensor([len(c) for c in chunk])
        generated = torch.zeros((B, 0), dtype=torch.long)
        finished = torch.zeros(B, dtype=torch.bool)
        for _ in range(max_new_tokens):
            tok = logits.argmax(-1)
            tok = torch.where(finished, torch.full_like(tok, tokenizer.END), tok)
            generated = torch.cat([generated, tok.view(B, 1)], dim=1)
            finished |= tok == tokenizer.END
            if finished.all():
                break
            key_mask = torch.cat([key_mask, torch.ones(B, 1, dtype=torch.bool)], dim=1)
            logits = model(tok.view(B, 1), next_pos.view(B, 1), key_mask, caches)[:, -1]
            next_pos = next_pos + 1
        outputs += [tokenizer.decode(row.tolist()) for row in generated]
    return outputs


def read_template(directory):
    """The prompt template training used (format.json beside the data or the checkpoint)."""
    fmt_path = os.path.join(directory, "format.json")
    if not os.path.exists(fmt_path):
        return "plain"
    with open(fmt_path) as f:
        return json.load(f).get("template", "plain")


def score_rows(model, impl, rows, template, split=None):
    """Fraction of rows answered exactly, and one prediction record per row."""
    texts = greedy_decode(model, [impl.render_prompt(r["prompt"], template) for r in rows], impl.max_new_tokens)
    correct, predictions = 0, []
    for r, text in zip(rows, texts):
        predicted = impl.read_answer(text, template)
        ok = predicted == r["answer"]
        correct += ok
        predictions.append({"split": split, "prompt": r["prompt"], "expected": r["answer"],
                            "predicted": predicted, "correct": ok})
    return (round(correct / len(rows), 4) if rows else 0.0), predictions


def evaluate(task, ckpt_dir, out_path, predictions_path=None):
    path = os.path.join(ckpt_dir, "model.pt")
    if not os.path.exists(path):
        raise InputError("ckpt", f"no model.pt in {ckpt_dir}")
    impl = task["impl"]
    template = read_template(ckpt_dir)
    model = model_lib.load(path)
    val, test = impl.eval_sets(task["seed"], task["validation_size"], task["test_size"])
    metric = task["metric"]
    result = {"metric": metric}
    predictions = []
    for split, rows in (("validation", val), ("test", test)):
        score, preds = score_rows(model, impl, rows, template, split)
        predictions += preds
        result[split] = {metric: score, "n": len(rows)}
    write_json_atomic(out_path, result)
    if predictions_path:
        write_text_atomic(predictions_path, "".join(json.dumps(p) + "\n" for p in predictions))
    return result
