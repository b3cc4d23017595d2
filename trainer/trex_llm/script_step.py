"""A `script` recipe step: a user- or model-written Python file under the experiment's data/ folder
that maps, filters, augments or synthesises examples. It reads JSONL examples on stdin
({id, source, prompt, response, system?, rejected?}) and writes JSONL examples on stdout; the
rows it writes replace the rows it read.

It runs confined: in a fresh scratch folder holding a copy of the script (its cwd, the only place
it may write), with a scrubbed environment (no inherited variables, so no secrets), a wall-clock
limit, an output limit (RLIMIT_FSIZE and a size check) and, where the machine allows, no network,
a private pid space, a read-only view of everything else and the home directory's credential
folders hidden (bubblewrap, else `unshare`; the same flags as the engine's src/engine/sandbox)."""
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from trex_protocol.errors import InputError

from .sources import check_source_path

DEFAULT_TIMEOUT_S = 120
DEFAULT_MAX_OUTPUT_MB = 64
MAX_OUTPUT_MB = 1024
STDERR_TAIL = 2000
# Credential stores in the home directory a script never sees, even read-only (as sandbox/confine.ts).
HIDDEN_HOME = (".ssh", ".aws", ".azure", ".gnupg", ".netrc", ".docker", ".kube", ".git-credentials", ".pypirc",
               ".config", ".cache/huggingface/token", ".huggingface")

_isolation = None


def _works(argv):
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def detect_isolation():
    """'bwrap', 'unshare' or 'none', probed once by running `true` inside it (TREX_ISOLATION=none|unshare
    chooses, as on the engine side)."""
    global _isolation
    if _isolation is None:
        want = os.environ.get("TREX_ISOLATION")
        if not sys.platform.startswith("linux") or want == "none":
            _isolation = "none"
        elif want != "unshare" and shutil.which("bwrap") and _works(
                ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all", "--die-with-parent", "true"]):
            _isolation = "bwrap"
        elif shutil.which("unshare") and _works(["unshare", "-rnmpf", "--mount-proc", "--kill-child", "true"]):
            _isolation = "unshare"
        else:
            _isolation = "none"
    return _isolation


ISOLATION_WORDS = {
    "bwrap": "bubblewrap: no network, private pid space, read-only outside its scratch folder, credential folders hidden",
    "unshare": "unshare (user, mount, pid and network namespaces): no network, read-only outside its scratch folder, credential folders hidden",
    "none": "none available on this machine: scrubbed environment, time and output limits only",
}

# unshare: root of a new user namespace; every mount read-only except the scratch folder, credential
# paths hidden, the result checked, then exec.
_UNSHARE_SH = r"""
work=$0
fail() { echo "trex script sandbox: $*" >&2; exit 125; }
case "$1" in ''|*[!0-9]*) fail "bad hidden-path count" ;; esac
mount --make-rprivate / || fail "cannot make mounts private"
mount --bind -- "$work" "$work" || fail "cannot bind $work"
n=$1; shift; h=(); for ((i=0;i<n;i++)); do h+=("$1"); shift; done
for p in "${h[@]}"; do
  if [ -d "$p" ]; then mount -t tmpfs -o size=4k,mode=700 tmpfs "$p" || fail "cannot hide $p"
  elif [ -e "$p" ]; then mount --bind /dev/null "$p" || fail "cannot hide $p"; fi
done
while read -r _ _ _ _ mp _; do mount -o remount,bind,ro -- "$(printf '%b' "$mp")" 2>/dev/null; done < /proc/self/mountinfo
mount -o remount,bind,rw -- "$work" || fail "cannot make $work writable"
while read -r _ _ _ _ mp opts _; do
  mp=$(printf '%b' "$mp"); ok=0
  case ",$opts," in *,ro,*) ok=1 ;; esac
  [ "$mp" = "$work" ] && ok=1
  case "$mp" in /dev|/dev/*|/proc|/proc/*) ok=1 ;; esac
  [ $ok = 1 ] || fail "$mp is still writable"
done < /proc/self/mountinfo
cd -- "$work" || fail "no scratch folder"
exec "$@"
"""


def _hidden_paths():
    home = os.path.expanduser("~")
    return [p for p in (os.path.join(home, n) for n in HIDDEN_HOME) if os.path.exists(p)]


def confined_argv(kind, work, argv):
    hidden = _hidden_paths()
    if kind == "bwrap":
        out = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--bind", work, work]
        for p in hidden:
            out += ["--tmpfs", p, "--remount-ro", p] if os.path.isdir(p) else ["--ro-bind", "/dev/null", p]
        return out + ["--unshare-all", "--die-with-parent", "--new-session", "--chdir", work] + argv
    if kind == "unshare":
        return ["unshare", "-rnmpf", "--mount-proc", "--kill-child", "bash", "-c", _UNSHARE_SH, work, str(len(hidden)), *hidden, *argv]
    return argv


def scrubbed_env(work):
    """Nothing inherited but the locale: no tokens, keys or proxies reach the script."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": work, "TMPDIR": work, "PYTHONNOUSERSITE": "1",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    for k in ("LANG", "LC_ALL"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


def parse_step(flt, field):
    """Checks a `script` step's fields (config.py calls this for filters[i] of kind script)."""
    path = flt.get("path")
    if not isinstance(path, str) or not path.endswith(".py"):
        raise InputError(f"{field}.path", "a script step needs `path`: a .py file under the experiment's data/ folder")
    for key, hi in (("timeout_s", 3600), ("max_output_mb", MAX_OUTPUT_MB)):
        v = flt.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= hi):
            raise InputError(f"{field}.{key}", f"must be a number in (0, {hi}]")


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _to_script(ex):
    row = {"id": ex["id"], "source": ex["source"], "prompt": ex["prompt"], "response": ex["response"]}
    for k in ("system", "rejected"):
        if ex.get(k) is not None:
            row[k] = ex[k]
    return row


def _from_script(line, n, field, needs_response):
    where = f"{field}: output line {n}"
    try:
        row = json.loads(line)
    except ValueError as e:
        raise InputError(field, f"{where} is not JSON: {e}")
    if not isinstance(row, dict):
        raise InputError(field, f"{where} is not a JSON object")
    if not isinstance(row.get("prompt"), str) or not row["prompt"].strip():
        raise InputError(field, f"{where} needs a non-empty string `prompt`")
    if not isinstance(row.get("response"), str) or (needs_response and not row["response"].strip()):
        raise InputError(field, f"{where} needs a {'non-empty ' if needs_response else ''}string `response`")
    for k in ("system", "rejected", "source", "id"):
        if row.get(k) is not None and not isinstance(row[k], str):
            raise InputError(field, f"{where}: `{k}` must be a string")
    source = row.get("source") or "script"
    return {"prompt": row["prompt"], "response": row["response"], "system": row.get("system"),
            "rejected": row.get("rejected"), "source": source, "id": row.get("id") or f"{source}:script:{n}", "raw": row}


def _limit_fsize(max_bytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return apply


def run_script_step(rows, step, field, log=sys.stderr, needs_response=True):
    """Runs one script step over `rows`; returns (new rows, stats). A script that fails, times out,
    writes too much or writes an invalid row stops the stage with the field named."""
    path = step["path"]
    check_source_path(path, f"{field}.path")
    if not os.path.isfile(path):
        raise InputError(f"{field}.path", f"script not found: {path} (relative paths start at the experiment folder)")
    timeout = float(step.get("timeout_s") or DEFAULT_TIMEOUT_S)
    max_bytes = int(float(step.get("max_output_mb") or DEFAULT_MAX_OUTPUT_MB) * 1024 * 1024)
    kind = detect_isolation()
    print(f"script step {path}: isolation {kind} ({ISOLATION_WORDS[kind]})", file=log, flush=True)
    work = os.path.realpath(tempfile.mkdtemp(prefix="trex-script-"))
    try:
        shutil.copyfile(path, os.path.join(work, "step.py"))
        with open(os.path.join(work, "input.jsonl"), "w", encoding="utf-8") as f:
            for ex in rows:
                f.write(json.dumps(_to_script(ex), ensure_ascii=False) + "\n")
        argv = confined_argv(kind, work, [sys.executable, "-I", "step.py"])
        out_path, err_path = os.path.join(work, "output.jsonl"), os.path.join(work, "stderr.txt")
        t0 = time.time()
        with open(os.path.join(work, "input.jsonl"), "rb") as fin, open(out_path, "wb") as fout, open(err_path, "wb") as ferr:
            proc = subprocess.Popen(argv, cwd=work, env=scrubbed_env(work), stdin=fin, stdout=fout, stderr=ferr,
                                    start_new_session=True, preexec_fn=_limit_fsize(max_bytes))
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise InputError(field, f"script {path} ran past its time limit ({timeout:g} s)")
        wall = time.time() - t0
        with open(err_path, "rb") as f:
            err = f.read()[-STDERR_TAIL:].decode("utf-8", "replace")
        if err.strip():
            print(err.rstrip(), file=log, flush=True)
        size = os.path.getsize(out_path)
        if code == -signal.SIGXFSZ or size >= max_bytes:
            raise InputError(field, f"script {path} wrote more than its output limit ({max_bytes // (1024 * 1024)} MB)")
        if code != 0:
            raise InputError(field, f"script {path} exited with {code}: {err.strip()[-500:]}")
        with open(out_path, encoding="utf-8", errors="replace") as f:
            out = [_from_script(line, n, field, needs_response) for n, line in enumerate(f, 1) if line.strip()]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stats = {"path": path, "sha256": file_sha256(path), "isolation": kind, "rows_in": len(rows), "rows_out": len(out),
             "wall_s": round(wall, 3)}
    print(f"script step {path}: {len(rows)} rows in, {len(out)} out in {wall:.1f} s", file=log, flush=True)
    return out, stats
