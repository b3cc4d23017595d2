"""A resumable training checkpoint: weights (LoRA adapters unmerged), optimizer, data order and
random states at a step, so a stopped run continues exactly where it left off."""
import os

import torch

from . import model as model_lib

DIR = "checkpoint"
FILE = "state.pt"


def path(out_dir):
    return os.path.join(out_dir, DIR, FILE)


def save(out_dir, model, opt, step, gen, order, history, all_losses):
    model_lib.save(model, path(out_dir), extra={
        "step": step, "optimizer": opt.state_dict(), "generator": gen.get_state(),
        "torch_rng": torch.get_rng_state(), "order": list(order), "history": history, "losses": all_losses,
    })


def load(file):
    """The saved training state (the caller rebuilds the model the same way, then loads it)."""
    return torch.load(file, map_location="cpu")
