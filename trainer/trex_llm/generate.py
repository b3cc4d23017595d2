"""Greedy generation for evaluation: vLLM when it is installed and a GPU is
there (much faster on large eval sets), else transformers `generate` in
batches with left padding. Both are given the same token ids (prompt_ids):
the chat template already writes any BOS, so the text must not get a second one."""
import os

from .chat import render_prompt


def vllm_available():
    try:
        import torch
        import vllm  # noqa: F401
        return torch.cuda.is_available()
    except ImportError:
        return False


def generate(ckpt_dir, base_model, prompts, max_new_tokens, batch_size, backend="auto"):
    """prompts: lists of chat messages -> (texts, backend used)."""
    if backend == "vllm" or (backend == "auto" and vllm_available()):
        return _generate_vllm(ckpt_dir, base_model, prompts, max_new_tokens), "vllm"
    return _generate_transformers(ckpt_dir, base_model, prompts, max_new_tokens, batch_size), "transformers"


def prompt_ids(tokenizer, messages):
    """Chat messages -> the token ids both generators start from (no special tokens added on top)."""
    return tokenizer(render_prompt(tokenizer, messages), add_special_tokens=False)["input_ids"]


def left_padded_batch(tokenizer, ids):
    """Prompt id lists -> input_ids/attention_mask tensors, padded on the left so generation
    continues from the right end of every row."""
    tokenizer.padding_side = "left"
    return tokenizer.pad({"input_ids": ids}, padding=True, return_tensors="pt")


def _generate_transformers(ckpt_dir, base_model, prompts, max_new_tokens, batch_size):
    import torch
    from .hf_models import load_for_generation
    cuda = torch.cuda.is_available()
    dtype = (torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16) if cuda else torch.float32
    model, tokenizer = load_for_generation(ckpt_dir, base_model, dtype)
    model.to("cuda" if cuda else "cpu").eval()
    ids = [prompt_ids(tokenizer, p) for p in prompts]
    outputs = []
    for i in range(0, len(ids), batch_size):
        batch = left_padded_batch(tokenizer, ids[i:i + batch_size]).to(model.device)
        with torch.no_grad():
            out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
        new = out[:, batch["input_ids"].shape[1]:]
        outputs += tokenizer.batch_decode(new, skip_special_tokens=True)
    return outputs


def _generate_vllm(ckpt_dir, base_model, prompts, max_new_tokens):
    from vllm import LLM, SamplingParams
    from .hf_models import is_adapter_dir, load_tokenizer
    adapter = is_adapter_dir(ckpt_dir)
    tokenizer = load_tokenizer(base_model if adapter else ckpt_dir)
    kwargs = {"model": base_model if adapter else ckpt_dir, "gpu_memory_utilization": 0.85}
    lora_request = None
    if adapter:
        import json
        from vllm.lora.request import LoRARequest
        with open(os.path.join(ckpt_dir, "adapter_config.json")) as f:
            rank = int(json.load(f).get("r", 16))
        kwargs.update(enable_lora=True, max_lora_rank=max(8, 1 << (rank - 1).bit_length()))  # vLLM wants a power of two
        lora_request = LoRARequest("trex", 1, os.path.abspath(ckpt_dir))
    llm = LLM(**kwargs)
    params = SamplingParams(temperature=0.0, max_tokens=max_new_tokens)
    # Token ids, not text: vLLM would tokenize text with special tokens and double the BOS.
    results = llm.generate([{"prompt_token_ids": prompt_ids(tokenizer, p)} for p in prompts], params,
                           lora_request=lora_request)
    return [r.outputs[0].text for r in results]
