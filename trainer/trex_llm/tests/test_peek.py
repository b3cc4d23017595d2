"""`peek-source`: a few rows of one source loaded and mapped, or the reason they cannot be."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

from trex_llm import config
from trex_llm.peek import peek_source
from trex_protocol.errors import InputError

from .helpers import SCRIPT, write_json, write_jsonl

ROWS = [{"text": f"the soup was {w}", "sentiment": s} for w, s in (("great", "pos"), ("cold", "neg"), ("fine", "pos"))]
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def recipe(mapping, **source):
    src = {"kind": "hf", "dataset": "data/reviews", "split": "train", **source}
    return config.parse_recipe({"sources": [src], "mapping": mapping})


class PeekSourceTests(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.realpath(tempfile.mkdtemp())
        os.makedirs(os.path.join(self.dir, "data", "reviews"))
        write_jsonl(os.path.join(self.dir, "data", "reviews", "train.jsonl"), ROWS)
        self.cwd = os.getcwd()
        os.chdir(self.dir)
        self.env = {k: os.environ.get(k) for k in (*OFFLINE, "HF_HOME")}
        os.environ.update(OFFLINE, HF_HOME=os.path.join(self.dir, ".hf"))

    def tearDown(self):
        os.chdir(self.cwd)
        for k, v in self.env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def test_a_local_dataset_folder_is_loaded_through_the_hub_loader_and_mapped(self):
        r = peek_source(recipe({"prompt": "Review: {text}", "response": "sentiment"}), 0, 2, self.dir)
        self.assertEqual(r["rows"], 2, "only the rows asked for are read")
        self.assertEqual(r["mapped"], 2)
        self.assertEqual(r["columns"], ["text", "sentiment"])
        self.assertEqual(r["examples"][0], {"prompt": "Review: the soup was great", "response": "pos"})

    def test_a_mapping_naming_a_missing_column_is_refused_with_the_columns_there_are(self):
        with self.assertRaises(InputError) as cm:
            peek_source(recipe({"prompt": "{sentence}", "response": "label"}), 0, 5, self.dir)
        self.assertEqual(cm.exception.field, "sources[0].mapping")
        self.assertIn("['text', 'sentiment']", str(cm.exception))

    def test_a_dataset_that_does_not_load_names_the_dataset(self):
        with self.assertRaises(InputError) as cm:
            peek_source(recipe({}, dataset="data/missing"), 0, 5, self.dir)
        self.assertEqual(cm.exception.field, "sources[0].dataset")
        self.assertIn("data/missing", str(cm.exception))

    def test_an_empty_file_source_is_refused(self):
        write_jsonl(os.path.join(self.dir, "data", "empty.jsonl"), [])
        with self.assertRaises(InputError) as cm:
            peek_source(recipe({}, kind="file", path="data/empty.jsonl", dataset=None), 0, 5, self.dir)
        self.assertIn("no rows", str(cm.exception))

    def test_the_command_prints_json_and_exits_2_on_a_bad_mapping(self):
        good = write_json(os.path.join(self.dir, "good.json"), {"sources": [{"kind": "hf", "dataset": "data/reviews"}],
                                                                 "mapping": {"prompt": "text", "response": "sentiment"}})
        bad = write_json(os.path.join(self.dir, "bad.json"), {"sources": [{"kind": "hf", "dataset": "data/reviews"}],
                                                               "mapping": {"prompt": "text", "response": "label"}})
        run = lambda path: subprocess.run([sys.executable, SCRIPT, "peek-source", "--recipe", path, "--source", "0", "--rows", "3"],
                                          capture_output=True, text=True, timeout=300)
        ok = run(good)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(json.loads(ok.stdout.strip().splitlines()[-1])["mapped"], 3)
        fail = run(bad)
        self.assertEqual(fail.returncode, 2)
        self.assertIn("the rows have the columns ['text', 'sentiment']", fail.stderr)


if __name__ == "__main__":
    unittest.main()
