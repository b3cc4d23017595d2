"""Token counts for data stats: the base model's own tokenizer.json when it is on this machine
(a local folder, or the tiny model TREX builds under its reserved name), an estimate otherwise,
and transformers is not imported when there is nothing for it to load."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

TRAINER = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROBE = """
import json, sys
from trex_llm.tokens import TokenCounter
c = TokenCounter(sys.argv[1])
print(json.dumps({"name": c.name, "count": c.count("the food was great"), "transformers": "transformers" in sys.modules}))
"""


def write_word_tokenizer(folder):
    from tokenizers import Tokenizer, models, pre_tokenizers
    vocab = {w: i for i, w in enumerate(["<unk>", "the", "food", "was", "great"])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    os.makedirs(folder, exist_ok=True)
    tok.save(os.path.join(folder, "tokenizer.json"))


class TokenCounterTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.env = {**os.environ, "PYTHONPATH": TRAINER, "TREX_CACHE": os.path.join(self.tmp.name, "cache"),
                    "HF_HUB_CACHE": os.path.join(self.tmp.name, "hub"), "HF_HUB_OFFLINE": "1"}

    def probe(self, base_model):
        out = subprocess.run([sys.executable, "-c", PROBE, base_model], env=self.env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def test_a_local_folder_uses_its_tokenizer_json_without_transformers(self):
        folder = os.path.join(self.tmp.name, "model")
        write_word_tokenizer(folder)
        r = self.probe(folder)
        self.assertEqual(r, {"name": f"tokenizer:{folder}", "count": 4, "transformers": False})

    def test_the_reserved_tiny_model_name_reads_the_built_model_tokenizer(self):
        from trex_llm import tiny_model
        folder = tiny_model.model_dir(self.env["TREX_CACHE"])
        write_word_tokenizer(folder)
        with open(os.path.join(folder, "trex_tiny_model.json"), "w") as f:
            f.write("{}")
        r = self.probe("trex:tiny-llama")
        self.assertEqual(r, {"name": "tokenizer:trex:tiny-llama", "count": 4, "transformers": False})

    def test_a_model_that_is_not_on_this_machine_is_estimated_without_importing_transformers(self):
        r = self.probe("some-org/not-downloaded")
        self.assertEqual(r["name"], "approx_chars_div_4")
        self.assertEqual(r["count"], (len("the food was great") + 3) // 4)
        self.assertFalse(r["transformers"])


if __name__ == "__main__":
    unittest.main()
