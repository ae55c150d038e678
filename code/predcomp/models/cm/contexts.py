"""The contexts a context-mixing model conditions on, each hashed to 32 bits at a byte boundary.

A context is any function of the bytes seen so far. Orders ``o1 .. o7`` are the last ``k``
bytes (``o0``: none); ``word`` is the current word (letters, case folded) and ``bigram`` the
word before it too; ``skip2`` and ``skip23`` leave out the last byte (sparse contexts, which
see past a byte that varies); ``column`` is the position in the line with the byte above it
(for text laid out in lines, such as verse or a play's speaker names).
"""

from __future__ import annotations

from predcomp.models.cm.hashtable import hash_step

__all__ = ["CONTEXTS", "History"]

#: context name -> its code (the compiled engine reads the codes)
CONTEXTS = {
    **{f"o{k}": k for k in range(8)},
    "word": 8,
    "bigram": 9,
    "skip2": 10,
    "skip23": 11,
    "column": 12,
}
#: most bytes remembered for contexts (o7 needs 7)
_KEEP = 8


def _is_letter(c: int) -> bool:
    return 65 <= c <= 90 or 97 <= c <= 122


class History:
    """The bytes seen so far and the running summaries contexts are made of."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.word = 0  # hash of the current word's letters (0 outside a word)
        self.prev_word = 0  # hash of the word before it
        self.line_start = 0  # where the current line starts in buf
        self.prev_line_start = 0  # ... and the line before

    def add(self, c: int) -> None:
        """Append the byte ``c`` and update the word and line summaries."""
        self.buf.append(c)
        if _is_letter(c):
            self.word = hash_step(self.word, c | 32)
        elif self.word:
            self.prev_word, self.word = self.word, 0
        if c == 10:
            self.prev_line_start, self.line_start = self.line_start, len(self.buf)

    def byte(self, k: int) -> int:
        """The ``k``-th last byte (``k >= 1``), 0 before the start."""
        n = len(self.buf)
        return self.buf[n - k] if k <= n else 0

    def suffix_hash(self, k: int) -> int:
        """The 32-bit hash of the last ``k`` bytes (the context ``o<k>`` for ``k <= 7``)."""
        h = hash_step(0, k + 1)
        for j in range(1, k + 1):
            h = hash_step(h, self.byte(j))
        return h

    def context_hash(self, code: int) -> int:
        """The 32-bit hash of context ``code`` (see :data:`CONTEXTS`) at this byte boundary."""
        if code <= 7:
            return self.suffix_hash(code)
        h = hash_step(0, code + 1)  # each context has its own hash family
        if code == 8:
            h = hash_step(h, self.word)
            if self.word == 0:  # between words the last byte (a space, a comma) matters
                h = hash_step(h, self.byte(1))
        elif code == 9:
            h = hash_step(hash_step(h, self.prev_word), self.word)
        elif code == 10:
            h = hash_step(h, self.byte(2))
        elif code == 11:
            h = hash_step(hash_step(h, self.byte(2)), self.byte(3))
        else:  # column: position in the line, and the byte above in the line before
            col = len(self.buf) - self.line_start
            above = self.prev_line_start + col
            h = hash_step(
                hash_step(h, min(col, 255)), self.buf[above] if above < self.line_start else 0
            )
        return h
