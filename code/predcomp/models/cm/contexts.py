"""The contexts a context-mixing model conditions on, each hashed to 32 bits at a byte boundary.

A context is any function of the bytes seen so far. Orders ``o1 .. o7`` are the last ``k`` bytes
(``o0``: none); ``word`` is the current word (letters, case folded), ``bigram`` the word before
it too and ``trigram`` the two before it; ``word_skip`` is the current word with the word two
back (skipping one), ``word_gap`` the current word with the bytes between it and the word before
(a comma, a line break, a speaker's full stop), ``word1_c1`` and ``word1_o2`` the word before
with the last byte or two; ``skip2`` and ``skip23`` leave out the last byte (sparse contexts,
which see past a byte that varies); ``column`` is the position in the line with the byte above
it (for text laid out in lines, such as verse or a play's speaker names), ``column_c1`` the
position with the last byte, ``line_word`` the line's first byte with the current word;
``indirect`` is the last two bytes with the bytes that followed them the last two times they
occurred (a context made of a prediction: after "th", what came after "th" before).
"""

from __future__ import annotations

from array import array

from predcomp.models.cm.hashtable import hash_step

__all__ = ["CONTEXTS", "History", "byte_class"]

#: context name -> its code (the compiled engine reads the codes)
CONTEXTS = {
    **{f"o{k}": k for k in range(8)},
    "word": 8,
    "bigram": 9,
    "skip2": 10,
    "skip23": 11,
    "column": 12,
    "trigram": 13,
    "word_skip": 14,
    "word_gap": 15,
    "column_c1": 16,
    "indirect": 17,
    "word1_c1": 18,
    "line_word": 19,
    "word1_o2": 20,
}
#: most bytes remembered for contexts (o7 needs 7)
_KEEP = 8


def _is_letter(c: int) -> bool:
    return 65 <= c <= 90 or 97 <= c <= 122


def byte_class(c: int) -> int:
    """A byte's kind in text: 0 a lower-case letter, 1 an upper-case one, 2 a space or a line
    break, 3 anything else (the mixer's weight sets are chosen by the kinds of the last bytes)."""
    if 97 <= c <= 122:
        return 0
    if 65 <= c <= 90:
        return 1
    return 2 if c in (32, 10) else 3


class History:
    """The bytes seen so far and the running summaries contexts are made of."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.word = 0  # hash of the current word's letters (0 outside a word)
        self.prev_word = 0  # hash of the word before it
        self.word2 = 0  # ... and of the word before that
        self.gap = 0  # the bytes since the last word ended (hashed; the first one as it is)
        self.line_start = 0  # where the current line starts in buf
        self.prev_line_start = 0  # ... and the line before
        # for each pair of bytes (the later one in the low byte), the bytes that followed it
        # the last two times it occurred (the latest in the low byte)
        self.follow = array("H", [0]) * (1 << 16)

    def add(self, c: int) -> None:
        """Append the byte ``c`` and update the word, line and indirect summaries."""
        pair = self.byte(1) | self.byte(2) << 8
        self.follow[pair] = ((self.follow[pair] << 8) | c) & 0xFFFF
        self.buf.append(c)
        if _is_letter(c):
            self.word = hash_step(self.word, c | 32)
        elif self.word:  # a word ends
            self.word2, self.prev_word, self.word = self.prev_word, self.word, 0
            self.gap = c
        else:
            self.gap = hash_step(self.gap, c)
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
        elif code == 12:  # column: position in the line, and the byte above in the line before
            col = len(self.buf) - self.line_start
            above = self.prev_line_start + col
            h = hash_step(
                hash_step(h, min(col, 255)), self.buf[above] if above < self.line_start else 0
            )
        elif code == 13:
            h = hash_step(hash_step(hash_step(h, self.word2), self.prev_word), self.word)
        elif code == 14:
            h = hash_step(hash_step(h, self.word2), self.word)
        elif code == 15:
            h = hash_step(hash_step(h, self.word), self.gap)
        elif code == 16:
            col = len(self.buf) - self.line_start
            h = hash_step(hash_step(h, min(col, 255)), self.byte(1))
        elif code == 17:
            pair = self.byte(1) | self.byte(2) << 8
            h = hash_step(hash_step(h, pair), self.follow[pair])
        elif code == 18:
            h = hash_step(hash_step(h, self.prev_word), self.byte(1))
        elif code == 19:  # line_word
            first = self.buf[self.line_start] if self.line_start < len(self.buf) else 0
            h = hash_step(hash_step(h, first), self.word)
        else:  # word1_o2
            h = hash_step(hash_step(hash_step(h, self.prev_word), self.byte(1)), self.byte(2))
        return h
