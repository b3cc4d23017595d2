"""FT-Bench specs against rows shaped like the real datasets' rows (no hub here): HOC's list of
ClassLabel ids becomes hallmark names through the spec's params.values, and a hub id that is a
loading script (refused by datasets >= 4) fails with an error that says so."""
import os
import tempfile
import unittest

import yaml

from trex_llm import config
from trex_llm.answers import read_answer
from trex_llm.errors import InputError
from trex_llm.mapping import map_row
from trex_llm.metrics import score_split
from trex_llm.sources import load_rows

from .helpers import TRAINER

EXAMPLES = os.path.join(os.path.dirname(TRAINER), "examples", "ft-bench")


def spec(task):
    with open(os.path.join(EXAMPLES, task, "trex.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


class HocLabelTests(unittest.TestCase):
    # bigbio/hallmarks_of_cancer, hallmarks_of_cancer_source: label = Sequence(ClassLabel), 7 = "none".
    ROWS = [{"document_id": "12345_1", "text": "Tumour cells invade and form new vessels.", "label": [5, 8]},
            {"document_id": "12345_2", "text": "Patients were recruited in 2004.", "label": []},
            {"document_id": "12345_3", "text": "No hallmark here.", "label": [7]},
            {"document_id": "12345_4", "text": "Telomerase keeps them dividing.", "label": [2]}]

    def setUp(self):
        self.doc = spec("hoc")
        self.task = config.parse_task(self.doc)
        self.eval_data = self.doc["task"]["eval_data"]

    def references(self, value_map):
        rows = [map_row(r, self.eval_data["mapping"], value_map, "task.eval_data") for r in self.ROWS]
        return [read_answer(r["response"], self.task["answer"]) for r in rows], [r["response"] for r in rows]

    def test_list_labels_become_hallmark_names(self):
        refs, texts = self.references(self.task["eval_params"]["values"])
        self.assertEqual(texts[0], "activating invasion and metastasis; inducing angiogenesis")
        self.assertEqual(refs, [["activating invasion and metastasis", "inducing angiogenesis"], [], [],
                                ["enabling replicative immortality"]])
        scores, _ = score_split(refs, refs, "macro_f1", self.task["answer"]["labels"])
        self.assertEqual(scores["macro_f1"], 1.0)

    def test_the_recipe_maps_training_rows_the_same_way(self):
        source = self.doc["baseline"]["recipe"]["sources"][0]
        self.assertEqual(source["params"]["values"], self.task["eval_params"]["values"])

    def test_without_the_values_map_every_reference_is_empty(self):
        refs, _ = self.references({})
        self.assertEqual(refs, [[], [], [], []], "ids alone name no hallmark: macro-F1 would mean nothing")

    def test_every_hallmark_name_is_an_answer_label(self):
        names = set(self.task["eval_params"]["values"]["label"].values()) - {"none"}
        self.assertEqual(names, set(self.task["answer"]["labels"]))


class ScriptDatasetTests(unittest.TestCase):
    def test_a_loading_script_is_refused_with_a_clear_error(self):
        folder = os.path.join(tempfile.mkdtemp(), "hallmarks_of_cancer")
        os.makedirs(folder)
        with open(os.path.join(folder, "hallmarks_of_cancer.py"), "w") as f:
            f.write("import datasets\n")
        src = config.parse_source({"kind": "hf", "dataset": folder, "split": "train"}, "recipe.sources.0", "hoc")
        with self.assertRaises(InputError) as e:
            load_rows(src, tempfile.mkdtemp())
        self.assertEqual(e.exception.field, "recipe.sources.0.dataset")
        self.assertIn("is a dataset loading script, which datasets >= 4 no longer runs", str(e.exception))
        self.assertIn("kind: file", str(e.exception))


if __name__ == "__main__":
    unittest.main()
