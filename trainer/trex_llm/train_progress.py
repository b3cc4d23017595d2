"""Progress during training, shared by the built-in script and TRL's trainers: a transformers
TrainerCallback that writes steps and evaluations through TrainerLog, and the validation
examples the eval loss during training reads (the same for hf, trl and llamafactory)."""
import os

from trex_protocol.files import read_jsonl
from trex_protocol.progress import TrainerLog

# The eval loss during training reads a fixed slice of the validation set, so it stays cheap.
EVAL_ROWS = 64


def eval_examples(validation_path):
    """The first EVAL_ROWS validation rows with a text answer (`reference`), [] when there are none."""
    if not os.path.exists(validation_path):
        return []
    return [r for r in read_jsonl(validation_path) if isinstance(r.get("reference"), str)][:EVAL_ROWS]


def eval_chat_rows(validation_path):
    """The same examples shaped like training rows: `prompt`/`completion` (TRL) and `messages` (LLaMA-Factory)."""
    rows = []
    for r in eval_examples(validation_path):
        completion = [{"role": "assistant", "content": r["reference"]}]
        rows.append({"prompt": r["prompt"], "completion": completion, "messages": r["prompt"] + completion})
    return rows


def progress_callback(out_dir, steps=True):
    """Appends to <out_dir>/trainer_log.jsonl and prints TREX_PROGRESS lines from the main process:
    each logged training step (unless `steps` is False: TRL's launcher logs those from its output)
    and each evaluation's loss, as metric "loss"."""
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        log = None

        def on_train_begin(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                self.log = TrainerLog(out_dir)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not steps or self.log is None or not logs or "loss" not in logs:
                return
            extra = {k: round(float(v), 4) for k, v in logs.items() if k == "grad_norm" and v is not None}
            self.log.step(state.global_step, state.max_steps, logs["loss"], logs.get("learning_rate"), state.epoch, extra)

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            if self.log is not None and metrics and "eval_loss" in metrics:
                self.log.evaluation(state.global_step, state.max_steps, "loss", round(float(metrics["eval_loss"]), 4))

        def on_train_end(self, args, state, control, **kwargs):
            if self.log is not None:
                self.log.close()
                self.log = None
    return Progress()
