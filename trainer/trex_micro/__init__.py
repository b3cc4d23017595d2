"""TREX micro trainer: real fine-tuning of a tiny char-level GPT on CPU."""
