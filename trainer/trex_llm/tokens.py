"""Token counts for data stats and length filters, with the base model's own
tokenizer when it is on this machine (never downloaded here): its
tokenizer.json read with the light `tokenizers` package (a local model dir,
the tiny model TREX builds, or the Hugging Face cache), else transformers'
AutoTokenizer when the cache holds the model's tokenizer files, else an
estimate (4 characters per token, one per CJK character) that says so in
stats.json. transformers is imported only when it can find something: the
import alone costs seconds on a small machine."""
import os

from .hf_models import TINY_MODEL, resolve_base_model


def _cached(base_model, filename):
    try:
        from huggingface_hub import try_to_load_from_cache
        path = try_to_load_from_cache(base_model, filename)
        return path if isinstance(path, str) and os.path.exists(path) else None
    except Exception:  # no huggingface_hub, or an id it rejects
        return None


def _local_dir(base_model):
    if base_model == TINY_MODEL:
        return resolve_base_model(base_model)
    return base_model if os.path.isdir(base_model) else None


def _tokenizer_json(base_model):
    folder = _local_dir(base_model)
    if folder:
        path = os.path.join(folder, "tokenizer.json")
        return path if os.path.exists(path) else None
    return _cached(base_model, "tokenizer.json")


def _auto_tokenizer_files(base_model):
    """Whether AutoTokenizer could load this model offline (a local folder, or a cached tokenizer config)."""
    return bool(_local_dir(base_model)) or _cached(base_model, "tokenizer_config.json") is not None


class TokenCounter:
    def __init__(self, base_model):
        self.encode = None
        self.name = "approx_chars_div_4"
        try:
            path = _tokenizer_json(base_model)
            if path:
                from tokenizers import Tokenizer
                tok = Tokenizer.from_file(path)
                self.encode = lambda text: len(tok.encode(text, add_special_tokens=False).ids)
            elif _auto_tokenizer_files(base_model):
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                from transformers import AutoTokenizer
                auto = AutoTokenizer.from_pretrained(_local_dir(base_model) or base_model, local_files_only=True)
                self.encode = lambda text: len(auto(text, add_special_tokens=False)["input_ids"])
            if self.encode is not None:
                self.name = f"tokenizer:{base_model}"
        except Exception:  # no tokenizer packages, or the tokenizer is not on this machine: estimate
            self.encode = None

    def count(self, text):
        return self.encode(text) if self.encode is not None else approx_tokens(text)


def approx_tokens(text):
    cjk = sum(1 for c in text if "\u3040" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af")
    return cjk + (len(text) - cjk + 3) // 4
