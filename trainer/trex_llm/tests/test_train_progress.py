"""The validation examples the eval loss during training reads (hf, trl and llamafactory alike)."""
import json
import os
import tempfile
import unittest

from trex_llm.train_progress import EVAL_ROWS, eval_chat_rows, eval_examples


class EvalExamplesTest(unittest.TestCase):
    def write(self, rows):
        path = os.path.join(tempfile.mkdtemp(), "validation.jsonl")
        with open(path, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)
        return path

    def test_first_rows_with_a_text_answer_capped(self):
        rows = [{"prompt": [{"role": "user", "content": f"q{i}"}], "reference": f"a{i}" if i % 3 else ["x"]} for i in range(200)]
        picked = eval_examples(self.write(rows))
        self.assertEqual(len(picked), EVAL_ROWS)
        self.assertEqual(picked[0]["reference"], "a1")
        self.assertTrue(all(isinstance(r["reference"], str) for r in picked))

    def test_chat_rows_end_with_the_answer_after_the_prompt_and_system(self):
        prompt = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "2+2?"}]
        [row] = eval_chat_rows(self.write([{"id": "v:0", "prompt": prompt, "prompt_text": "2+2?", "reference": "4"}]))
        answer = {"role": "assistant", "content": "4"}
        self.assertEqual(row, {"prompt": prompt, "completion": [answer], "messages": prompt + [answer]})

    def test_no_file_no_examples(self):
        self.assertEqual(eval_examples(os.path.join(tempfile.mkdtemp(), "validation.jsonl")), [])


if __name__ == "__main__":
    unittest.main()
