"""Bit streams: the bottom layer of every coder in this package.

Bits are packed most-significant-bit first: the first bit written becomes the top bit of the
first byte. A :class:`BitWriter` pads its last byte with zeros; a :class:`BitReader` returns
zeros after the end of its data and counts how many it made up, so a decoder can tell a
legitimate read past the padding from a truncated stream.
"""

from __future__ import annotations

from collections.abc import Iterable


class BitWriter:
    """Accumulate bits, most significant first, into bytes."""

    def __init__(self) -> None:
        self._bytes = bytearray()
        self._current = 0  # bits of the byte being filled, right-aligned
        self._filled = 0  # how many bits of it are filled (0..7)
        self.bits_written = 0

    def write(self, bit: int) -> None:
        """Append one bit (0 or 1)."""
        if bit not in (0, 1):
            raise ValueError(f"a bit must be 0 or 1, got {bit!r}")
        self._current = (self._current << 1) | bit
        self._filled += 1
        self.bits_written += 1
        if self._filled == 8:
            self._bytes.append(self._current)
            self._current = 0
            self._filled = 0

    def write_bits(self, value: int, width: int) -> None:
        """Append ``value`` as ``width`` bits, most significant first."""
        if width < 0 or value < 0 or value >> width:
            raise ValueError(f"{value} does not fit in {width} bits")
        current = (self._current << width) | value
        filled = self._filled + width
        while filled >= 8:  # move completed bytes out of the accumulator
            filled -= 8
            self._bytes.append((current >> filled) & 0xFF)
        self._current = current & ((1 << filled) - 1)
        self._filled = filled
        self.bits_written += width

    def write_string(self, bits: str) -> None:
        """Append bits given as a string of ``'0'`` and ``'1'`` characters."""
        for ch in bits:
            if ch not in "01":
                raise ValueError(f"not a bit string: {bits!r}")
            self.write(1 if ch == "1" else 0)

    def getvalue(self) -> bytes:
        """The bytes written so far, the last one padded with zero bits."""
        if self._filled:
            return bytes(self._bytes) + bytes([self._current << (8 - self._filled)])
        return bytes(self._bytes)


class BitReader:
    """Read bits, most significant first, from bytes; zeros after the end."""

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._pos = 0  # index of the next bit
        self._nbits = 8 * len(self._data)
        #: number of bits read after the end of the data (each returned as 0)
        self.bits_past_end = 0

    def read(self) -> int:
        """Return the next bit, or 0 (and count it) once the data is exhausted."""
        pos = self._pos
        if pos >= self._nbits:
            self.bits_past_end += 1
            return 0
        self._pos = pos + 1
        return (self._data[pos >> 3] >> (7 - (pos & 7))) & 1

    def read_bits(self, width: int) -> int:
        """Read ``width`` bits as an unsigned integer (zeros, counted, after the end)."""
        pos, end = self._pos, self._pos + width
        if end <= self._nbits:  # all inside the data: take them from a slice of whole bytes
            first, last = pos >> 3, (end + 7) >> 3
            chunk = int.from_bytes(self._data[first:last], "big")
            self._pos = end
            return (chunk >> (8 * last - end)) & ((1 << width) - 1)
        value = 0
        for _ in range(width):
            value = (value << 1) | self.read()
        return value

    @property
    def bits_read(self) -> int:
        """Bits consumed so far, including those made up after the end."""
        return self._pos + self.bits_past_end


def bits_to_string(data: bytes, nbits: int | None = None) -> str:
    """Render bytes as a ``'0'``/``'1'`` string (the first ``nbits`` bits if given)."""
    text = "".join(f"{byte:08b}" for byte in data)
    return text if nbits is None else text[:nbits]


def pack_bits(bits: Iterable[int]) -> bytes:
    """Pack an iterable of 0/1 integers into bytes (zero-padded)."""
    writer = BitWriter()
    for bit in bits:
        writer.write(bit)
    return writer.getvalue()
