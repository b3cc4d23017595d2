"""A tiny real Hugging Face causal LM, built here: no hub access.

A LlamaForCausalLM (hidden 64, 2 layers) with a byte-level BPE tokenizer trained
locally with the `tokenizers` library, a ChatML chat template (LLaMA-Factory
template `chatml`), saved with save_pretrained (model + PreTrainedTokenizerFast),
and briefly pretrained on CPU on a generated corpus of ChatML dialogues so that
it already speaks the chat format (answers end with <|im_end|>) and fine-tuning
moves a metric. Deterministic, and cached like the micro base model:
`<cache>/hf/<NAME>/`, built once under a file lock, moved into place atomically.

    python3 trainer/trex_llm/tiny_model.py [--cache DIR] [--out DIR]

prints the model folder (with --out, also copies it there)."""
import argparse
import fcntl
import hashlib
import json
import os
import random
import shutil
import sys
import time

SPEC = {"hidden": 64, "layers": 2, "heads": 4, "vocab": 600, "seed": 1234, "dialogues": 1500,
        "pretrain": {"steps": 60, "batch_size": 8, "seq_len": 64, "lr": 1e-2}}
# The cache folder's name changes with the spec, so a changed recipe never reuses an old model.
NAME = "tiny-llama-" + hashlib.sha256(json.dumps(SPEC, sort_keys=True).encode()).hexdigest()[:10]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

WORDS = {
    "subject": ["the food", "the movie", "the hotel", "the service", "the book", "the room", "the staff", "the music", "the game", "the trip"],
    "good": ["great", "good", "excellent", "lovely", "wonderful", "fine"],
    "bad": ["awful", "bad", "terrible", "poor", "boring", "dirty"],
    "color": ["red", "blue", "green", "yellow", "black", "white"],
    "animal": ["cat", "dog", "bird", "fish", "horse", "cow"],
}


def default_cache():
    return os.environ.get("TREX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "trex")


def model_dir(cache):
    return os.path.join(cache, "hf", NAME)


def _dialogue(rng):
    """One generated ChatML exchange: reviews, labels, copying, counting, colors."""
    kind = rng.randrange(5)
    subject = rng.choice(WORDS["subject"])
    if kind == 0:
        good = rng.random() < 0.5
        word = rng.choice(WORDS["good" if good else "bad"])
        user, answer = f"Review: {subject} was {word} number {rng.randrange(200)}", rng.choice(["positive", "negative", "yes", "no"])
    elif kind == 1:
        words = [rng.choice(WORDS["animal"] + WORDS["color"]) for _ in range(rng.randrange(1, 4))]
        user, answer = "Repeat: " + " ".join(words), " ".join(words)
    elif kind == 2:
        n = rng.randrange(1, 9)
        user, answer = f"Count to {n}.", " ".join(str(i) for i in range(1, n + 1))
    elif kind == 3:
        animal, color = rng.choice(WORDS["animal"]), rng.choice(WORDS["color"])
        user, answer = f"What color is the {color} {animal}?", color
    else:
        word = rng.choice(WORDS["good"] + WORDS["bad"])
        user, answer = f"{subject} was {word}. Say it again.", f"{subject} was {word}."
    return [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]


def corpus(seed, n):
    rng = random.Random(seed)
    return [_dialogue(rng) for _ in range(n)]


def render_chat(messages):
    return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)


def build(out_dir, log=print):
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    start = time.time()
    spec = SPEC
    torch.set_num_threads(min(4, torch.get_num_threads()))
    texts = [render_chat(d) for d in corpus(spec["seed"], spec["dialogues"])]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=spec["vocab"], special_tokens=SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    # Train on the plain text (markers removed) so they stay single special tokens.
    plain = [t.replace("<|im_start|>", "").replace("<|im_end|>", "") for t in texts]
    tok.train_from_iterator(plain, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   bos_token=None, unk_token=None, model_max_length=512)
    fast.chat_template = CHAT_TEMPLATE
    vocab = len(fast)
    pad, eos = fast.convert_tokens_to_ids("<|endoftext|>"), fast.convert_tokens_to_ids("<|im_end|>")

    torch.manual_seed(spec["seed"])
    config = LlamaConfig(vocab_size=vocab, hidden_size=spec["hidden"], intermediate_size=spec["hidden"] * 2,
                         num_hidden_layers=spec["layers"], num_attention_heads=spec["heads"],
                         num_key_value_heads=spec["heads"], max_position_embeddings=512,
                         pad_token_id=pad, eos_token_id=eos, bos_token_id=None, tie_word_embeddings=False)
    model = LlamaForCausalLM(config)

    # Brief pretraining on the concatenated dialogues (next-token prediction).
    p = spec["pretrain"]
    ids = []
    for t in texts:
        ids.extend(fast(t, add_special_tokens=False)["input_ids"])
    data = torch.tensor(ids, dtype=torch.long)
    gen = torch.Generator().manual_seed(spec["seed"])
    opt = torch.optim.AdamW(model.parameters(), lr=p["lr"], weight_decay=0.01)
    model.train()
    first = loss = None
    for step in range(p["steps"]):
        for g in opt.param_groups:
            g["lr"] = p["lr"] * min(1.0, (step + 1) / 10)
        starts = torch.randint(0, len(data) - p["seq_len"] - 1, (p["batch_size"],), generator=gen)
        x = torch.stack([data[s:s + p["seq_len"]] for s in starts])
        loss = model(input_ids=x, labels=x).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        first = first if first is not None else loss.item()
    model.eval()
    model.generation_config.pad_token_id = pad
    model.generation_config.eos_token_id = eos
    model.generation_config.bos_token_id = None
    model.save_pretrained(out_dir)
    fast.save_pretrained(out_dir)
    meta = {"name": NAME, "spec": spec, "params": sum(q.numel() for q in model.parameters()), "vocab": vocab,
            "llamafactory_template": "chatml", "pretrain_loss": [round(first, 4), round(loss.item(), 4)],
            "seconds": round(time.time() - start, 2)}
    with open(os.path.join(out_dir, "trex_tiny_model.json"), "w") as f:
        json.dump(meta, f, indent=2)
    log(f"tiny model {NAME}: {meta['params']} parameters, pretrain loss {meta['pretrain_loss'][0]} -> {meta['pretrain_loss'][1]} in {meta['seconds']}s")
    return meta


def ensure(cache, log=print):
    """The cached tiny model's folder, building it if missing (one builder at a time)."""
    path = model_dir(cache)
    done = os.path.join(path, "trex_tiny_model.json")
    if os.path.exists(done):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(done):
            tmp = f"{path}.tmp{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            build(tmp, log)
            shutil.rmtree(path, ignore_errors=True)
            os.replace(tmp, path)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", default=default_cache())
    ap.add_argument("--out", help="also copy the model folder here")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = ensure(args.cache, log=lambda m: print(m, file=sys.stderr))
    if args.out:
        shutil.copytree(path, args.out, dirs_exist_ok=True)
        path = args.out
    print(path)


if __name__ == "__main__":
    main()
