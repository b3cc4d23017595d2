"""The built-in Hugging Face script end to end on CPU: prepare -> train
(LoRA SFT, full DPO) -> evaluate, with a tiny randomly initialised model built
here (no downloads). Skips where transformers or peft are not installed."""
import json
import os
import tempfile
import unittest

from .helpers import recipe_doc, run_cli, sentiment_files, task_doc, write_json, write_jsonl

try:
    import peft  # noqa: F401
    import transformers  # noqa: F401
    MISSING = None
except ImportError as e:
    MISSING = f"needs transformers and peft ({e}); they run on the GPU machine (bench/gpu/run.sh)"

CPU = {"CUDA_VISIBLE_DEVICES": "", "TREX_THREADS": "2", "OMP_NUM_THREADS": "2"}


@unittest.skipIf(MISSING, MISSING)
class HfScriptTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from .tiny_model import build, corpus_words
        cls.dir = tempfile.mkdtemp()
        sentiment_files(cls.dir, n_train=64, n_val=16, n_test=16)
        write_jsonl(os.path.join(cls.dir, "pairs.jsonl"),
                    [{"sentence": f"the food was great ({i})", "good": "positive", "bad": "negative"} for i in range(16)])
        files = [os.path.join(cls.dir, f) for f in ("train.jsonl", "val.jsonl", "pairs.jsonl")]
        build(os.path.join(cls.dir, "tiny"), corpus_words(files) + ["Review", "Classify", "the", "review", "positive", "negative"],
              hidden=32, layers=2)
        task = task_doc(base_model="./tiny")
        task["evaluation"].update(validation_size=16, test_size=16)
        write_json(os.path.join(cls.dir, "task.json"), task)

    def cli(self, *args):
        r = run_cli(self.dir, *args, env=CPU)
        self.assertEqual(r.returncode, 0, f"{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
        return r

    def prepare(self, name, recipe):
        write_json(os.path.join(self.dir, f"{name}.json"), recipe)
        self.cli("prepare", "--task", "task.json", "--recipe", f"{name}.json", "--out", f"data-{name}", "--cache", "cache")

    def train(self, name, data, **cfg):
        doc = {"framework": "hf", "base_model": "./tiny", "method": "sft", "finetuning": "lora", "learning_rate": 0.005,
               "max_steps": 6, "batch_size": 8, "max_seq_len": 64, "precision": "bf16", "gradient_checkpointing": True,
               "lora": {"rank": 4, "alpha": 8, "dropout": 0.0, "target": "all"}, "notes": ["a note from rendering"],
               "epochs": 1, "gradient_accumulation_steps": 1, "warmup_ratio": 0.0, "weight_decay": 0.0,
               "lr_scheduler": "cosine", "dpo_beta": 0.1, "seed": 0, "report_to": "none", "tensorboard_dir": None,
               "eval_steps": None}
        doc.update(cfg)
        write_json(os.path.join(self.dir, f"{name}.cfg.json"), doc)
        return self.cli("train", "--task", "task.json", "--config", f"{name}.cfg.json", "--data", data, "--out", f"ckpt-{name}")

    def test_eval_loss_during_training_reaches_progress_and_log(self):
        self.prepare("evl", recipe_doc())
        r = self.train("evl", "data-evl", eval_steps=2)
        progress = [json.loads(l[len("TREX_PROGRESS "):]) for l in r.stdout.splitlines() if l.startswith("TREX_PROGRESS ")]
        evals = [p for p in progress if "eval_value" in p]
        self.assertEqual([p["step"] for p in evals], [2, 4, 6])
        self.assertTrue(all(p["eval_metric"] == "loss" and p["eval_value"] > 0 and p["total"] == 6 for p in evals), evals)
        with open(os.path.join(self.dir, "ckpt-evl", "trainer_log.jsonl")) as f:
            logged = [json.loads(l) for l in f if "eval_loss" in l]
        self.assertEqual([l["current_steps"] for l in logged], [2, 4, 6])

    def test_lora_sft_then_evaluate(self):
        self.prepare("sft", recipe_doc())
        r = self.train("sft", "data-sft")
        self.assertIn("note: a note from rendering", r.stdout)
        self.assertIn("note: precision bf16 needs a GPU; training in fp32 on CPU", r.stdout)
        progress = [json.loads(l.split(" ", 1)[1]) for l in r.stdout.splitlines() if l.startswith("TREX_PROGRESS ")]
        self.assertTrue(progress and progress[-1]["step"] == 6 and progress[-1]["total"] == 6, r.stdout)
        ckpt = os.path.join(self.dir, "ckpt-sft")
        for f in ("adapter_config.json", "trainer_log.jsonl", "trainer_state.json", "all_results.json", "train_results.json", "format.json"):
            self.assertTrue(os.path.exists(os.path.join(ckpt, f)), f)
        self.cli("evaluate", "--task", "task.json", "--ckpt", "ckpt-sft", "--data", "data-sft", "--out", "metrics.json",
                 "--predictions", "predictions.jsonl")
        with open(os.path.join(self.dir, "metrics.json")) as f:
            metrics = json.load(f)
        self.assertEqual((metrics["metric"], metrics["validation"]["n"], metrics["test"]["n"]), ("accuracy", 16, 16))
        self.assertTrue(0 <= metrics["validation"]["accuracy"] <= 1)
        with open(os.path.join(self.dir, "predictions.jsonl")) as f:
            self.assertEqual(len(f.readlines()), 32)

    def test_full_dpo(self):
        recipe = recipe_doc(sources=[{"name": "pairs", "kind": "file", "path": "pairs.jsonl"}],
                            mapping={"prompt": "Review: {sentence}", "response": "good", "rejected": "bad"})
        self.prepare("dpo", recipe)
        self.train("dpo", "data-dpo", method="dpo", finetuning="full", max_steps=3, batch_size=4, gradient_checkpointing=False)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "ckpt-dpo", "config.json")), "a full model was saved")


if __name__ == "__main__":
    unittest.main()
