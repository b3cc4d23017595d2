"""`script` recipe steps: run by `prepare`, confined, output checked, stats recorded."""
import json
import os
import socket
import tempfile
import textwrap
import threading
import unittest
from unittest import mock

from trex_llm import config, script_step
from trex_llm.recipe import prepare
from trex_llm.script_step import detect_isolation
from trex_protocol.errors import InputError
from trex_protocol.files import read_jsonl

from .helpers import recipe_doc, sentiment_files, task_doc

UPPER = """
import json, sys
rows = [json.loads(l) for l in sys.stdin]
for r in rows:
    r["prompt"] = r["prompt"].upper()
    print(json.dumps(r))
print(json.dumps({"prompt": "SYNTHETIC ROW", "response": "positive", "source": "made"}))
"""


class ScriptStepTests(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.realpath(tempfile.mkdtemp())
        sentiment_files(self.dir)
        os.makedirs(os.path.join(self.dir, "data"))
        self.cwd = os.getcwd()
        os.chdir(self.dir)

    def tearDown(self):
        os.chdir(self.cwd)

    def script(self, body, name="step.py"):
        with open(os.path.join("data", name), "w") as f:
            f.write(textwrap.dedent(body))
        return f"data/{name}"

    def prepare(self, step):
        t = config.parse_task(task_doc())
        r = config.parse_recipe(recipe_doc(filters=[{"kind": "dedup"}, dict(kind="script", **step)]))
        stats = prepare(t, r, "out", os.path.join(self.dir, "cache"))
        return stats, read_jsonl(os.path.join("out", "train.jsonl"))

    def test_maps_and_adds_rows_with_stats(self):
        stats, train = self.prepare({"path": self.script(UPPER)})
        users = [row["messages"][1]["content"] for row in train]
        self.assertTrue(all(u == u.upper() for u in users))
        self.assertIn("SYNTHETIC ROW", users)
        self.assertEqual(stats["by_source"].get("made"), 1)
        step = stats["steps"][0]
        self.assertEqual(step["rows_out"], step["rows_in"] + 1)
        self.assertEqual(step["path"], "data/step.py")
        self.assertEqual(len(step["sha256"]), 64)
        self.assertIn(step["isolation"], ("bwrap", "unshare", "none"))

    def test_invalid_rows_exit_code_and_limits_are_refused(self):
        cases = [
            ("print('not json')", "is not JSON"),
            ("import json; print(json.dumps({'prompt': 'x'}))", "string `response`"),
            ("import json; print(json.dumps([1]))", "not a JSON object"),
            ("import sys; sys.exit(3)", "exited with 3"),
            ("import time; time.sleep(60)", "time limit"),
            ("import sys\nwhile True: sys.stdout.write('x' * 65536)", "output limit"),
        ]
        for body, words in cases:
            with self.subTest(words=words), self.assertRaises(InputError) as ctx:
                self.prepare({"path": self.script(body), "timeout_s": 3, "max_output_mb": 1})
            self.assertIn(words, str(ctx.exception))
            self.assertIn("filters[1]", str(ctx.exception))

    def test_step_fields_are_checked(self):
        for step, field in (({"path": "data/x.sh"}, "filters[0].path"), ({"path": "data/x.py", "timeout_s": -1}, "filters[0].timeout_s")):
            with self.subTest(step=step), self.assertRaises(InputError) as ctx:
                config.parse_recipe(recipe_doc(filters=[dict(kind="script", **step)]))
            self.assertEqual(ctx.exception.field, field)

    def test_script_outside_the_data_policy_is_refused(self):
        with open("evil.py", "w") as f:
            f.write("print('{}')")
        with mock.patch.dict(os.environ, {"TREX_DATA_POLICY": json.dumps({"allow_paths": ["data"], "allow_hosts": []})}):
            with self.assertRaises(InputError) as ctx:
                self.prepare({"path": "evil.py"})
        self.assertIn("outside", str(ctx.exception))

    def test_environment_is_scrubbed(self):
        probe = self.script("""
            import json, os, sys
            rows = [json.loads(l) for l in sys.stdin]
            rows[0]["response"] = ",".join(sorted(os.environ))
            for r in rows: print(json.dumps(r))
        """)
        with mock.patch.dict(os.environ, {"HF_TOKEN": "hf_secret_value", "OPENAI_API_KEY": "sk-x", "TREX_SECRET_PROBE": "1"}):
            _, train = self.prepare({"path": probe})
        env_rows = [r["completion"][0]["content"] for r in train if "," in r["completion"][0]["content"]]
        self.assertEqual(len(env_rows), 1)
        names = env_rows[0].split(",")
        self.assertIn("PATH", names)
        for secret in ("HF_TOKEN", "OPENAI_API_KEY", "TREX_SECRET_PROBE"):
            self.assertNotIn(secret, names)


@unittest.skipIf(detect_isolation() == "none", "no bubblewrap or user namespaces on this machine")
class ContainmentTests(unittest.TestCase):
    """A script that reads credentials, opens a socket or writes outside its scratch folder fails
    to; it reports what it managed in its one output row."""

    def setUp(self):
        self.dir = os.path.realpath(tempfile.mkdtemp())
        sentiment_files(self.dir)
        os.makedirs(os.path.join(self.dir, "data"))
        self.home = os.path.join(self.dir, "home")
        os.makedirs(os.path.join(self.home, ".ssh"))
        with open(os.path.join(self.home, ".ssh", "id_ed25519"), "w") as f:
            f.write("PRIVATE KEY MATERIAL")
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        threading.Thread(target=self._accept, daemon=True).start()
        self.cwd = os.getcwd()
        os.chdir(self.dir)

    def _accept(self):
        try:
            conn, _ = self.server.accept()
            conn.close()
        except OSError:
            pass

    def tearDown(self):
        os.chdir(self.cwd)
        self.server.close()

    def test_credentials_network_and_writes_outside_are_contained(self):
        self.contained(detect_isolation())

    @unittest.skipUnless(script_step._works(["unshare", "-rnmpf", "--mount-proc", "--kill-child", "true"]), "no user namespaces for unshare")
    def test_unshare_contains_the_same(self):
        with mock.patch.object(script_step, "_isolation", "unshare"):
            self.contained("unshare")

    def contained(self, kind):
        port = self.server.getsockname()[1]
        body = f"""
            import json, os, socket, sys
            got = {{}}
            try:
                got["ssh"] = open({os.path.join(self.home, '.ssh', 'id_ed25519')!r}).read()
            except OSError as e:
                got["ssh"] = "refused"
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
                got["net"] = "connected"
            except OSError:
                got["net"] = "refused"
            try:
                open({os.path.join(self.dir, 'escaped.txt')!r}, "w").write("x")
                got["write"] = "wrote"
            except OSError:
                got["write"] = "refused"
            open("scratch.txt", "w").write("ok")  # its own folder stays writable
            print(json.dumps({{"prompt": "probe", "response": json.dumps(got)}}))
        """
        with open(os.path.join("data", "probe.py"), "w") as f:
            f.write(textwrap.dedent(body))
        with mock.patch.dict(os.environ, {"HOME": self.home}):
            t = config.parse_task(task_doc())
            r = config.parse_recipe(recipe_doc(filters=[{"kind": "script", "path": "data/probe.py"}], split={"validation": 0}))
            stats = prepare(t, r, "out", os.path.join(self.dir, "cache"))
        self.assertEqual(stats["steps"][0]["isolation"], kind)
        got = json.loads(read_jsonl(os.path.join("out", "train.jsonl"))[0]["completion"][0]["content"])
        self.assertEqual(got, {"ssh": "refused", "net": "refused", "write": "refused"})
        self.assertFalse(os.path.exists(os.path.join(self.dir, "escaped.txt")))


if __name__ == "__main__":
    unittest.main()
