"""Resumable training checkpoints, one per evaluation step (checkpoint/step-<n>.pt): weights (LoRA
adapters unmerged), optimizer, data order and random states, so a run stopped at a step continues
exactly from that step even if it trained on before the stop reached it."""
import os

import torch

from . import model as model_lib

DIR = "checkpoint"


def path(out_dir, step):
    return os.path.join(out_dir, DIR, f"step-{step}.pt")


def save(out_dir, model, opt, step, gen, order, history, all_losses):
    model_lib.save(model, path(out_dir, step), extra={
        "step": step, "optimizer": opt.state_dict(), "generator": gen.get_state(),
        "torch_rng": torch.get_rng_state(), "order": list(order), "history": history, "losses": all_losses,
    })


def load(file):
    """The saved training state (the caller rebuilds the model the same way, then loads it)."""
    return torch.load(file, map_location="cpu")
