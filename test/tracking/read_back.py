"""Reads what the trackers wrote, with their own packages, and prints it as JSON for the tests.

    python read_back.py wandb <wandb dir>          every offline run: config, tags, notes, history, summary, exit code
    python read_back.py tensorboard <log dir>      every node's scalars and text, via EventAccumulator
    python read_back.py events <dir>               every folder under dir holding event files: its scalars
"""
import glob
import json
import os
import sys


def read_wandb(root):
    from wandb.proto import wandb_internal_pb2
    from wandb.sdk.internal import datastore

    runs = []
    for path in sorted(glob.glob(os.path.join(root, "**", "run-*.wandb"), recursive=True)):
        if "latest-run" in path.split(os.sep):
            continue  # a link to one of the run folders
        ds = datastore.DataStore()
        ds.open_for_scan(path)
        run = {"file": path, "history": [], "summary": {}, "config": {}, "tags": [], "notes": None, "exit_code": None}
        while True:
            data = ds.scan_data()
            if data is None:
                break
            rec = wandb_internal_pb2.Record()
            rec.ParseFromString(data)
            kind = rec.WhichOneof("record_type")
            if kind == "run":
                run.update(id=rec.run.run_id, project=rec.run.project, name=rec.run.display_name, group=rec.run.run_group,
                           tags=list(rec.run.tags), notes=rec.run.notes)
                for item in rec.run.config.update:
                    run["config"][item.key] = json.loads(item.value_json)
            elif kind == "config":
                for item in rec.config.update:
                    run["config"][item.key] = json.loads(item.value_json)
            elif kind == "history":
                run["history"].append({item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in rec.history.item})
            elif kind == "summary":
                for item in rec.summary.update:
                    run["summary"][item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
            elif kind == "exit":
                run["exit_code"] = rec.exit.exit_code
        runs.append(run)
    return runs


def read_tensorboard(root):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = {}
    for node in sorted(os.listdir(root)):
        acc = EventAccumulator(os.path.join(root, node), size_guidance={"scalars": 0, "tensors": 0})
        acc.Reload()
        tags = acc.Tags()
        scalars = {}
        texts = {}
        # TensorBoard's v2 summaries are tensors: scalars are rank-0 floats, texts strings.
        for tag in tags.get("tensors", []):
            events = acc.Tensors(tag)
            plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
            if plugin == "scalars":
                from tensorboard.util import tensor_util
                scalars[tag] = [[e.step, float(tensor_util.make_ndarray(e.tensor_proto))] for e in events]
            elif plugin == "text":
                texts[tag] = events[-1].tensor_proto.string_val[0].decode("utf-8")
        out[node] = {"scalars": scalars, "texts": texts, "plugins": sorted({acc.SummaryMetadata(t).plugin_data.plugin_name for t in tags.get("tensors", [])})}
    return out


def read_events(root):
    """Scalars of every run (folder with event files) under root, as TensorBoard would list them;
    both the classic simple_value scalars (torch's SummaryWriter) and v2 tensor scalars."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    out = {}
    for folder, _, files in sorted(os.walk(root)):
        if not any("tfevents" in f for f in files):
            continue
        acc = EventAccumulator(folder, size_guidance={"scalars": 0, "tensors": 0})
        acc.Reload()
        tags = acc.Tags()
        scalars = {tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in tags.get("scalars", [])}
        for tag in tags.get("tensors", []):
            if acc.SummaryMetadata(tag).plugin_data.plugin_name == "scalars":
                scalars[tag] = [[e.step, float(tensor_util.make_ndarray(e.tensor_proto))] for e in acc.Tensors(tag)]
        out[os.path.relpath(folder, root)] = scalars
    return out


if __name__ == "__main__":
    kind, root = sys.argv[1], sys.argv[2]
    readers = {"wandb": read_wandb, "tensorboard": read_tensorboard, "events": read_events}
    print(json.dumps(readers[kind](root)))
