"""The recipe runner (`prepare`) on local files, standard library only."""
import http.server
import json
import os
import tempfile
import threading
import unittest

from trex_llm import config
from trex_protocol.files import read_jsonl
from trex_llm.filters import near_dedup, quality_score
from trex_llm.language import detect_language
from trex_llm.mapping import map_row
from trex_llm.recipe import prepare

from .helpers import recipe_doc, run_cli, sentiment_files, task_doc, write_json, write_jsonl


class PrepareTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.rows = sentiment_files(self.dir)
        self.cwd = os.getcwd()
        os.chdir(self.dir)  # relative paths start at the experiment folder, the stage's cwd

    def tearDown(self):
        os.chdir(self.cwd)

    def prepare(self, recipe=None, task=None):
        t = config.parse_task(task or task_doc())
        r = config.parse_recipe(recipe or recipe_doc())
        stats = prepare(t, r, "data", os.path.join(self.dir, "cache"))
        return stats, {name: read_jsonl(os.path.join("data", f"{name}.jsonl")) for name in ("train", "validation", "test")}

    def test_writes_chat_rows_eval_sets_and_stats(self):
        stats, data = self.prepare()
        self.assertEqual(stats["num_examples"], 200)
        self.assertEqual(len(data["validation"]), 30)
        self.assertEqual(len(data["test"]), 40)  # from the CSV
        row = data["train"][0]
        self.assertEqual([m["role"] for m in row["messages"]], ["system", "user", "assistant"])
        self.assertTrue(row["messages"][1]["content"].startswith("Review: the food was"))
        self.assertIn(row["completion"][0]["content"], ("negative", "positive"))
        self.assertEqual(row["prompt"] + row["completion"], row["messages"])
        self.assertIn(data["test"][0]["reference"], ("negative", "positive"))
        for key in ("by_source", "dropped", "prompt_tokens", "response_tokens", "samples", "token_counter", "validation", "test"):
            self.assertIn(key, stats)
        self.assertEqual(stats["validation"]["from"], "task")
        self.assertEqual(len(stats["samples"]), 5)
        with open(os.path.join("data", "format.json")) as f:
            self.assertEqual(json.load(f)["template"], "chat")

    def test_never_trains_on_an_eval_prompt(self):
        with open("train.jsonl", "a") as f:
            f.write(json.dumps(self.rows[205]) + "\n")  # a validation row leaked into training
        stats, data = self.prepare()
        self.assertEqual(stats["dropped"]["decontaminated"], 1)
        eval_prompts = {r["prompt_text"] for r in data["validation"] + data["test"]}
        self.assertFalse(eval_prompts & {r["messages"][-2]["content"] for r in data["train"]})

    def test_holds_out_validation_when_the_task_has_none(self):
        task = task_doc()
        del task["task"]["eval_data"]["validation"]
        stats, data = self.prepare(recipe_doc(split={"validation": 0.1}), task)
        self.assertEqual((stats["validation"]["from"], len(data["validation"]), stats["num_examples"]), ("holdout", 20, 180))
        # Each eval row names its source, so bad-case analysis can slice errors by it.
        self.assertEqual({r["source"] for r in data["validation"]}, {r["name"] for r in recipe_doc()["sources"]})
        self.assertEqual({r["source"] for r in data["test"]}, {"test"})

    def test_mixing_by_weight_and_sampling(self):
        write_jsonl("extra.jsonl", [{"question": f"q{i}", "answer": "positive"} for i in range(50)])
        sources = [{"name": "main", "kind": "file", "path": "train.jsonl", "num_examples": 100, "weight": 3.0,
                    "params": {"values": {"label": {"0": "negative", "1": "positive"}}}},
                   {"name": "extra", "kind": "file", "path": "extra.jsonl", "weight": 1.0,
                    "params": {"mapping": {"prompt": "question", "response": "answer"}}}]
        stats, _ = self.prepare(recipe_doc(sources=sources, filters=[], mixing={"total": 400}))
        self.assertEqual(stats["num_examples"], 400)
        self.assertGreater(stats["by_source"]["main"], 2 * stats["by_source"]["extra"])

    def test_filters_count_what_they_drop(self):
        filters = [{"kind": "dedup"}, {"kind": "near_dedup", "threshold": 0.7}, {"kind": "length", "max_chars": 30},
                   {"kind": "language", "languages": ["en"]}, {"kind": "quality", "min_score": 0.5}]
        stats, _ = self.prepare(recipe_doc(filters=filters))
        self.assertGreater(stats["dropped"]["near_dedup"], 0)  # reviews differ only in two words and a number
        self.assertEqual(sum(stats["dropped"].values()) + stats["num_examples"], 200)

    def test_template_and_preference_rows(self):
        write_jsonl("pairs.jsonl", [{"q": f"question {i}", "good": "yes", "bad": "no"} for i in range(10)])
        recipe = recipe_doc(sources=[{"name": "pairs", "kind": "file", "path": "pairs.jsonl"}],
                            mapping={"prompt": "q", "response": "good", "rejected": "bad"}, format={"template": "qa"})
        stats, data = self.prepare(recipe)
        row = data["train"][0]
        self.assertTrue(row["prompt"][-1]["content"].startswith("Question: question"))
        self.assertEqual((row["chosen"][0]["content"], row["rejected"][0]["content"]), ("yes", "no"))
        self.assertEqual(row["rejected_message"], {"role": "assistant", "content": "no"})
        self.assertEqual(stats["with_rejected"], 10)

    def test_synthetic_source_from_an_openai_compatible_endpoint(self):
        replies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                replies.append(body)
                lines = "\n".join(json.dumps({"prompt": f"synthetic {len(replies)}-{i}", "response": "positive"}) for i in range(20))
                out = json.dumps({"choices": [{"message": {"content": "```\n" + lines + "\n```"}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        os.environ.update(TREX_SYNTH_BASE_URL=f"http://127.0.0.1:{server.server_port}/v1", TREX_SYNTH_MODEL="stub")
        self.addCleanup(lambda: [os.environ.pop(k, None) for k in ("TREX_SYNTH_BASE_URL", "TREX_SYNTH_MODEL")])
        src = {"name": "gen", "kind": "synthetic", "prompt": "Write reviews.", "num_examples": 30,
               "params": {"mapping": {"prompt": "prompt", "response": "response"}}}
        stats, _ = self.prepare(recipe_doc(sources=[src]))
        self.assertEqual((stats["num_examples"], len(replies)), (30, 2))
        self.assertEqual(replies[0]["model"], "stub")
        self.prepare(recipe_doc(sources=[src]))
        self.assertEqual(len(replies), 2, "a second prepare reads the cached generation")


class UnitTests(unittest.TestCase):
    def test_mapping_templates_values_and_detection(self):
        row = {"instruction": "Add", "input": "2+2", "output": "4", "meta": {"tags": ["a", "b"]}}
        self.assertEqual(map_row(row, {}, {}, "f"), {"prompt": "Add\n\n2+2", "response": "4"})
        self.assertEqual(map_row(row, {"response": "meta.tags"}, {"meta.tags": {"a": "A"}}, "f")["response"], "A; b")
        self.assertIsNone(map_row({"x": 1}, {"prompt": "{missing}", "response": "x"}, {}, "f"))
        self.assertEqual(map_row({"labels": []}, {"prompt": "p {labels}", "response": "labels"}, {}, "f")["response"], "none")

    def test_near_dedup_and_quality_and_language(self):
        a = {"prompt": "the quick brown fox jumps over the lazy dog today", "response": "yes"}
        b = {"prompt": "the quick brown fox jumps over the lazy dog today!", "response": "yes"}
        c = {"prompt": "an entirely different sentence about sailing boats at dawn", "response": "no"}
        self.assertEqual(near_dedup([a, b, c], 0.8), [a, c])
        self.assertLess(quality_score({"prompt": "hi there", "response": ""}), 0.5)
        self.assertGreaterEqual(quality_score(a), 0.5)
        self.assertEqual([detect_language(t) for t in ("the cat is on the mat", "这是一个测试句子", "le chat est dans la maison")],
                         ["en", "zh", "fr"])


class CliTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        sentiment_files(self.dir)

    def run_prepare(self, task, recipe):
        write_json(os.path.join(self.dir, "task.json"), task)
        write_json(os.path.join(self.dir, "recipe.json"), recipe)
        return run_cli(self.dir, "prepare", "--task", "task.json", "--recipe", "recipe.json", "--out", "cache/data/x",
                       "--cache", "cache")

    def test_prepare_command(self):
        r = self.run_prepare(task_doc(), recipe_doc())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("200 training examples", r.stdout)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "cache/data/x/stats.json")))

    def test_bad_input_exits_2_naming_the_field(self):
        cases = [
            (recipe_doc(filters=[{"kind": "magic"}]), "filters[0].kind"),
            (recipe_doc(sources=[{"name": "m", "kind": "file", "path": "nope.jsonl"}]), "sources[0].path"),
            (recipe_doc(sources=[{"name": "m", "kind": "generator", "generator": "addition"}]), "sources[0].kind"),
            (recipe_doc(format={"template": "fancy"}), "format.template"),
        ]
        for recipe, field in cases:
            r = self.run_prepare(task_doc(), recipe)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(f"invalid input: {field}", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1)

    def test_hf_sources_without_datasets_say_what_to_install(self):
        try:
            import datasets  # noqa: F401
            self.skipTest("datasets is installed here")
        except ImportError:
            pass
        r = self.run_prepare(task_doc(), recipe_doc(sources=[{"name": "s", "kind": "hf", "dataset": "stanfordnlp/sst2"}]))
        self.assertEqual(r.returncode, 2)
        self.assertIn("sources[0].kind: hf sources need the `datasets` package", r.stderr)


if __name__ == "__main__":
    unittest.main()
