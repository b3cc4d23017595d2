"""The engine <-> trainer protocol shared by the micro and the LLM trainers: the JSON files the
engine writes and reads (files), input errors and exit codes (errors, cli), field validation
(fields), and the live progress lines and trainer_log.jsonl (progress)."""
