"""Prompt templates of a recipe (`format.template`). The model's own chat
template is applied on top by the trainer, so these only shape the user turn:
`chat` keeps the mapped prompt as is; `alpaca` and `qa` wrap it in a classic
instruction layout; any string containing `{prompt}` is a custom wrapper."""
from trex_protocol.errors import InputError

NAMED = {
    "chat": "{prompt}",
    "alpaca": ("Below is an instruction that describes a task. Write a response that appropriately "
               "completes the request.\n\n### Instruction:\n{prompt}\n\n### Response:"),
    "qa": "Question: {prompt}\nAnswer:",
}


def check_template(template, field):
    if template not in NAMED and "{prompt}" not in template:
        raise InputError(field, f"unknown template {template!r}; use one of {list(NAMED)} "
                                "or a string containing {prompt}")


def apply_template(template, prompt):
    # str.replace, not str.format: the prompt text may contain braces of its own.
    return NAMED.get(template, template).replace("{prompt}", prompt)
