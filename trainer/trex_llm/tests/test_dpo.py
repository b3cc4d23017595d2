"""The built-in DPO loss under gradient accumulation, with the real transformers
Trainer and a tiny Llama: accumulating two half batches gives the loss and the
gradients of one whole batch (not the accumulation factor times them)."""
import math
import tempfile
import unittest

try:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainingArguments
    MISSING = None
except ImportError as e:
    MISSING = f"needs torch and transformers ({e})"

PAD = 0


def tiny_llama():
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32, pad_token_id=PAD)
    return LlamaForCausalLM(config)


def pairs():
    """Four preference pairs of token ids: (ids, labels) with the prompt masked out of the labels."""
    from ..chat import IGNORE
    out = []
    for i in range(4):
        prompt = [3 + i, 4, 5]
        out.append({"chosen": (prompt + [10, 11], [IGNORE] * 3 + [10, 11]),
                    "rejected": (prompt + [12 + i], [IGNORE] * 3 + [12 + i])})
    return out


@unittest.skipIf(MISSING, MISSING)
class DpoAccumulationTests(unittest.TestCase):
    def trainer(self, batch_size, accumulation, items):
        from ..dpo import PairCollator, add_reference_logps, make_dpo_trainer_class
        model = tiny_llama()
        add_reference_logps(model, items, PAD, 4, torch.device("cpu"))
        args = TrainingArguments(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=batch_size,
                                 gradient_accumulation_steps=accumulation, learning_rate=0.0, max_steps=1,
                                 report_to="none", save_strategy="no", use_cpu=True, disable_tqdm=True,
                                 remove_unused_columns=False, dataloader_num_workers=0)
        return make_dpo_trainer_class(Trainer, 0.1)(model=model, args=args, train_dataset=items,
                                                    data_collator=PairCollator(PAD))

    def test_logged_loss_is_not_scaled_by_accumulation(self):
        # The reference is the initial model, so the first step's loss is -log sigmoid(0) = ln 2 for any batch.
        items = pairs()
        loss = self.trainer(2, 2, items).train().metrics["train_loss"]
        self.assertAlmostEqual(loss, math.log(2), places=5)

    def test_accumulated_gradients_equal_the_whole_batch(self):
        from ..dpo import PairCollator
        items = pairs()
        collate = PairCollator(PAD)

        def grads(trainer, batches):
            model = trainer.model
            model.train()
            model.zero_grad()
            trainer.current_gradient_accumulation_steps = len(batches)  # what Trainer's loop sets per step
            losses = []
            for batch in batches:
                n_tokens = (batch["labels"] != -100).sum()  # what the loop passes as num_items_in_batch
                losses.append(float(trainer.training_step(model, batch, num_items_in_batch=n_tokens)))
            return sum(losses), [p.grad.clone() for p in model.parameters() if p.grad is not None]

        whole_loss, whole = grads(self.trainer(4, 1, items), [collate(items)])
        accum_loss, accum = grads(self.trainer(2, 2, items), [collate(items[:2]), collate(items[2:])])
        self.assertAlmostEqual(accum_loss, whole_loss, places=5)
        self.assertEqual(len(accum), len(whole))
        for a, w in zip(accum, whole):
            torch.testing.assert_close(a, w, rtol=1e-4, atol=1e-6)
        self.assertGreater(sum(float(g.abs().sum()) for g in whole), 0.0)


if __name__ == "__main__":
    unittest.main()
