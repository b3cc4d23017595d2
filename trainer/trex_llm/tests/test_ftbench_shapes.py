"""FT-Bench specs against rows shaped like the real datasets' rows (no hub here): HOC's list of
ClassLabel ids becomes hallmark names through the spec's params.values; a hub id that is a
loading script (refused by datasets >= 4) fails with an error that says so; CS-Bench's mixed
string/bool `Answer` and DISC-Law-SFT's differently shaped JSONL files, which the datasets JSON
builder refuses, are read as files and mapped per source."""
import os
import tempfile
import unittest

from trex_llm import config
from trex_llm.answers import read_answer
from trex_protocol.errors import InputError
from trex_llm.mapping import map_row
from trex_llm.metrics import score_split
from trex_llm.sources import load_rows, read_file_rows

from .helpers import TRAINER, write_jsonl

try:
    import datasets  # noqa: F401
    import yaml
    MISSING = None
except ImportError as e:
    MISSING = f"needs datasets and PyYAML ({e}); the trainer venv has them (.ci/setup.sh)"

EXAMPLES = os.path.join(os.path.dirname(TRAINER), "examples", "ft-bench")


def spec(task):
    with open(os.path.join(EXAMPLES, task, "trex.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


@unittest.skipIf(MISSING, MISSING)
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


def hub_json_builder_refuses(paths):
    """What a config-less hub load does with these JSONL files: the datasets JSON builder."""
    import datasets
    try:
        datasets.load_dataset("json", data_files=paths, split="train", cache_dir=tempfile.mkdtemp())
    except datasets.exceptions.DatasetGenerationError:
        return True
    return False


def mapped(doc_mapping, source, rows, field):
    params = source.get("params") or {}
    mapping = dict(doc_mapping, **(params.get("mapping") or {}))
    return [map_row(r, mapping, params.get("values") or {}, field) for r in rows]


@unittest.skipIf(MISSING, MISSING)
class CsBenchTests(unittest.TestCase):
    # CS-Bench/English/test.jsonl: a letter for multiple choice, a boolean for assertions.
    ROWS = [{"ID": 1, "Domain": "Data Structure and Algorithm", "Format": "Multiple-choice", "Language": "English",
             "Question": "Which structure is LIFO?", "A": "Queue", "B": "Stack", "C": "Heap", "D": "Tree", "Answer": "B"},
            {"ID": 2, "Domain": "Operating System", "Format": "Assertion", "Language": "English",
             "Question": "A process can own several threads.", "Answer": True},
            {"ID": 3, "Domain": "Computer Network", "Format": "Fill-in-the-blank", "Language": "English",
             "Question": "TCP is a ___ protocol.", "Answer": "transport layer"}]

    def test_mixed_answers_are_read_as_files_and_multiple_choice_maps(self):
        path = write_jsonl(os.path.join(tempfile.mkdtemp(), "test.jsonl"), self.ROWS)
        self.assertTrue(hub_json_builder_refuses([path]), "the Arrow JSON reader refuses a str/bool column")
        doc = spec("cs-bench")
        test_source = config.parse_source(doc["task"]["eval_data"]["test"], "task.eval_data.test", "test")
        self.assertEqual(test_source["kind"], "file")
        rows = read_file_rows(path, "task.eval_data.test")
        examples = mapped(doc["task"]["eval_data"]["mapping"], {}, rows, "task.eval_data")
        self.assertEqual(examples[1:], [None, None], "items without options do not map")
        self.assertEqual(examples[0]["prompt"], "Which structure is LIFO?\nA. Queue\nB. Stack\nC. Heap\nD. Tree")
        task = config.parse_task(doc)
        self.assertEqual(read_answer(examples[0]["response"], task["answer"]), "B")


@unittest.skipIf(MISSING, MISSING)
class DiscLawTests(unittest.TestCase):
    PAIR = [{"id": "pair_qa_1", "input": "借款到期不还怎么办？", "output": "可以起诉。"}]
    TRIPLET = [{"id": "triplet_qa_1", "input": "离婚时财产如何分割？", "output": "协议分割。",
                "reference": ["《民法典》第一千零八十七条", "《民法典》第一千零六十二条"]}]

    def test_the_two_shapes_load_as_separate_file_sources(self):
        tmp = tempfile.mkdtemp()
        pair = write_jsonl(os.path.join(tmp, "DISC-Law-SFT-Pair-QA-released.jsonl"), self.PAIR)
        triplet = write_jsonl(os.path.join(tmp, "DISC-Law-SFT-Triplet-QA-released.jsonl"), self.TRIPLET)
        self.assertTrue(hub_json_builder_refuses([pair, triplet]), "one load of files with different columns fails")
        recipe = spec("lawbench")["baseline"]["recipe"]
        sources = recipe["sources"]
        self.assertEqual([s["kind"] for s in sources], ["file", "file"])
        self.assertEqual([os.path.basename(s["path"]) for s in sources], [os.path.basename(pair), os.path.basename(triplet)])
        [p] = mapped(recipe["mapping"], sources[0], read_file_rows(pair, "p"), "recipe.sources.0")
        [t] = mapped(recipe["mapping"], sources[1], read_file_rows(triplet, "t"), "recipe.sources.1")
        self.assertEqual((p["prompt"], p["response"]), ("借款到期不还怎么办？", "可以起诉。"))
        self.assertEqual(t["prompt"], "参考法条：《民法典》第一千零八十七条; 《民法典》第一千零六十二条\n离婚时财产如何分割？")
        self.assertEqual(t["response"], "协议分割。")


@unittest.skipIf(MISSING, MISSING)
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
