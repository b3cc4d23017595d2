"""Loading models and tokenizers with transformers (4.4x and 5.x) and peft:
precision choice, QLoRA quantization, LoRA adapters, and a fine-tuned
checkpoint (an adapter dir or a full model dir) for generation."""
import os

from trex_protocol.errors import InputError

# A reserved base_model name: the tiny Llama built on this machine (tiny_model.py), for examples and
# tests that must not need the hub. Built into the trainer cache once, on first use.
TINY_MODEL = "trex:tiny-llama"


def resolve_base_model(name):
    """The folder or hub id transformers loads for `name`: reserved names become local folders."""
    if name != TINY_MODEL:
        return name
    from . import tiny_model
    cache = tiny_model.default_cache()
    if not os.path.exists(os.path.join(tiny_model.model_dir(cache), "trex_tiny_model.json")):
        print(f"phase: building the tiny base model {TINY_MODEL} (once, into {cache})", flush=True)
    return tiny_model.ensure(cache, log=lambda m: print(m, flush=True))


def dtype_kwarg():
    """transformers renamed from_pretrained(torch_dtype=) to dtype= in 4.56."""
    import transformers
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return "dtype" if (major, minor) >= (4, 56) else "torch_dtype"


def pick_precision(precision, cuda):
    """-> (torch dtype, bf16 flag, fp16 flag, note or None). CPUs train in fp32."""
    import torch
    if not cuda:
        note = None if precision == "fp32" else f"precision {precision} needs a GPU; training in fp32 on CPU"
        return torch.float32, False, False, note
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        return torch.float16, False, True, "this GPU has no bf16; training in fp16"
    if precision == "bf16":
        return torch.bfloat16, True, False, None
    if precision == "fp16":
        return torch.float16, False, True, None
    return torch.float32, False, False, None


def load_tokenizer(name_or_path):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(resolve_base_model(name_or_path))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_base_model(name, dtype, finetuning, cuda):
    from transformers import AutoModelForCausalLM
    kwargs = {dtype_kwarg(): dtype}
    if finetuning == "qlora":
        if not cuda:
            raise InputError("finetuning", "qlora needs a CUDA GPU (4-bit weights); use lora on this machine")
        try:
            import bitsandbytes  # noqa: F401
            from transformers import BitsAndBytesConfig
        except ImportError:
            raise InputError("finetuning", "qlora needs the bitsandbytes package (pip install bitsandbytes)")
        kwargs["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                           bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=dtype)
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
    return AutoModelForCausalLM.from_pretrained(resolve_base_model(name), **kwargs)


def _prepare_for_adapter(model, cfg, gradient_checkpointing):
    try:
        from peft import prepare_model_for_kbit_training
    except ImportError:
        raise InputError("finetuning", f"{cfg['finetuning']} needs the peft package (pip install peft)")
    if cfg["finetuning"] == "qlora":
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)
    if gradient_checkpointing and hasattr(model, "enable_input_require_grads"):
        model.enable_input_require_grads()  # frozen embeddings would otherwise cut the graph
    return model


def add_lora(model, cfg, gradient_checkpointing):
    from peft import LoraConfig, get_peft_model
    model = _prepare_for_adapter(model, cfg, gradient_checkpointing)
    target = cfg["lora_target"]
    modules = "all-linear" if target in ("all", "all-linear") else [t.strip() for t in target.split(",") if t.strip()]
    config = LoraConfig(r=cfg["lora_rank"], lora_alpha=cfg["lora_alpha"], lora_dropout=cfg["lora_dropout"],
                        target_modules=modules, task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def continue_lora(model, cfg, gradient_checkpointing, adapter_dir):
    """A warm start: the parent's trained adapter, loaded trainable, in place of a fresh one. Its
    rank must be the config's (the engine warm-starts only configs that differ in length)."""
    if not is_adapter_dir(adapter_dir):
        raise InputError("init_adapter", f"{adapter_dir} holds no LoRA adapter (adapter_config.json) to continue")
    from peft import PeftConfig, PeftModel
    saved = PeftConfig.from_pretrained(adapter_dir)
    if getattr(saved, "r", None) != cfg["lora_rank"]:
        raise InputError("init_adapter", f"the adapter in {adapter_dir} has rank {getattr(saved, 'r', None)}, "
                                         f"the config asks for lora.rank {cfg['lora_rank']}")
    model = _prepare_for_adapter(model, cfg, gradient_checkpointing)
    return PeftModel.from_pretrained(model, adapter_dir, is_trainable=True)


def is_adapter_dir(path):
    return os.path.exists(os.path.join(path, "adapter_config.json"))


def load_for_generation(ckpt_dir, base_model, dtype):
    """A fine-tuned checkpoint -> (model, tokenizer). Adapters are merged into
    the base so generation runs at full speed."""
    from transformers import AutoModelForCausalLM
    has_tokenizer = os.path.exists(os.path.join(ckpt_dir, "tokenizer_config.json"))
    tokenizer = load_tokenizer(ckpt_dir if has_tokenizer else base_model)
    kwargs = {dtype_kwarg(): dtype}
    if is_adapter_dir(ckpt_dir):
        from peft import PeftModel
        model = AutoModelForCausalLM.from_pretrained(resolve_base_model(base_model), **kwargs)
        model = PeftModel.from_pretrained(model, ckpt_dir).merge_and_unload()
    else:
        model = AutoModelForCausalLM.from_pretrained(ckpt_dir, **kwargs)
    return model, tokenizer
