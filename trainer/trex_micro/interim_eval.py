"""Evaluations during training: the task metric on a fixed slice of the validation set every
`eval_steps` steps, so the engine can compare a running node against its peers at equal steps
and stop a hopeless one early. Greedy decoding uses no random numbers, so evaluating here does
not change what training computes afterwards."""
from . import evaluate as evaluate_lib

# A fixed slice keeps each evaluation cheap; every node sees the same rows.
INTERIM_ROWS = 100


class InterimEval:
    def __init__(self, task, data_dir, every):
        self.every = every
        self.metric = task["metric"]
        self.impl = task["impl"]
        val, _ = self.impl.eval_sets(task["seed"], task["validation_size"], 0)
        self.rows = val[:INTERIM_ROWS]
        self.template = evaluate_lib.read_template(data_dir)

    def due(self, step, total):
        """At every `eval_steps` boundary before the last step (the evaluate stage scores the final model)."""
        return bool(self.every) and step % self.every == 0 and step < total

    def score(self, model):
        value, _ = evaluate_lib.score_rows(model, self.impl, self.rows, self.template)
        model.train()
        return value
