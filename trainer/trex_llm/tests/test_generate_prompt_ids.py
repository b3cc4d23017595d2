"""The prompt -> token ids step both generators share (generate.prompt_ids), on the real tiny
tokenizer (trex_llm/tiny_model.py) and on a Llama-3-like variant of it whose chat template writes
the BOS and whose tokenizer also adds one: the ids must hold exactly one BOS, as in training."""
import unittest

from trex_llm import tiny_model
from trex_llm.chat import encode_pair, render_prompt
from trex_llm.generate import left_padded_batch, prompt_ids
from trex_llm.hf_models import load_tokenizer

try:
    import tokenizers  # noqa: F401
    import transformers  # noqa: F401
    MISSING = None
except ImportError as e:
    MISSING = f"needs transformers and tokenizers ({e}); the trainer venv has them (.ci/setup.sh)"

MESSAGES = [{"role": "system", "content": "Answer positive or negative."},
            {"role": "user", "content": "Review: the food was great number 3"}]
SHORT = [{"role": "user", "content": "Repeat: cat"}]


def bos_adding_tokenizer(path):
    """The tiny tokenizer made to behave like Llama-3's: `{{ bos_token }}` in the chat template
    and a post-processor that prepends BOS whenever special tokens are added."""
    from tokenizers.processors import TemplateProcessing
    tok = load_tokenizer(path)
    tok.bos_token = "<|endoftext|>"
    bos = tok.convert_tokens_to_ids(tok.bos_token)
    tok.backend_tokenizer.post_processor = TemplateProcessing(single="<|endoftext|> $A", special_tokens=[("<|endoftext|>", bos)])
    tok.chat_template = "{{ bos_token }}" + tiny_model.CHAT_TEMPLATE
    return tok, bos


@unittest.skipIf(MISSING, MISSING)
class PromptIdsTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = tiny_model.ensure(tiny_model.default_cache(), log=lambda *_: None)

    def test_one_bos_when_the_template_writes_it(self):
        tok, bos = bos_adding_tokenizer(self.path)
        text = render_prompt(tok, MESSAGES)
        self.assertEqual(tok(text)["input_ids"][:2], [bos, bos], "text tokenized with special tokens doubles the BOS")
        ids = prompt_ids(tok, MESSAGES)
        self.assertEqual(ids[0], bos)
        self.assertEqual(ids.count(bos), 1)

    def test_ids_are_the_ones_training_used_for_the_prompt(self):
        for tok in (load_tokenizer(self.path), bos_adding_tokenizer(self.path)[0]):
            ids = prompt_ids(tok, MESSAGES)
            train_ids, labels = encode_pair(tok, MESSAGES, "positive", 512)
            n_prompt = labels.count(-100)
            self.assertEqual(ids, train_ids[:n_prompt])

    def test_transformers_batch_rows_are_the_prompt_ids_left_padded(self):
        for tok in (load_tokenizer(self.path), bos_adding_tokenizer(self.path)[0]):
            ids = [prompt_ids(tok, MESSAGES), prompt_ids(tok, SHORT)]
            batch = left_padded_batch(tok, ids)
            width = max(len(x) for x in ids)
            self.assertEqual(tuple(batch["input_ids"].shape), (2, width))
            for row, mask, want in zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist(), ids):
                self.assertEqual([t for t, m in zip(row, mask) if m], want)
                self.assertEqual(mask, [0] * (width - len(want)) + [1] * len(want), "padding on the left")


if __name__ == "__main__":
    unittest.main()
