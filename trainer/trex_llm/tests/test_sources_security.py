"""Downloads named by a recipe go only to public addresses (issue 16, finding 5): loopback,
private, link-local and IPv4-mapped addresses are refused before any connection, the connection
goes to the address that was checked (no second lookup), and redirects are not followed."""
import http.server
import os
import tempfile
import threading
import unittest

from trex_protocol.errors import InputError
from trex_llm.sources import check_download_url, load_rows, pinned_opener


class DownloadAddressTests(unittest.TestCase):
    def setUp(self):
        self.hits = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"prompt": "secret", "response": "internal"}\n')

            def log_message(self, *a):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        os.environ.pop("TREX_ALLOW_PRIVATE_DOWNLOADS", None)

    def test_loopback_and_private_addresses_are_refused(self):
        port = self.server.server_port
        for url in [
            f"http://127.0.0.1:{port}/x.jsonl",
            f"http://localhost:{port}/x.jsonl",
            f"http://[::1]:{port}/x.jsonl",
            f"http://[::ffff:127.0.0.1]:{port}/x.jsonl",
            "http://10.0.0.1/x.jsonl",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0/x.jsonl",
        ]:
            with self.assertRaises(InputError, msg=url) as cm:
                check_download_url(url, "recipe.sources.0")
            self.assertIn("non-public", str(cm.exception))

    def test_a_recipe_source_on_loopback_is_never_fetched(self):
        cache = tempfile.mkdtemp()
        src = {"kind": "file", "path": f"http://127.0.0.1:{self.server.server_port}/creds.jsonl", "field": "recipe.sources.0"}
        with self.assertRaises(InputError):
            load_rows(src, cache)
        self.assertEqual(self.hits, [], "no request reached the loopback server")

    def test_the_download_connects_to_the_checked_address_not_a_second_lookup(self):
        # The host name never resolves: only a connection to the address checked before can succeed.
        url = f"http://rebind.invalid:{self.server.server_port}/data.jsonl"
        with pinned_opener("127.0.0.1").open(url, timeout=10) as r:
            self.assertIn(b"secret", r.read())
        self.assertEqual(self.hits, ["/data.jsonl"])
        with self.assertRaises(OSError):
            pinned_opener(None).open(url, timeout=10)

    def test_a_public_host_is_pinned_to_the_address_it_resolved_to(self):
        self.assertEqual(check_download_url("http://8.8.8.8/x.jsonl", "recipe.sources.0"), "8.8.8.8")
        os.environ["TREX_ALLOW_PRIVATE_DOWNLOADS"] = "1"
        self.addCleanup(os.environ.pop, "TREX_ALLOW_PRIVATE_DOWNLOADS", None)
        self.assertIsNone(check_download_url("http://127.0.0.1/x.jsonl", "recipe.sources.0"))


if __name__ == "__main__":
    unittest.main()
