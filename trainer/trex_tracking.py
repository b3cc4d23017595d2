"""Logs one finished TREX node to W&B or TensorBoard with their own Python packages.

    python trex_tracking.py wandb|tensorboard  < {"run": {...}, "wandb": {...} | "tensorboard": {...}}

The run (src/engine/tracking/nodeRun.ts) carries the node's tags, parameters, per-step training
log, final metrics, plan and folder. W&B: a run per node (offline mode writes it under `dir` for
`wandb sync`). TensorBoard: event files under <log_dir>/<node id>, rewritten whole on each call,
so a retried node never has its points twice; with framework_logs, the framework's own event files
from the node folder are copied into <log_dir>/<node id>/framework.
"""
import json
import os
import re
import shutil
import sys


def log_wandb(run, target):
    import wandb

    os.makedirs(target["dir"], exist_ok=True)
    tags = run["tags"]
    # W&B tags are short labels; the full set is also in the config under "trex".
    labels = [f"node:{tags['trex.node_id']}", f"policy:{tags['trex.policy']}", f"status:{tags['trex.status']}"]
    if tags.get("trex.parent"):
        labels.append(f"parent:{tags['trex.parent']}")
    config = dict(run["params"])
    config["trex"] = {k[len("trex."):]: v for k, v in tags.items() if k.startswith("trex.")}
    config["trex"]["node_url"] = run["nodeUrl"]
    run_id = re.sub(r"[^A-Za-z0-9_-]", "-", f"{tags['trex.node_id']}-{run['attempt']}")
    w = wandb.init(
        project=target["project"], entity=target.get("entity"), name=run["runName"], id=run_id,
        dir=target["dir"], mode=target["mode"], config=config, tags=[t[:64] for t in labels],
        notes=run["description"], group=run["experiment"], job_type="trex-node",
        settings=wandb.Settings(console="off", save_code=False, disable_git=True, x_disable_stats=True),
    )
    for s in run["steps"]:
        w.log(s["values"], step=int(s["step"]))
    w.summary.update(run["final"])
    w.summary["trex/status"] = tags["trex.status"]
    w.finish(exit_code=0 if run["status"] == "succeeded" else 1)
    return {"run_id": run_id, "dir": w.dir if hasattr(w, "dir") else target["dir"]}


def log_tensorboard(run, target):
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.hparams import summary_v2 as hparams
    from tensorboard.plugins.scalar import summary_v2 as scalar
    from tensorboard.plugins.text import summary_v2 as text
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    log_dir = os.path.join(target["logDir"], run["nodeId"])
    shutil.rmtree(log_dir, ignore_errors=True)
    writer = EventFileWriter(log_dir)
    t_end = run["endMs"] / 1000.0

    def add(summary, step, wall_time=t_end):
        writer.add_event(event_pb2.Event(wall_time=wall_time, step=int(step), summary=summary))

    tags = run["tags"]
    hp = {k: v for k, v in run["params"].items() if isinstance(v, (str, int, float, bool))}
    hp.update({k: v for k, v in tags.items() if k in ("trex.node_id", "trex.parent", "trex.policy", "trex.status")})
    add(hparams.hparams_pb(hp, trial_id=run["nodeId"], start_time_secs=run["startMs"] / 1000.0), 0, run["startMs"] / 1000.0)
    add(text.text_pb("trex/plan", run["description"]), 0)
    table = "| tag | value |\n|---|---|\n" + "\n".join(f"| {k} | {str(v).replace('|', '/')} |" for k, v in tags.items())
    add(text.text_pb("trex/node", f"{table}\n\nNode folder: {run['nodeUrl']}"), 0)
    for s in run["steps"]:
        for key, value in s["values"].items():
            add(scalar.scalar_pb(key, value), s["step"])
    last = run["steps"][-1]["step"] if run["steps"] else 0
    for key, value in run["final"].items():
        add(scalar.scalar_pb(key, value), last)
    writer.close()
    copied = _copy_framework_runs(run, target, log_dir)
    return {"log_dir": log_dir, "framework_runs": copied}


def _copy_framework_runs(run, target, log_dir):
    """The framework's own event files (report_to tensorboard, in the node folder) beside TREX's,
    as the run <node id>/framework, so one `tensorboard --logdir <log_dir>` shows both."""
    if not target.get("frameworkRuns"):
        return None
    src = os.path.join(run["nodeDir"], target["frameworkRuns"])
    if not os.path.isdir(src):
        return None
    dest = os.path.join(log_dir, "framework")
    shutil.copytree(src, dest, symlinks=False, ignore_dangling_symlinks=True)
    return dest


def main(argv):
    if len(argv) != 2 or argv[1] not in ("wandb", "tensorboard"):
        print("usage: trex_tracking.py wandb|tensorboard < run.json", file=sys.stderr)
        return 2
    payload = json.load(sys.stdin)
    kind = argv[1]
    out = log_wandb(payload["run"], payload["wandb"]) if kind == "wandb" else log_tensorboard(payload["run"], payload["tensorboard"])
    print("TREX_TRACKING " + json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
