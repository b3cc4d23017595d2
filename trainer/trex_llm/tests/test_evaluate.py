"""Scoring of generated outputs, custom scripts and lm-eval results (no model needed)."""
import json
import os
import sys
import tempfile
import textwrap
import unittest

from trex_llm import config
from trex_llm.evaluate import run_script, score_predictions
from trex_llm.lm_eval import lm_eval_settings, sample_predictions, to_metrics, newest_results

from .helpers import task_doc


class ScoringTests(unittest.TestCase):
    def test_predictions_carry_what_bad_case_analysis_needs(self):
        task = config.parse_task(task_doc())
        sets = {"validation": [{"id": "v1", "prompt_text": "Review: good", "reference": "positive"},
                               {"id": "v2", "prompt_text": "Review: bad", "reference": "negative", "source": "sst2"}]}
        result, preds = score_predictions(task, sets, {"validation": ["Positive!", "positive"]})
        self.assertEqual(result["validation"]["accuracy"], 0.5)
        self.assertEqual(result["validation"]["n"], 2)
        self.assertIsNone(preds[0]["source"], "eval data prepared before sources were written")
        self.assertEqual(preds[1], {"split": "validation", "id": "v2", "source": "sst2", "prompt": "Review: bad", "expected": "negative",
                                    "predicted": "positive", "output": "positive", "score": 0.0, "correct": False})

    def test_custom_script_metrics(self):
        tmp = tempfile.mkdtemp()
        script = os.path.join(tmp, "score.py")
        with open(script, "w") as f:
            f.write(textwrap.dedent("""
                import json, sys
                args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
                rows = [json.loads(l) for l in open(args["--predictions"])]
                json.dump({"my_score": len(rows) / 10, "label": "ignored"}, open(args["--out"], "w"))
            """))
        preds = [{"split": "test", "id": str(i)} for i in range(3)] + [{"split": "validation", "id": "x"}]
        got = run_script(f"{sys.executable} {script} --predictions {{predictions}} --out {{out}}", "test", preds)
        self.assertEqual(got, {"my_score": 0.3})


class LmEvalTests(unittest.TestCase):
    def test_results_and_samples_are_converted(self):
        out = tempfile.mkdtemp()
        model_dir = os.path.join(out, "nodes__n0001__ckpt")
        os.makedirs(model_dir)
        with open(os.path.join(model_dir, "results_2026-01-01T00-00-00.json"), "w") as f:
            json.dump({"results": {"sst2": {"alias": "sst2", "acc,none": 0.9, "acc_stderr,none": 0.01},
                                   "boolq": {"acc,none": 0.7}}}, f)
        with open(os.path.join(model_dir, "samples_sst2_2026-01-01T00-00-00.jsonl"), "w") as f:
            f.write(json.dumps({"doc_id": 0, "target": 1, "filtered_resps": ["positive"], "acc": 1.0}) + "\n")
        doc = task_doc()
        doc["metric"]["name"] = "acc"
        doc["evaluation"].update(kind="lm_eval", lm_eval={"tasks": ["sst2"], "test_tasks": ["boolq"], "metric": "acc,none"})
        task = config.parse_task(doc)
        settings = lm_eval_settings(task)
        metrics = to_metrics(newest_results(out), settings, "acc")
        self.assertEqual((metrics["validation"]["acc"], metrics["test"]["acc"]), (0.9, 0.7))
        rows = sample_predictions(out, settings)
        self.assertEqual((rows[0]["id"], rows[0]["correct"]), ("sst2:0", True))


if __name__ == "__main__":
    unittest.main()
