"""The runner re-checks file sources on the training machine (issue 16): with the engine's
TREX_DATA_POLICY, a path must resolve inside the experiment's data/ or an allowlisted prefix
(symbolic links followed), a URL must be on an allowlisted host, other schemes are refused."""
import json
import os
import tempfile
import unittest

from trex_protocol.errors import InputError
from trex_llm.sources import check_source_path, load_rows


class SourcePathTests(unittest.TestCase):
    def setUp(self):
        self.old_cwd = os.getcwd()
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        root = self.tmp.name
        self.exp = os.path.join(root, "exp")
        self.outside = os.path.join(root, "secrets")
        os.makedirs(os.path.join(self.exp, "data"))
        os.makedirs(os.path.join(self.exp, "shared"))
        os.makedirs(self.outside)
        for p in [os.path.join(self.exp, "data", "ok.jsonl"), os.path.join(self.exp, "shared", "s.jsonl"), os.path.join(self.outside, "creds.jsonl")]:
            with open(p, "w") as f:
                f.write('{"prompt": "p", "response": "r"}\n')
        os.symlink(self.outside, os.path.join(self.exp, "data", "ln"))
        os.chdir(self.exp)
        self.addCleanup(os.chdir, self.old_cwd)
        os.environ["TREX_DATA_POLICY"] = json.dumps({"allow_paths": ["data", "shared/s.jsonl"], "allow_hosts": ["datasets.example.org"]})
        self.addCleanup(os.environ.pop, "TREX_DATA_POLICY", None)

    def test_allowed_paths_and_hosts_pass(self):
        for p in ["data/ok.jsonl", os.path.join(self.exp, "data", "ok.jsonl"), "shared/s.jsonl", "https://datasets.example.org/x.jsonl", "HTTPS://DATASETS.EXAMPLE.ORG/y.csv"]:
            check_source_path(p, "sources[0].path")
        rows = load_rows({"kind": "file", "path": "data/ok.jsonl", "field": "sources[0]"}, self.tmp.name)
        self.assertEqual(rows, [{"prompt": "p", "response": "r"}])

    def test_paths_outside_and_other_schemes_are_refused(self):
        hostile = [
            "/etc/passwd", "../secrets/creds.jsonl", "data/../../secrets/creds.jsonl", "data/ln/creds.jsonl",
            os.path.join(self.outside, "creds.jsonl"), "shared/other.jsonl", "file:///etc/passwd", "ftp://datasets.example.org/x",
            "http://127.0.0.1:8080/x.jsonl", "https://evil.example.org/x.jsonl", "https://datasets.example.org.evil.com/x",
            "data_evil/x.jsonl",
        ]
        for p in hostile:
            with self.subTest(path=p), self.assertRaises(InputError) as cm:
                load_rows({"kind": "file", "path": p, "field": "sources[0]"}, self.tmp.name)
            self.assertIn("refusing", str(cm.exception))

    def test_a_synthetic_source_that_names_a_path_is_checked_like_a_file(self):
        synthetic = {"kind": "synthetic", "prompt": "p", "num_examples": 1, "params": {}, "field": "sources[0]"}
        rows = load_rows({**synthetic, "path": "data/ok.jsonl"}, self.tmp.name)
        self.assertEqual(rows, [{"prompt": "p", "response": "r"}])
        for p in ["/etc/passwd", "../secrets/creds.jsonl", "data/ln/creds.jsonl", os.path.join(self.outside, "creds.jsonl")]:
            with self.subTest(path=p), self.assertRaises(InputError) as cm:
                load_rows({**synthetic, "path": p}, self.tmp.name)
            self.assertIn("refusing", str(cm.exception))

    def test_without_the_engine_policy_nothing_is_checked_here(self):
        os.environ.pop("TREX_DATA_POLICY")
        check_source_path(os.path.join(self.outside, "creds.jsonl"), "sources[0].path")

    def test_a_malformed_policy_is_an_error(self):
        os.environ["TREX_DATA_POLICY"] = "[1"
        with self.assertRaises(InputError):
            check_source_path("data/ok.jsonl", "sources[0].path")


if __name__ == "__main__":
    unittest.main()
