"""The rendered train config (run/hf/train.json) is read field by field: every field is required,
and a missing or wrong one is named, so the script never trains on a default of its own."""
import unittest

from trex_llm.config import parse_train
from trex_protocol.errors import InputError

RENDERED = {
    "framework": "hf", "base_model": "./tiny", "method": "sft", "finetuning": "lora", "learning_rate": 0.0001,
    "epochs": 1, "max_steps": None, "batch_size": 4, "gradient_accumulation_steps": 1, "gradient_checkpointing": True,
    "lora": {"rank": 16, "alpha": 32, "dropout": 0.05, "target": "all"}, "warmup_ratio": 0.03, "weight_decay": 0,
    "lr_scheduler": "cosine", "max_seq_len": 2048, "precision": "bf16", "dpo_beta": 0.1, "seed": 0, "notes": [],
    "report_to": "none", "tensorboard_dir": None,
    "eval_steps": None,
}


class RenderedTrainConfigTests(unittest.TestCase):
    def test_a_complete_config_is_read_as_written(self):
        cfg = parse_train(RENDERED)
        self.assertEqual((cfg["finetuning"], cfg["warmup_ratio"], cfg["max_steps"], cfg["lora_rank"]), ("lora", 0.03, None, 16))
        self.assertIsNone(cfg["logging_steps"])

    def test_each_missing_field_is_named(self):
        for key in RENDERED:
            with self.subTest(key=key):
                doc = {k: v for k, v in RENDERED.items() if k != key}
                with self.assertRaises(InputError) as e:
                    parse_train(doc)
                self.assertEqual(e.exception.field, key)
        for key in RENDERED["lora"]:
            with self.subTest(key=f"lora.{key}"):
                doc = dict(RENDERED, lora={k: v for k, v in RENDERED["lora"].items() if k != key})
                with self.assertRaises(InputError) as e:
                    parse_train(doc)
                self.assertEqual(e.exception.field, f"lora.{key}")

    def test_a_wrong_value_is_named(self):
        with self.assertRaises(InputError) as e:
            parse_train(dict(RENDERED, finetuning="adapter"))
        self.assertEqual(e.exception.field, "finetuning")
        with self.assertRaises(InputError) as e:
            parse_train(dict(RENDERED, max_steps=0))
        self.assertEqual(e.exception.field, "max_steps")

    def test_report_to_tensorboard_names_its_folder(self):
        cfg = parse_train(dict(RENDERED, report_to="tensorboard", tensorboard_dir="nodes/n0001/run/tensorboard"))
        self.assertEqual((cfg["report_to"], cfg["tensorboard_dir"]), ("tensorboard", "nodes/n0001/run/tensorboard"))
        for doc in (dict(RENDERED, report_to="tensorboard"), dict(RENDERED, tensorboard_dir="tb"), dict(RENDERED, report_to="wandb")):
            with self.assertRaises(InputError) as e:
                parse_train(doc)
            self.assertIn(e.exception.field, ("report_to", "tensorboard_dir"))


if __name__ == "__main__":
    unittest.main()
