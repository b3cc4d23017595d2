"""Loads the raw rows of one source: a Hugging Face dataset (needs `datasets`),
a local or remote JSONL / JSON / CSV / TSV / Parquet file (standard library,
except Parquet), or LLM-generated synthetic data (see synthetic.py).
Relative paths are relative to the experiment folder (the stage's cwd)."""
import csv
import hashlib
import io
import json
import os
import urllib.error
import urllib.request

from trex_protocol.errors import InputError

DOWNLOAD_TIMEOUT_S = 120


def load_rows(src, cache_dir):
    kind = src["kind"]
    if kind == "hf":
        return _load_hf(src)
    if kind == "file":
        check_source_path(src["path"], src["field"] + ".path")
        return read_file_rows(_local_path(src["path"], cache_dir, src["field"]), f"{src['field']}.path")
    from .synthetic import load_synthetic
    return load_synthetic(src, cache_dir)


def require_datasets(src):
    try:
        import datasets  # noqa: F401  (optional: only hf sources need it)
    except ImportError:
        raise InputError(f"{src['field']}.kind", "hf sources need the `datasets` package on the training machine "
                                                 "(pip install datasets), or download the data and use kind: file")


def hf_load_error(src, e):
    """The user-facing error for a dataset that does not load (a wrong id / subset / split is the user's input)."""
    if "scripts are no longer supported" in str(e):
        return InputError(f"{src['field']}.dataset",
                          f"{src['dataset']!r} is a dataset loading script, which datasets >= 4 no longer runs: "
                          "use a copy published as data files (Parquet/JSON/CSV), or export it to JSONL "
                          "and use kind: file")
    return InputError(f"{src['field']}.dataset", f"cannot load {src['dataset']!r} "
                                                 f"(subset {src['subset']!r}, split {src['split']!r}): {e}")


def _load_hf(src):
    require_datasets(src)
    from datasets import load_dataset
    try:
        ds = load_dataset(src["dataset"], src["subset"], split=src["split"])
    except Exception as e:
        raise hf_load_error(src, e)
    return [dict(r) for r in ds]


def _data_policy():
    """The engine's allowlist for this stage (TREX_DATA_POLICY, JSON {allow_paths, allow_hosts}), or
    None when the runner is used by hand without the engine."""
    raw = os.environ.get("TREX_DATA_POLICY")
    if raw is None:
        return None
    try:
        policy = json.loads(raw)
        paths = [str(p) for p in policy.get("allow_paths", [])]
        hosts = [str(h).lower() for h in policy.get("allow_hosts", [])]
    except (ValueError, AttributeError, TypeError) as e:
        raise InputError("TREX_DATA_POLICY", f"is not JSON {{allow_paths, allow_hosts}}: {e}")
    return paths, hosts


def _inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def check_source_path(path, field):
    """Re-checks a file source on the training machine: a local file must resolve (through symbolic
    links) inside the experiment's data/ or an allowlisted prefix; a URL must be on an allowlisted
    host; any other scheme (file://, ...) is refused. Relative paths start at the experiment folder."""
    policy = _data_policy()
    if policy is None:
        return
    paths, hosts = policy
    if "://" in path or path.lower().startswith("file:"):
        if not path.lower().startswith(("http://", "https://")):
            raise InputError(field, f"refusing {path[:80]}: only files under data/ and http(s) URLs on allowed hosts")
        host = (urllib.parse.urlsplit(path).hostname or "").lower()
        if host not in hosts:
            raise InputError(field, f"refusing {path[:80]}: host {host!r} is not in data_policy.allow_hosts")
        return
    real = os.path.realpath(path)
    roots = [os.path.realpath(p) for p in paths]
    if not any(_inside(real, r) for r in roots):
        raise InputError(field, f"refusing {path[:80]}: it resolves outside the experiment's data/ and data_policy.allow_paths")


def check_download_url(url, field):
    """Downloads go only to public addresses: every address the host resolves to must be global
    (no loopback, private, link-local or IPv4-mapped ones), unless TREX_ALLOW_PRIVATE_DOWNLOADS=1.
    Returns the checked address the download must connect to (None: no check), so the host is
    resolved once and a second lookup (DNS rebinding) cannot lead elsewhere. Redirects are not
    followed (a redirect could lead to a private address)."""
    import ipaddress
    import socket
    import urllib.parse
    if os.environ.get("TREX_ALLOW_PRIVATE_DOWNLOADS") == "1":
        return None
    host = urllib.parse.urlsplit(url).hostname
    if not host:
        raise InputError(field + ".path", f"no host in {url}")
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as e:
        raise InputError(field + ".path", f"cannot resolve {host}: {e}")
    for info in infos:
        addr = ipaddress.ip_address(info[4][0].split("%")[0])
        mapped = getattr(addr, "ipv4_mapped", None)
        if mapped is not None:
            addr = mapped
        if not addr.is_global or addr.is_multicast:
            raise InputError(field + ".path", f"refusing to download {url}: {host} resolves to a non-public address ({addr})")
    return infos[0][4][0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {newurl} not followed", headers, fp)


def pinned_opener(address):
    """A urllib opener that connects to `address` (None: the host's own lookup) whatever the URL's
    host resolves to now; TLS still checks the certificate against the URL's host name."""
    import http.client
    import socket
    if address is None:
        return urllib.request.build_opener(_NoRedirect)

    class _Http(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.create_connection((address, self.port), self.timeout)

    class _Https(http.client.HTTPSConnection):
        def connect(self):
            sock = socket.create_connection((address, self.port), self.timeout)
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)

    class _HttpHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(_Http, req)

    class _HttpsHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(_Https, req, context=self._context)

    return urllib.request.build_opener(_NoRedirect, _HttpHandler, _HttpsHandler)


def _local_path(path, cache_dir, field):
    if not path.startswith(("http://", "https://")):
        if not os.path.exists(path):
            raise InputError(field + ".path", f"file not found: {path} (relative paths start at the experiment folder)")
        return path
    name = hashlib.sha256(path.encode()).hexdigest()[:16] + "-" + os.path.basename(path.split("?")[0])
    target = os.path.join(cache_dir, "downloads", name)
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = target + ".part"
        address = check_download_url(path, field)
        try:
            with pinned_opener(address).open(path, timeout=DOWNLOAD_TIMEOUT_S) as r, open(tmp, "wb") as f:
                f.write(r.read())
        except Exception as e:
            raise InputError(field + ".path", f"cannot download {path}: {e}")
        os.replace(tmp, target)
    return target


def read_file_rows(path, field):
    lower = path.lower()
    try:
        if lower.endswith(".jsonl") or lower.endswith(".ndjson"):
            with open(path, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        if lower.endswith(".json"):
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            return _json_rows(data, field)
        if lower.endswith(".csv") or lower.endswith(".tsv"):
            with open(path, encoding="utf-8", newline="") as f:
                text = f.read()
            return list(csv.DictReader(io.StringIO(text), delimiter="\t" if lower.endswith(".tsv") else ","))
        if lower.endswith(".parquet"):
            return _read_parquet(path, field)
    except (json.JSONDecodeError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(field, f"cannot parse {path}: {e}")
    raise InputError(field, f"unsupported file type: {path} (use .jsonl, .json, .csv, .tsv or .parquet)")


def _json_rows(data, field):
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:  # {"data": [...]} and similar wrappers
            return lists[0]
        if all(isinstance(v, dict) for v in data.values()):  # {"id1": {...}, "id2": {...}}
            return [dict(v, id=k) if "id" not in v else v for k, v in data.items()]
    raise InputError(field, "a .json file must hold a list of objects (or one wrapper key with that list)")


def _read_parquet(path, field):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(field, "parquet files need pyarrow (pip install pyarrow); or convert the file to JSONL")
    return pq.read_table(path).to_pylist()
