"""The launch wrapper around LLaMA-Factory / TRL, with stand-in trainers."""
import json
import os
import sys
import tempfile
import textwrap
import unittest

from .helpers import run_cli

# Prints HF Trainer log dicts like TRL does (Python reprs, not JSON).
FAKE_TRL = textwrap.dedent("""
    import os, sys
    os.makedirs(sys.argv[1], exist_ok=True)
    for i in range(3):
        print({'loss': 1.0 - i * 0.1, 'grad_norm': 0.5, 'learning_rate': 1e-4, 'epoch': (i + 1) / 3}, flush=True)
    print({'train_runtime': '1.5', 'train_loss': '0.9', 'epoch': '1'}, flush=True)  # transformers 5 prints strings
""")
# Writes trainer_log.jsonl like LLaMA-Factory's LogCallback.
FAKE_LF = textwrap.dedent("""
    import json, os, sys, time
    os.makedirs(sys.argv[1], exist_ok=True)
    with open(os.path.join(sys.argv[1], "trainer_log.jsonl"), "a") as f:
        for i in range(1, 4):
            f.write(json.dumps({"current_steps": i * 5, "total_steps": 15, "loss": 2.0 / i, "epoch": i / 3}) + "\\n")
            f.flush()
            time.sleep(0.05)
""")


class LaunchTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def script(self, text):
        path = os.path.join(self.dir, "fake.py")
        with open(path, "w") as f:
            f.write(text)
        return path

    def progress(self, stdout):
        return [json.loads(l.split(" ", 1)[1]) for l in stdout.splitlines() if l.startswith("TREX_PROGRESS ")]

    def test_trl_log_dicts_become_progress_and_log_files(self):
        ckpt = os.path.join(self.dir, "ckpt")
        r = run_cli(self.dir, "launch", "--framework", "trl", "--out", ckpt, "--logging-steps", "5", "--note", "adapted",
                    "--", sys.executable, self.script(FAKE_TRL), ckpt)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("note: adapted", r.stdout)
        self.assertEqual([p["step"] for p in self.progress(r.stdout)], [5, 10, 15])
        with open(os.path.join(ckpt, "trainer_log.jsonl")) as f:
            self.assertEqual(len(f.readlines()), 3)
        with open(os.path.join(ckpt, "trainer_state.json")) as f:
            self.assertEqual(json.load(f)["global_step"], 15)
        with open(os.path.join(ckpt, "all_results.json")) as f:
            self.assertEqual(json.load(f)["train_runtime"], 1.5)

    def test_llamafactory_log_is_tailed(self):
        ckpt = os.path.join(self.dir, "ckpt")
        r = run_cli(self.dir, "launch", "--framework", "llamafactory", "--out", ckpt, "--", sys.executable,
                    self.script(FAKE_LF), ckpt)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([(p["step"], p["total"]) for p in self.progress(r.stdout)], [(5, 15), (10, 15), (15, 15)])

    def test_llamafactory_last_row_without_loss_ends_the_count(self):
        ckpt = os.path.join(self.dir, "ckpt")
        final = FAKE_LF + "    f.write(json.dumps({'current_steps': 16, 'total_steps': 16, 'epoch': 1.0}) + '\\n')\n"
        r = run_cli(self.dir, "launch", "--framework", "llamafactory", "--out", ckpt, "--", sys.executable, self.script(final), ckpt)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.progress(r.stdout)[-1], {"step": 16, "total": 16, "epoch": 1.0})

    def test_llamafactory_eval_loss_row_becomes_an_evaluation_line(self):
        ckpt = os.path.join(self.dir, "ckpt")
        evaluated = FAKE_LF + "    f.write(json.dumps({'current_steps': 15, 'total_steps': 15, 'eval_loss': 1.234567, 'epoch': 1.0}) + '\\n')\n"
        r = run_cli(self.dir, "launch", "--framework", "llamafactory", "--out", ckpt, "--", sys.executable, self.script(evaluated), ckpt)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.progress(r.stdout)[-1], {"step": 15, "total": 15, "eval_metric": "loss", "eval_value": 1.2346})
        self.assertEqual(len(self.progress(r.stdout)), 4, "one progress line per row")

    def test_exit_code_passes_through_and_missing_tool_is_named(self):
        r = run_cli(self.dir, "launch", "--framework", "trl", "--out", "ckpt", "--", sys.executable, "-c", "raise SystemExit(3)")
        self.assertEqual(r.returncode, 3)
        r = run_cli(self.dir, "launch", "--framework", "llamafactory", "--out", "ckpt", "--", "llamafactory-cli-missing", "train")
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid input: framework: llamafactory-cli-missing not found", r.stderr)


if __name__ == "__main__":
    unittest.main()


class TrlConfigForTransformersTest(unittest.TestCase):
    """warmup_ratio (removed from TrainingArguments in transformers 5) becomes a float warmup_steps there."""

    def _config(self, d):
        path = os.path.join(d, "sft.yaml")
        with open(path, "w") as f:
            f.write("# header\nlearning_rate: 0.0001\nwarmup_ratio: 0.03\nmax_length: 64\n")
        return path

    def test_transformers_5_gets_warmup_steps(self):
        from unittest import mock
        import yaml
        from trex_llm import launch
        with tempfile.TemporaryDirectory() as d, mock.patch.object(launch, "_transformers_major", return_value=5):
            path = self._config(d)
            cmd = launch.adapt_trl_config(["trl", "sft", "--config", path, "--num_processes", "2"])
            resolved = os.path.join(d, "sft.resolved.yaml")
            self.assertEqual(cmd, ["trl", "sft", "--config", resolved, "--num_processes", "2"])
            with open(resolved) as f:
                doc = yaml.safe_load(f)
            self.assertNotIn("warmup_ratio", doc)
            self.assertEqual(doc["warmup_steps"], 0.03)
            self.assertEqual(doc["max_length"], 64)

    def test_transformers_4_runs_as_rendered(self):
        from unittest import mock
        from trex_llm import launch
        with tempfile.TemporaryDirectory() as d, mock.patch.object(launch, "_transformers_major", return_value=4):
            path = self._config(d)
            self.assertEqual(launch.adapt_trl_config(["trl", "sft", "--config", path]), ["trl", "sft", "--config", path])


class TrlFloorAndLauncherTest(unittest.TestCase):
    """The rendered TRL config needs TRL >= 0.23; TRL's scripts run under an explicit `accelerate launch`."""

    def test_trl_before_0_23_is_refused_naming_the_version(self):
        from trex_llm import launch
        from trex_protocol.errors import InputError
        for old in ("0.22.2", "0.19.0"):
            with self.assertRaises(InputError) as caught:
                launch.check_trl_version(old)
            self.assertIn(f"TRL {old}", str(caught.exception))
            self.assertIn(">= 0.23", str(caught.exception))
        for ok in ("0.23.0", "0.24.0", "0.29.1", "1.0.0.dev0"):
            launch.check_trl_version(ok)

    def test_num_processes_goes_to_accelerate_not_the_script(self):
        from trex_llm import trl_compat
        argv = trl_compat.accelerate_argv(["dpo", "--config", "dpo.yaml", "--num_processes", "2"])
        self.assertEqual(argv[:2], ["--num_processes", "2"])
        self.assertEqual(argv[2:], [os.path.abspath(trl_compat.__file__), "--run", "dpo", "--config", "dpo.yaml"])
        from accelerate.commands.launch import launch_command_parser
        args = launch_command_parser().parse_args(argv)
        self.assertEqual(args.num_processes, 2)
        self.assertEqual(args.training_script_args, ["--run", "dpo", "--config", "dpo.yaml"])

    def test_single_process_has_no_launch_options(self):
        from trex_llm import trl_compat
        self.assertEqual(trl_compat.accelerate_argv(["sft", "--config", "sft.yaml"]),
                         [os.path.abspath(trl_compat.__file__), "--run", "sft", "--config", "sft.yaml"])

    def test_warm_start_adapter_reaches_each_child_not_trl(self):
        from trex_llm import trl_compat
        argv = trl_compat.accelerate_argv(["sft", "--config", "sft.yaml", "--trex_init_adapter", "nodes/n0000/ckpt",
                                           "--num_processes", "2"])
        self.assertEqual(argv[:2], ["--num_processes", "2"])
        child = argv[argv.index("--run") + 1:]
        method, _, script = trl_compat.split_launch_args(child)
        adapter, script = trl_compat.pop_option(script, trl_compat.INIT_ADAPTER)
        self.assertEqual((method, adapter, script), ("sft", "nodes/n0000/ckpt", ["--config", "sft.yaml"]))
        self.assertEqual(trl_compat.pop_option(["--config", "x.yaml"], trl_compat.INIT_ADAPTER), (None, ["--config", "x.yaml"]))
        with self.assertRaises(SystemExit):
            trl_compat.pop_option(["--config", "x.yaml", trl_compat.INIT_ADAPTER], trl_compat.INIT_ADAPTER)


class EvaluationSetUpTest(unittest.TestCase):
    """The validation examples a TRL or LLaMA-Factory run evaluates on during training, or none."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.config = os.path.join(self.dir, "train.yaml")
        with open(self.config, "w") as f:
            f.write("dataset: trex_train\neval_dataset: trex_eval\neval_strategy: steps\neval_steps: 4\n"
                    "per_device_eval_batch_size: 2\nlearning_rate: 0.001\n")
        self.rows = os.path.join(self.dir, "eval.jsonl")

    def validation(self, rows):
        path = os.path.join(self.dir, "validation.jsonl")
        with open(path, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)
        return path

    def test_llamafactory_gets_the_rows_and_its_config_as_rendered(self):
        from trex_llm import launch
        data = self.validation([{"prompt": [{"role": "user", "content": "q"}], "reference": "a"}])
        cmd = ["llamafactory-cli", "train", self.config]
        self.assertEqual(launch.set_up_evaluation("llamafactory", cmd, data, self.rows, False), cmd)
        with open(self.rows) as f:
            self.assertEqual([json.loads(l)["messages"][-1] for l in f], [{"role": "assistant", "content": "a"}])

    def test_trl_through_trl_compat_is_told_where_the_rows_are(self):
        from trex_llm import launch
        data = self.validation([{"prompt": [{"role": "user", "content": "q"}], "reference": "a"}])
        cmd = launch.set_up_evaluation("trl", ["python", "trl_compat.py", "sft", "--config", self.config], data, self.rows, True)
        self.assertEqual(cmd[-2:], ["--trex_eval_data", self.rows])

    def test_without_text_answers_the_evaluation_keys_are_dropped_with_a_note(self):
        import contextlib
        import io
        import yaml
        from trex_llm import launch
        data = self.validation([{"prompt": [{"role": "user", "content": "q"}], "reference": ["a", "b"]}])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cmd = launch.set_up_evaluation("llamafactory", ["llamafactory-cli", "train", self.config], data, self.rows, False)
        self.assertIn("note: no evaluations during training", out.getvalue())
        resolved = os.path.join(self.dir, "train.resolved.yaml")
        self.assertEqual(cmd, ["llamafactory-cli", "train", resolved])
        with open(resolved) as f:
            self.assertEqual(yaml.safe_load(f), {"dataset": "trex_train", "learning_rate": 0.001})
        self.assertFalse(os.path.exists(self.rows))

    def test_trl_outside_this_python_trains_without_evaluations(self):
        from trex_llm import launch
        data = self.validation([{"prompt": [{"role": "user", "content": "q"}], "reference": "a"}])
        cmd = launch.set_up_evaluation("trl", ["/opt/trl", "sft", "--config", self.config], data, self.rows, False)
        self.assertEqual(cmd, ["/opt/trl", "sft", "--config", os.path.join(self.dir, "train.resolved.yaml")])
