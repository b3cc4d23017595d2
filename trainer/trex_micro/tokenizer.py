"""Character tokenizer: printable ASCII + newline, plus PAD and END tokens."""

PAD = 0
END = 1
_CHARS = "\n" + "".join(chr(c) for c in range(32, 127))
_ID = {ch: i + 2 for i, ch in enumerate(_CHARS)}
VOCAB_SIZE = len(_CHARS) + 2
_UNKNOWN = _ID["?"]


def encode(text):
    return [_ID.get(ch, _UNKNOWN) for ch in text]


def decode(ids):
    out = []
    for i in ids:
        if i == END:
            break
        if i >= 2:
            out.append(_CHARS[i - 2])
    return "".join(out)
