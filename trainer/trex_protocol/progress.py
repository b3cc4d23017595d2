"""Training logs in the formats the engine and people already read, written the same way by the
micro and the LLM trainers: LLaMA-Factory's trainer_log.jsonl (one JSON object per logging step)
and a flushed `TREX_PROGRESS {"step","total","loss","epoch"}` line on stdout, which the executor
turns into live progress."""
import json
import os
import time


def fmt_duration(seconds):
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def print_line(doc):
    """One `TREX_PROGRESS {json}` line: a step, or a phase / setup time the engine shows and bills apart."""
    print("TREX_PROGRESS " + json.dumps(doc, separators=(",", ":")), flush=True)


def print_progress(step, total=None, loss=None, epoch=None):
    doc = {"step": step}
    if total:
        doc["total"] = total
    if loss is not None:
        doc["loss"] = round(float(loss), 4)
    if epoch is not None:
        doc["epoch"] = round(float(epoch), 4)
    print_line(doc)


def print_evaluation(step, total, metric, value):
    """An evaluation during training: the engine's rung monitor ranks nodes by these (rungMonitor.ts)."""
    print_line({"step": step, "total": total, "eval_metric": metric, "eval_value": value})


class TrainerLog:
    """Writes LLaMA-Factory style lines to <out>/trainer_log.jsonl and prints progress.
    Appends by default (a resumed run keeps its earlier lines); fresh=True starts the file anew."""

    def __init__(self, out_dir, start=None, fresh=False):
        os.makedirs(out_dir, exist_ok=True)
        self.path = os.path.join(out_dir, "trainer_log.jsonl")
        self.start = start or time.time()
        self.file = open(self.path, "w" if fresh else "a", encoding="utf-8")

    def step(self, step, total, loss=None, lr=None, epoch=None, extra=None):
        elapsed = time.time() - self.start
        line = {"current_steps": step, "total_steps": total}
        if loss is not None:
            line["loss"] = round(float(loss), 4)
        for key, value in (extra or {}).items():
            line[key] = value
        if lr is not None:
            line["lr"] = lr
        if epoch is not None:
            line["epoch"] = round(float(epoch), 4)
        if total:
            line["percentage"] = round(100 * step / total, 2)
            line["remaining_time"] = fmt_duration(elapsed / max(step, 1) * (total - step))
        line["elapsed_time"] = fmt_duration(elapsed)
        self.file.write(json.dumps(line) + "\n")
        self.file.flush()
        print_progress(step, total, loss, epoch)

    def evaluation(self, step, total, metric, value):
        """An evaluation during training: `eval_<metric>` in the log, `eval_metric`/`eval_value` in the progress line."""
        line = {"current_steps": step, "total_steps": total, f"eval_{metric}": value,
                "elapsed_time": fmt_duration(time.time() - self.start)}
        self.file.write(json.dumps(line) + "\n")
        self.file.flush()
        print_evaluation(step, total, metric, value)

    def close(self):
        self.file.close()
