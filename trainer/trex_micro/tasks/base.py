"""What every micro task provides: a generator of (prompt, answer) pairs,
prompt/response templates, and how to read an answer back from model text."""
import random


class Task:
    name = ""
    max_new_tokens = 16
    templates = ("plain", "qa")
    # Tasks that can judge label quality from the text alone set this.
    has_lexicon = False

    def generate(self, rng, params, clean, paraphrase):
        """One raw example {"prompt", "answer"}. `clean` means eval data
        (never noisy, all phrasings); training data follows `params`."""
        raise NotImplementedError

    def check_params(self, params, field):
        """Raise InputError for unknown/invalid generator params."""

    # Formatting: the template decides the exact text the model sees.
    def render_prompt(self, prompt, template):
        if template == "qa":
            return f"Q: {prompt}\nA: "
        return prompt + " => "

    def render_response(self, answer, template):
        return answer

    def read_answer(self, text, template):
        return text.strip()

    def eval_sets(self, seed, n_val, n_test):
        """Deterministic, clean, disjoint validation and test sets."""
        rng = random.Random(f"eval:{self.name}:{seed}")
        seen, rows = set(), []
        attempts = 0
        while len(rows) < n_val + n_test:
            attempts += 1
            if attempts > 50 * (n_val + n_test) + 1000:
                raise RuntimeError(f"task {self.name}: cannot draw {n_val + n_test} distinct eval prompts")
            ex = self.generate(rng, {}, clean=True, paraphrase=True)
            if ex["prompt"] not in seen:
                seen.add(ex["prompt"])
                rows.append(ex)
        return rows[:n_val], rows[n_val:]
