"""Direct Preference Optimization for the built-in script, on top of the
transformers Trainer: loss = -log sigmoid(beta * ((pi_c - ref_c) - (pi_r - ref_r)))
with sequence log-probabilities of the answer tokens. Reference log-probs are
computed once, before training, with the initial model (the base, which is
what a LoRA policy with its adapters off would give), so no second model is
kept in memory."""
import torch
import torch.nn.functional as F

from .chat import IGNORE, encode_pair


def sequence_logps(logits, labels):
    logits, labels = logits[:, :-1], labels[:, 1:]
    mask = labels != IGNORE
    safe = labels.masked_fill(~mask, 0)
    per_token = torch.gather(logits.float().log_softmax(-1), 2, safe.unsqueeze(-1)).squeeze(-1)
    return (per_token * mask).sum(-1)


def encode_preferences(tokenizer, rows, max_len):
    out = []
    for r in rows:
        chosen = encode_pair(tokenizer, r["prompt"], r["chosen"][0]["content"], max_len)
        rejected = encode_pair(tokenizer, r["prompt"], r["rejected"][0]["content"], max_len)
        out.append({"chosen": chosen, "rejected": rejected})
    return out


def pad_pairs(items, pad_id):
    """Chosen and rejected of every item padded to one length -> one forward pass."""
    seqs = [it["chosen"] for it in items] + [it["rejected"] for it in items]
    width = max(len(ids) for ids, _ in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    labels = torch.full((len(seqs), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, (x, y) in enumerate(seqs):
        ids[i, :len(x)] = torch.tensor(x)
        labels[i, :len(y)] = torch.tensor(y)
        mask[i, :len(x)] = 1
    return ids, labels, mask


@torch.no_grad()
def add_reference_logps(model, items, pad_id, batch_size, device):
    model.eval()
    for i in range(0, len(items), batch_size):
        chunk = items[i:i + batch_size]
        ids, labels, mask = pad_pairs(chunk, pad_id)
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
        logps = sequence_logps(logits, labels.to(device)).cpu()
        for j, it in enumerate(chunk):
            it["ref_chosen"], it["ref_rejected"] = float(logps[j]), float(logps[len(chunk) + j])
    model.train()


class PairCollator:
    def __init__(self, pad_id):
        self.pad_id = pad_id

    def __call__(self, items):
        ids, labels, mask = pad_pairs(items, self.pad_id)
        return {"input_ids": ids, "labels": labels, "attention_mask": mask,
                "ref_chosen": torch.tensor([it["ref_chosen"] for it in items]),
                "ref_rejected": torch.tensor([it["ref_rejected"] for it in items])}


def make_dpo_trainer_class(base_trainer, beta):
    class DpoTrainer(base_trainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # The loss is a mean over the pairs of one micro-batch and ignores `num_items_in_batch`
            # (a token count for the model's own loss); saying so makes the Trainer divide it by the
            # gradient accumulation steps, as its compute_loss contract asks. Otherwise loss and
            # gradients come out multiplied by the accumulation factor.
            self.model_accepts_loss_kwargs = False

        def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
            n = inputs["ref_chosen"].shape[0]
            logits = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits
            logps = sequence_logps(logits, inputs["labels"])
            margin = (logps[:n] - inputs["ref_chosen"]) - (logps[n:] - inputs["ref_rejected"])
            loss = -F.logsigmoid(beta * margin).mean()
            return (loss, {"logits": logits}) if return_outputs else loss
    return DpoTrainer
