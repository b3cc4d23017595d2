"""Unit tests for the micro trainer. Run:
    /usr/bin/python3 -m unittest discover -s trainer -p 'test_*.py'
Training tests use a randomly initialised base model written into a temp
cache, so the suite never spends ~25 s pretraining."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
SCRIPT = os.path.join(HERE, "trex_micro.py")

from trex_micro import config  # noqa: E402
from trex_micro.prepare import eval_prompts, prepare  # noqa: E402
from trex_protocol.files import read_jsonl  # noqa: E402
from trex_micro.tasks import TASKS  # noqa: E402
from trex_micro.tasks.sentiment import lexicon_vote  # noqa: E402


def task_doc(generator, val=20, test=30):
    metric = "accuracy" if generator == "sentiment" else "exact_match"
    return {"name": generator, "base_model": "micro-gpt", "task": {"kind": "micro", "generator": generator},
            "metric": {"name": metric, "goal": "maximize"},
            "evaluation": {"validation_size": val, "test_size": test, "seed": 1234}}


def recipe_doc(generator, n=200, **extra):
    doc = {"sources": [{"name": "main", "kind": "generator", "generator": generator, "num_examples": n,
                        "weight": 1.0, "params": {}}],
           "format": {"template": "plain"}, "filters": [], "augmentation": {"paraphrase": False},
           "mixing": {"total": None}, "seed": 0}
    doc.update(extra)
    return doc


TRAIN_DOC = {"framework": "micro", "method": "sft", "finetuning": "full", "learning_rate": 0.001, "epochs": 1,
             "max_steps": 4, "batch_size": 8, "lora": {"rank": 4, "alpha": 8, "dropout": 0.0},
             "warmup_ratio": 0.1, "weight_decay": 0.0, "lr_scheduler": "cosine", "max_seq_len": 96, "seed": 0,
             "eval_steps": None}


def run_cli(*args):
    env = dict(os.environ, TREX_THREADS="1")
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, env=env)


def write_json(directory, name, doc):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def prepared(generator, **recipe_extra):
    task = config.parse_task(task_doc(generator))
    recipe = config.parse_recipe(recipe_doc(generator, **recipe_extra), task)
    out = tempfile.mkdtemp()
    stats = prepare(task, recipe, os.path.join(out, "data"))
    return stats, read_jsonl(os.path.join(out, "data", "train.jsonl"))


class GeneratorTests(unittest.TestCase):
    def test_eval_sets_deterministic_and_disjoint(self):
        for task in TASKS.values():
            val, test = task.eval_sets(7, 50, 60)
            self.assertEqual((val, test), task.eval_sets(7, 50, 60), task.name)
            self.assertEqual(len({r["prompt"] for r in val + test}), 110, task.name)
            self.assertNotEqual(val, task.eval_sets(8, 50, 60)[0], task.name)

    def test_training_data_excludes_eval_prompts(self):
        for name in TASKS:
            task = config.parse_task(task_doc(name, 100, 100))
            forbidden = eval_prompts(task)
            out = os.path.join(tempfile.mkdtemp(), "d")
            prepare(task, config.parse_recipe(recipe_doc(name, n=2000), task), out)
            raw = {TASKS[name].render_prompt(p, "plain") for p in forbidden}
            prompts = {r["prompt"] for r in read_jsonl(os.path.join(out, "train.jsonl"))}
            self.assertFalse(prompts & raw, name)

    def test_prepare_is_deterministic(self):
        self.assertEqual(prepared("dates")[1], prepared("dates")[1])


class RecipeTests(unittest.TestCase):
    def test_dedup_and_length_filters(self):
        stats, rows = prepared("addition", n=3000, filters=[{"kind": "dedup"}, {"kind": "length", "max_chars": 8}])
        self.assertGreater(stats["dropped"]["dedup"], 0)
        self.assertGreater(stats["dropped"]["length"], 0)
        self.assertEqual(len({r["prompt"] for r in rows}), len(rows))
        self.assertTrue(all(len(r["prompt"]) + len(r["response"]) <= 8 for r in rows))

    def test_reversed_template_reverses_answers(self):
        _, plain = prepared("addition")
        _, rev = prepared("addition", format={"template": "reversed"})
        self.assertEqual([r["response"][::-1] for r in rev], [r["response"] for r in plain])
        self.assertTrue(all(str(eval(r["prompt"][:-1])) == r["response"] for r in plain))

    def test_label_agreement_removes_noisy_labels(self):
        stats, rows = prepared("sentiment", n=1000,
                               filters=[{"kind": "label_agreement", "min_agreement": 0.5}])
        self.assertGreater(stats["dropped"]["label_agreement"], 200)  # ~30% noise by default
        for r in rows:
            want = 1 if r["response"] == "positive" else -1
            self.assertTrue(all(v == want for v in lexicon_vote(r["prompt"][:-4])))

    def test_paraphrase_adds_phrasings(self):
        from trex_micro.tasks.extraction import CITIES, NAMES

        def shapes(rows):  # the phrasing with names, ages and cities blanked out
            out = set()
            for r in rows:
                words = [("X" if w.strip(",.()") in NAMES + CITIES or w.strip(",.()").isdigit() else w)
                         for w in r["prompt"].split()]
                out.add(" ".join(words))
            return out
        _, narrow = prepared("extraction", n=300)
        _, wide = prepared("extraction", n=300, augmentation={"paraphrase": True})
        self.assertEqual(len(shapes(narrow)), 2)
        self.assertGreater(len(shapes(wide)), 4)

    def test_mixing_follows_weights_and_total(self):
        sources = [{"name": "easy", "generator": "dates", "num_examples": 500, "weight": 0.8, "params": {"style": "easy"}},
                   {"name": "hard", "generator": "dates", "num_examples": 500, "weight": 0.2, "params": {"style": "hard"}}]
        stats, rows = prepared("dates", sources=sources, mixing={"total": 1000})
        self.assertEqual(stats["num_examples"], 1000)
        self.assertGreater(stats["by_source"]["easy"], 700)
        self.assertLess(stats["by_source"]["hard"], 300)

    def test_stats_shape(self):
        stats, rows = prepared("addition", filters=[{"kind": "dedup"}])
        self.assertEqual(set(stats), {"num_examples", "by_source", "dropped", "prompt_chars", "response_chars", "samples"})
        self.assertEqual(stats["samples"], rows[:5])
        self.assertEqual(set(stats["prompt_chars"]), {"mean", "max"})


class CliTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import torch
        from trex_micro import model as model_lib
        cls.dir = tempfile.mkdtemp()
        cls.cache = os.path.join(cls.dir, "cache")
        torch.manual_seed(0)
        model_lib.save(model_lib.build("micro-gpt"), os.path.join(cls.cache, "base", "micro-gpt.pt"))
        cls.task = write_json(cls.dir, "task.json", task_doc("addition", 10, 10))
        cls.recipe = write_json(cls.dir, "recipe.json", recipe_doc("addition", format={"template": "reversed"}))
        cls.data = os.path.join(cls.dir, "data")
        r = run_cli("prepare", "--task", cls.task, "--recipe", cls.recipe, "--out", cls.data)
        assert r.returncode == 0, r.stderr

    def assert_exit2(self, field, doc):
        path = write_json(self.dir, "bad.json", doc)
        r = run_cli("prepare", "--task", self.task, "--recipe", path, "--out", os.path.join(self.dir, "bad"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(field, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "bad")))

    def test_bad_recipe_fields_exit_2(self):
        self.assert_exit2("filters[0].kind", recipe_doc("addition", filters=[{"kind": "magic"}]))
        self.assert_exit2("format.template", recipe_doc("addition", format={"template": "fancy"}))
        self.assert_exit2("sources[0].num_examples", {"sources": [{"name": "m", "generator": "addition"}]})
        self.assert_exit2("filters[0].kind", recipe_doc("addition", filters=[{"kind": "label_agreement"}]))

    def test_bad_train_config_exit_2(self):
        cfg = write_json(self.dir, "badtrain.json", dict(TRAIN_DOC, finetuning="qlora"))
        r = run_cli("train", "--task", self.task, "--config", cfg, "--data", self.data,
                    "--out", os.path.join(self.dir, "x"), "--cache", self.cache)
        self.assertEqual(r.returncode, 2)
        self.assertIn("finetuning", r.stderr)

    def test_train_config_missing_field_exit_2(self):
        # The engine renders every field; the trainer names a missing one instead of defaulting it.
        for key in ("learning_rate", "warmup_ratio", "max_steps", "lora"):
            doc = {k: v for k, v in TRAIN_DOC.items() if k != key}
            cfg = write_json(self.dir, f"no-{key}.json", doc)
            r = run_cli("train", "--task", self.task, "--config", cfg, "--data", self.data,
                        "--out", os.path.join(self.dir, "x"), "--cache", self.cache)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(f"{key}: is ", r.stderr)
        doc = dict(TRAIN_DOC, lora={"rank": 4, "alpha": 8})
        r = run_cli("train", "--task", self.task, "--config", write_json(self.dir, "no-dropout.json", doc), "--data",
                    self.data, "--out", os.path.join(self.dir, "x"), "--cache", self.cache)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("lora.dropout: is required", r.stderr)

    def check_run_outputs(self, ckpt, stdout, total):
        for name in ("model.pt", "trainer_log.jsonl", "trainer_state.json", "all_results.json",
                     "train_results.json", "format.json"):
            self.assertTrue(os.path.exists(os.path.join(ckpt, name)), name)
        logs = read_jsonl(os.path.join(ckpt, "trainer_log.jsonl"))
        self.assertEqual(set(logs[-1]), {"current_steps", "total_steps", "loss", "lr", "epoch", "percentage",
                                         "elapsed_time", "remaining_time"})
        self.assertEqual((logs[-1]["current_steps"], logs[-1]["total_steps"]), (total, total))
        with open(os.path.join(ckpt, "trainer_state.json")) as f:
            state = json.load(f)
        self.assertEqual(state["global_step"], total)
        self.assertEqual(set(state["log_history"][0]), {"step", "loss", "learning_rate", "epoch"})
        self.assertEqual(state["total_flos"], 0)
        with open(os.path.join(ckpt, "all_results.json")) as f:
            self.assertEqual(set(json.load(f)), {"epoch", "train_loss", "train_runtime",
                                                 "train_samples_per_second", "train_steps_per_second"})
        progress = [json.loads(l[len("TREX_PROGRESS "):]) for l in stdout.splitlines()
                    if l.startswith("TREX_PROGRESS ")]
        self.assertEqual(progress[-1]["step"], total)
        self.assertEqual(set(progress[-1]), {"step", "total", "loss", "epoch"})

    def test_train_full_lora_warm_start_and_evaluate(self):
        cfg = write_json(self.dir, "train.json", TRAIN_DOC)
        ckpt = os.path.join(self.dir, "ckpt")
        r = run_cli("train", "--task", self.task, "--config", cfg, "--data", self.data, "--out", ckpt, "--cache", self.cache)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_run_outputs(ckpt, r.stdout, 4)

        lora_cfg = write_json(self.dir, "lora.json", dict(TRAIN_DOC, finetuning="lora", max_steps=3))
        child = os.path.join(self.dir, "child")
        r = run_cli("train", "--task", self.task, "--config", lora_cfg, "--data", self.data, "--out", child,
                    "--cache", self.cache, "--init", ckpt)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_run_outputs(child, r.stdout, 3)

        metrics = os.path.join(self.dir, "metrics.json")
        preds = os.path.join(self.dir, "preds.jsonl")
        r = run_cli("evaluate", "--task", self.task, "--ckpt", child, "--out", metrics, "--predictions", preds)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(metrics) as f:
            m = json.load(f)
        self.assertEqual(m["metric"], "exact_match")
        self.assertEqual(m["validation"]["n"], 10)
        self.assertEqual(m["test"]["n"], 10)
        self.assertTrue(0 <= m["test"]["exact_match"] <= 1)
        rows = read_jsonl(preds)
        self.assertEqual(set(rows[0]), {"split", "prompt", "expected", "predicted", "correct"})
        self.assertEqual(len(rows), 20)


    def test_interim_evals_checkpoint_and_exact_resume(self):
        import torch
        plain, evald, resumed = (os.path.join(self.dir, n) for n in ("plain", "evald", "resumed"))
        doc = dict(TRAIN_DOC, max_steps=6, batch_size=4)
        for out, steps in ((plain, None), (evald, 2)):
            cfg = write_json(self.dir, f"interim-{steps}.json", dict(doc, eval_steps=steps))
            r = run_cli("train", "--task", self.task, "--config", cfg, "--data", self.data, "--out", out, "--cache", self.cache)
            self.assertEqual(r.returncode, 0, r.stderr)
        progress = [json.loads(l[len("TREX_PROGRESS "):]) for l in r.stdout.splitlines() if l.startswith("TREX_PROGRESS ")]
        evals = [p for p in progress if "eval_value" in p]
        self.assertEqual([p["step"] for p in evals], [2, 4])  # not at the last step: the evaluate stage scores that
        self.assertTrue(all(p["eval_metric"] == "exact_match" and 0 <= p["eval_value"] <= 1 for p in evals))
        logged = [l for l in read_jsonl(os.path.join(evald, "trainer_log.jsonl")) if "eval_exact_match" in l]
        self.assertEqual([l["current_steps"] for l in logged], [2, 4])

        def weights(out):
            return torch.load(os.path.join(out, "model.pt"), map_location="cpu")["state_dict"]
        # Evaluating during training does not change what training computes.
        for k, v in weights(plain).items():
            self.assertTrue(torch.equal(v, weights(evald)[k]), k)
        state = os.path.join(evald, "checkpoint", "step-4.pt")
        r = run_cli("train", "--task", self.task, "--config", cfg, "--data", self.data, "--out", resumed,
                    "--cache", self.cache, "--resume", state)
        self.assertEqual(r.returncode, 0, r.stderr)
        steps = [json.loads(l[len("TREX_PROGRESS "):])["step"] for l in r.stdout.splitlines() if l.startswith("TREX_PROGRESS ")]
        self.assertEqual(min(steps), 5)
        for k, v in weights(evald).items():
            self.assertTrue(torch.equal(v, weights(resumed)[k]), k)


class DecodeTests(unittest.TestCase):
    def test_left_padded_batch_matches_single_decoding(self):
        import torch
        from trex_micro import model as model_lib
        from trex_micro.evaluate import greedy_decode
        torch.manual_seed(1)
        m = model_lib.build("micro-gpt")
        prompts = ["12+3=", "Alice is 30 years old and lives in Rome. => ", "5 Mar 2021 => "]
        batched = greedy_decode(m, prompts, 8)
        single = [greedy_decode(m, [p], 8)[0] for p in prompts]
        self.assertEqual(batched, single)


if __name__ == "__main__":
    unittest.main()
