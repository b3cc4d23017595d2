"""Addition of two 2-digit numbers ("47+89=" -> "136").

Template `reversed` writes the sum least-significant digit first, so each
output digit only needs the operand digits and a carry already produced;
the answer reader un-reverses it before scoring.
"""
from trex_protocol.errors import InputError
from .base import Task


# Two-digit operands: a tiny model learns this in a few hundred steps on
# CPU, while 3-digit operands need thousands (too slow for the loop).
OPERAND_DIGITS = 2


class Addition(Task):
    name = "addition"
    max_new_tokens = 6
    templates = ("plain", "reversed", "qa")

    def check_params(self, params, field):
        for key, value in params.items():
            if key != "max_digits":
                raise InputError(f"{field}.{key}", "unknown param for addition (use max_digits)")
            if not isinstance(value, int) or not 1 <= value <= OPERAND_DIGITS:
                raise InputError(f"{field}.{key}", f"must be an integer in 1..{OPERAND_DIGITS}")

    def generate(self, rng, params, clean, paraphrase):
        # Training mixes in shorter operands only if asked (max_digits < 2 is
        # a deliberately bad curriculum knob); eval is always 2-digit.
        digits = OPERAND_DIGITS if clean else params.get("max_digits", OPERAND_DIGITS)
        low = 10 ** (digits - 1)
        a, b = rng.randint(low, 10 * low - 1), rng.randint(low, 10 * low - 1)
        return {"prompt": f"{a}+{b}=", "answer": str(a + b)}

    def render_prompt(self, prompt, template):
        return f"Q: {prompt}\nA: " if template == "qa" else prompt

    def render_response(self, answer, template):
        return answer[::-1] if template == "reversed" else answer

    def read_answer(self, text, template):
        text = text.strip()
        return text[::-1] if template == "reversed" else text
