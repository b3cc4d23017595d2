"""What this machine can train with, as one JSON object on stdout (read by `trex doctor` and the
ssh preflight). Standard library only, so it runs on a host that has just python: package
versions come from their metadata (no slow imports), only torch is imported for its device.
    python3 trex_probe.py <work dir> [--create]
(--create makes the work dir first; without it the free space of its nearest existing folder is told.)
Exits 0 when torch imports, 3 when it does not (the report is printed either way)."""
import json
import os
import shutil
import subprocess
import sys

PACKAGES = ("torch", "transformers", "peft", "trl", "llamafactory", "datasets", "accelerate", "lm_eval", "vllm")
# Distribution names differ from import names for some packages.
DISTRIBUTIONS = {"lm_eval": "lm-eval"}
NVIDIA_SMI = ["nvidia-smi", "--query-gpu=index,memory.used,memory.total", "--format=csv,noheader"]


def package_version(name):
    from importlib import metadata
    try:
        return {"version": metadata.version(DISTRIBUTIONS.get(name, name))}
    except metadata.PackageNotFoundError:
        return {"error": "not installed"}
    except Exception as e:  # a broken install: say what broke
        return {"error": f"{type(e).__name__}: {e}"[:300]}


def torch_device():
    try:
        import torch
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"[:300]}
    mps = getattr(getattr(torch.backends, "mps", None), "is_available", lambda: False)()
    return {"version": torch.__version__, "cuda_available": bool(torch.cuda.is_available()),
            "cuda_devices": int(torch.cuda.device_count()), "mps_available": bool(mps)}


def run(argv):
    """Exit status and the first line of output of a short command; None when it is not installed."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"rc": -1, "out": str(e)[:300]}
    return {"rc": r.returncode, "out": (r.stdout if r.returncode == 0 else (r.stderr or r.stdout))[:4000]}


def disk(work_dir, create):
    try:
        if create:
            os.makedirs(work_dir, exist_ok=True)
        where = os.path.abspath(work_dir)
        while not os.path.exists(where):
            where = os.path.dirname(where)
        return {"path": where, "free_mb": shutil.disk_usage(where).free // (1024 * 1024)}
    except OSError as e:
        return {"path": work_dir, "error": str(e)[:300]}


def isolation():
    """Whether model-written commands could be boxed: user+net namespaces, or bubblewrap."""
    unshare = run(["unshare", "-rn", "true"])
    bwrap = run(["bwrap", "--ro-bind", "/", "/", "--unshare-net", "--", "true"])
    return {"unshare": bool(unshare and unshare["rc"] == 0), "bwrap": bool(bwrap and bwrap["rc"] == 0)}


def main():
    work_dir = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
    create = "--create" in sys.argv[2:]
    torch = torch_device()
    report = {
        "probe": 1,
        "python": {"executable": sys.executable, "version": sys.version.split()[0]},
        "torch": torch,
        "packages": {name: package_version(name) for name in PACKAGES if name != "torch"},
        "disk": disk(work_dir, create),
        "nvidia_smi": run(NVIDIA_SMI),
        "isolation": isolation(),
    }
    print(json.dumps(report))
    return 0 if "version" in torch else 3


if __name__ == "__main__":
    sys.exit(main())
