"""The compiled engine: the reference model and the arithmetic coder, in one numba loop.

:class:`~predcomp.models.cm.model.ContextMixing` is written to be read: small objects, lists,
one bit at a time through method calls, a few KB/s. This module implements *the same model*
(every table, every integer operation, in the same order) as straight-line code on numpy
arrays, together with the binary arithmetic coder of :mod:`predcomp.coding.arithmetic`, and
compiles it with numba's ``@njit(cache=True)``: the first call on a machine compiles it
(seconds) and caches the machine code in ``__pycache__`` next to this file (numba uses a
per-user cache folder where the package's folder is read-only, or ``NUMBA_CACHE_DIR``); later
processes load it. Because the model is all integers, the engine's bits are the reference's
bits; tests compress texts, random bytes and hypothesis-chosen inputs both ways and assert
that the containers are identical.

Constants that live in other modules (the number of bit-history states, the match lengths)
reach the compiled code through the configuration vector, not as globals: numba's cache is
keyed to this file, and would keep a stale copy of another module's constant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

from predcomp.models.cm.apm import KNOTS
from predcomp.models.cm.contexts import CONTEXTS
from predcomp.models.cm.counter import (
    DETERMINISTIC,
    N_STATES,
    NEXT,
    RATES,
    initial_probabilities,
)
from predcomp.models.cm.logistic import SQUASH, STRETCH
from predcomp.models.cm.match import MAX_LEN, MIN_LEN
from predcomp.models.cm.model import _BOOST_HALF, APMS, SELECTORS, ContextMixing

__all__ = ["Engine"]

_HALF, _QUARTER, _MASK = 1 << 31, 1 << 30, (1 << 32) - 1  # the coder's 32-bit state
# regs, the engine's int64 state vector: 0 word hash, 1 previous word's, 2 line start,
# 3 previous line start, 4 match pointer, 5 match length, 6 expected byte | 256; the coder's
# 7 low, 8 high, 9 pending bits, 10 partial output byte, 11 its bits, 12 output position,
# 13 code value, 14 input bit position, 15 bits read past the end; 16 the hash of the word
# before the previous one, 17 the gap since the last word.
# cfg, its configuration: 0 contexts, 1 match, 2 selectors, 3 APMs, 4 table bits, 5 match
# bits, 6 learning rate, 7 count limit, 8-9 the coder's clamp, 10 states, 11-12 match
# lengths, 13 the learning rate's boost, 14 its half-life, 15 deterministic inputs, 16 the
# outside input (cm+gpt), 17 APMs side by side, 18 their count limit, 24.. context codes,
# 48.. selector codes, 52.. APM codes.
_N_REGS = 18
_CTX, _SEL, _APM = 24, 48, 52


@njit(cache=True, inline="always")
def _hash_step(h: int, x: int) -> int:
    h = ((h + x + 1) * 0x2F0B4C27) & 0xFFFFFFFF
    return h ^ (h >> 15)


@njit(cache=True, inline="always")
def _find(t: np.ndarray, bits: int, h: int) -> int:
    check = h & 255
    i = (h >> 8) & ((1 << bits) - 1)
    weakest, priority = -1, 256
    for k in range(3):
        row = (i ^ k if k else i) * 16
        if t[row] == check:
            return row
        if t[row + 1] < priority:
            weakest, priority = row, np.int64(t[row + 1])
    for j in range(16):
        t[weakest + j] = 0
    t[weakest] = check
    return weakest


@njit(cache=True, inline="always")
def _byte(buf: np.ndarray, pos: int, k: int) -> int:
    return np.int64(buf[pos - k]) if k <= pos else 0


@njit(cache=True, inline="always")
def _class(c: int) -> int:
    if 97 <= c <= 122:
        return 0
    if 65 <= c <= 90:
        return 1
    return 2 if c == 32 or c == 10 else 3


@njit(cache=True)
def _context_hash(
    code: int, buf: np.ndarray, pos: int, regs: np.ndarray, follow: np.ndarray
) -> int:
    h = _hash_step(0, code + 1)
    if code <= 7:
        for k in range(1, code + 1):
            h = _hash_step(h, _byte(buf, pos, k))
    elif code == 8:
        h = _hash_step(h, regs[0])
        if regs[0] == 0:
            h = _hash_step(h, _byte(buf, pos, 1))
    elif code == 9:
        h = _hash_step(_hash_step(h, regs[1]), regs[0])
    elif code == 10:
        h = _hash_step(h, _byte(buf, pos, 2))
    elif code == 11:
        h = _hash_step(_hash_step(h, _byte(buf, pos, 2)), _byte(buf, pos, 3))
    elif code == 12:
        col = pos - regs[2]
        above = regs[3] + col
        h = _hash_step(h, min(col, 255))
        h = _hash_step(h, np.int64(buf[above]) if above < regs[2] else 0)
    elif code == 13:
        h = _hash_step(_hash_step(_hash_step(h, regs[16]), regs[1]), regs[0])
    elif code == 14:
        h = _hash_step(_hash_step(h, regs[16]), regs[0])
    elif code == 15:
        h = _hash_step(_hash_step(h, regs[0]), regs[17])
    elif code == 16:
        h = _hash_step(_hash_step(h, min(pos - regs[2], 255)), _byte(buf, pos, 1))
    elif code == 17:
        pair = _byte(buf, pos, 1) | (_byte(buf, pos, 2) << 8)
        h = _hash_step(_hash_step(h, pair), follow[pair])
    elif code == 18:
        h = _hash_step(_hash_step(h, regs[1]), _byte(buf, pos, 1))
    elif code == 19:
        h = _hash_step(_hash_step(h, np.int64(buf[regs[2]]) if regs[2] < pos else 0), regs[0])
    else:
        h = _hash_step(_hash_step(_hash_step(h, regs[1]), _byte(buf, pos, 1)), _byte(buf, pos, 2))
    return h


@njit(cache=True, inline="always")
def _put_bit(out: np.ndarray, regs: np.ndarray, b: int) -> None:
    regs[10] = (regs[10] << 1) | b
    regs[11] += 1
    if regs[11] == 8:
        out[regs[12]] = regs[10]
        regs[12] += 1
        regs[10] = 0
        regs[11] = 0


@njit(cache=True, inline="always")
def _get_bit(payload: np.ndarray, regs: np.ndarray) -> int:
    pos = regs[14]
    if pos >= payload.shape[0] * 8:
        regs[15] += 1
        return 0
    regs[14] = pos + 1
    return (np.int64(payload[pos >> 3]) >> (7 - (pos & 7))) & 1


@njit(cache=True)
def _code(
    decode, buf, start, end, payload, out, cfg, regs, hashes, rows, table, smp, smn,
    mlast, msmp, msmn, w, wf, apm_t, apm_n, apm_off, nxt, rates, squash_t, stretch_t, det, tab,
    follow,
):  # fmt: skip
    """Code bytes ``start .. end`` of ``buf``; returns 0, or -1 if the payload ran out.

    With the outside input (``cfg[16]``), row ``pos - start`` of ``tab`` is the cumulative
    byte distribution the mixers get the bit probabilities of (``table_bit`` of the model).
    """
    n, use_match, nsel, napm = cfg[0], cfg[1], cfg[2], cfg[3]
    tbits, mbits, lr, limit, lo_p, hi_p = cfg[4], cfg[5], cfg[6], cfg[7], cfg[8], cfg[9]
    n_states, boost0, boost_half, use_det, ext = cfg[10], cfg[13], cfg[14], cfg[15], cfg[16]
    average, apm_limit = cfg[17], cfg[18]
    nx = n * (1 + use_det)  # the contexts' inputs; the match model's, the outside one, the bias
    ninp = nx + use_match + ext + 1
    slots = np.empty(n, np.int64)
    cxs = np.empty(n, np.int64)
    x = np.empty(ninp, np.int64)
    nz = np.empty(ninp, np.int64)  # the inputs that are not 0: the others add nothing
    dots = np.empty(4, np.int64)
    prs = np.empty(4, np.int64)
    bases = np.empty(4, np.int64)
    apm_k = np.empty(4, np.int64)
    apm_w = np.empty(4, np.int64)
    for pos in range(start, end):
        # --- a new byte: hash each context, find its row
        for i in range(n):
            hashes[i] = _context_hash(cfg[_CTX + i], buf, pos, regs, follow)
            rows[i] = _find(table, tbits, hashes[i])
        c0, nib, c = 1, 1, 0
        if not decode:
            c = np.int64(buf[pos])
        c1 = _byte(buf, pos, 1)
        c2 = _byte(buf, pos, 2)
        c3 = _byte(buf, pos, 3)
        kinds = (_class(c1) << 7) | (_class(c2) << 5) | (_class(c3) << 3)
        for bitpos in range(8):
            if bitpos == 4:
                nib = 1
                for i in range(n):
                    rows[i] = _find(table, tbits, _hash_step(hashes[i], c0))
            # --- predict
            seen = 0
            for i in range(n):
                s = rows[i] + nib
                slots[i] = s
                st = np.int64(table[s])
                seen += st != 0
                cx = i * n_states + st
                cxs[i] = cx
                x[i] = stretch_t[smp[cx] >> 4]
                if use_det:
                    x[n + i] = x[i] if det[st] else 0
            mcx, ml = -1, 0
            if use_match:
                e = regs[6]
                ml = regs[5]
                if e and (e >> (8 - bitpos)) == c0:
                    eb = (e >> (7 - bitpos)) & 1
                    lq = ml if ml < 16 else min(16 + ((ml - 16) >> 2), 31)
                    mcx = ((lq << 1) | eb) * 256 + c1
                else:
                    ml = 0
                    mcx = 64 * 256 + c0
                x[nx] = stretch_t[msmp[mcx] >> 4]
            if ext:
                width = 1 << (8 - bitpos)
                tlo = (c0 - (1 << bitpos)) * width
                tmid, thi, row = tlo + (width >> 1), tlo + width, pos - start
                q = ((tab[row, thi] - tab[row, tmid]) << 12) // (tab[row, thi] - tab[row, tlo])
                q = 1 if q < 1 else 4095 if q > 4095 else q
                x[nx + use_match] = stretch_t[q]
            x[ninp - 1] = 256
            m = 0
            for i in range(ninp):
                if x[i] != 0:
                    nz[m] = i
                    m += 1
            p = 0
            for k in range(nsel):
                sc = cfg[_SEL + k]
                if sc == 0:
                    sel = c0
                elif sc == 1:
                    sel = c1
                elif sc == 3:
                    sel = (kinds >> 7 << 8) | c0
                elif sc == 4:
                    sel = kinds | bitpos
                else:
                    if ml:
                        o = 17 + (ml >= 8) + (ml >= 12) + (ml >= 16) + (ml >= 32)
                    else:
                        o = min(seen, 16)
                    sel = o * 8 + (c1 >> 5)
                base = sel * ninp
                bases[k] = base
                d = 0
                for j in range(m):
                    i = nz[j]
                    d += w[k, base + i] * x[i]
                d >>= 16
                d = 2047 if d > 2047 else -2047 if d < -2047 else d
                dots[k] = d
                p = squash_t[d + 2047]
                prs[k] = p
            pf = 0
            if nsel > 1:
                fb = c0 * (nsel + 1)
                d = 0
                for k in range(nsel):
                    d += wf[fb + k] * dots[k]
                d += wf[fb + nsel] * 256
                d >>= 16
                d = 2047 if d > 2047 else -2047 if d < -2047 else d
                pf = squash_t[d + 2047]
                p = pf
            p0, qsum = p, 0
            for a in range(napm):
                ac = cfg[_APM + a]
                if ac == 0:
                    acx = c0
                elif ac == 1:
                    acx = c0 | (c1 << 8)
                else:
                    ah = _hash_step(c1, c2)
                    if ac == 3:
                        ah = _hash_step(ah, c3)
                    acx = (((ah >> 10) & 0x3FF) << 8) | c0
                if average:
                    p = p0
                s = stretch_t[p] + 2048
                lo, wt = s >> 7, s & 127
                j = apm_off[a] + acx * 33 + lo
                apm_k[a] = j
                apm_w[a] = wt
                q = (np.int64(apm_t[j]) * (128 - wt) + np.int64(apm_t[j + 1]) * wt) >> 11
                if average:
                    qsum += q
                else:
                    p = (p + 3 * q + 2) >> 2
            if average:
                p = (p0 + qsum + (napm + 1) // 2) // (napm + 1)
            p = 1 if p < 1 else 4095 if p > 4095 else p
            p = lo_p if p < lo_p else hi_p if p > hi_p else p
            # --- code the bit (the coder of predcomp.coding.arithmetic, total = 4096)
            low, high = regs[7], regs[8]
            rng = high - low + 1
            if decode:
                value = ((regs[13] - low + 1) * 4096 - 1) // rng
                bit = 1 if value < p else 0
            else:
                bit = (c >> (7 - bitpos)) & 1
            if bit:
                high = low + (p * rng) // 4096 - 1
            else:
                low = low + (p * rng) // 4096
            while ((low ^ high) & _HALF) == 0:
                b = low >> 31
                if decode:
                    regs[13] = ((regs[13] << 1) & _MASK) | _get_bit(payload, regs)
                else:
                    _put_bit(out, regs, b)
                    while regs[9]:
                        _put_bit(out, regs, 1 - b)
                        regs[9] -= 1
                low = (low << 1) & _MASK
                high = ((high << 1) & _MASK) | 1
            while low & ~high & _QUARTER:
                if decode:
                    cd = regs[13]
                    regs[13] = (cd & _HALF) | ((cd << 1) & (_MASK >> 1)) | _get_bit(payload, regs)
                else:
                    regs[9] += 1
                low = (low << 1) ^ _HALF
                high = ((high ^ _HALF) << 1) | _HALF | 1
            regs[7], regs[8] = low, high
            if decode and regs[15] >= 32:
                return -1
            # --- learn
            for i in range(n):
                cx = cxs[i]
                cnt = smn[cx]
                smp[cx] += (((bit << 16) - smp[cx]) * rates[cnt]) >> 16
                if cnt < limit:
                    smn[cx] = cnt + 1
                table[slots[i]] = nxt[np.int64(table[slots[i]]), bit]
            if mcx >= 0:
                cnt = msmn[mcx]
                msmp[mcx] += (((bit << 16) - msmp[mcx]) * rates[cnt]) >> 16
                if cnt < 1023:
                    msmn[mcx] = cnt + 1
            lrx = 16 * lr + (boost0 * boost_half) // (pos + boost_half)
            for k in range(nsel):
                err = (((bit << 12) - prs[k]) * lrx) >> 4
                base = bases[k]
                for j in range(m):
                    i = nz[j]
                    w[k, base + i] += (x[i] * err + 8192) >> 14
            if nsel > 1:
                err = (((bit << 12) - pf) * lrx) >> 4
                fb = c0 * (nsel + 1)
                for k in range(nsel):
                    wf[fb + k] += (dots[k] * err + 8192) >> 14
                wf[fb + nsel] += (256 * err + 8192) >> 14
            for a in range(napm):
                for side in range(2):  # both knots, each by its interpolation weight
                    j = apm_k[a] + side
                    wk = apm_w[a] if side else 128 - apm_w[a]
                    v = np.int64(apm_t[j])
                    cnt = apm_n[j]
                    apm_t[j] = v + ((((bit << 16) - v) * rates[cnt] * wk) >> 23)
                    if wk >= 64 and cnt < apm_limit:
                        apm_n[j] = cnt + 1
            c0 = (c0 << 1) | bit
            nib = (nib << 1) | bit
        # --- the byte is complete
        c = c0 & 255
        if decode:
            buf[pos] = c
        _byte_done(c, buf, pos, regs, use_match, mbits, mlast, cfg[11], cfg[12], follow)
    return 0


@njit(cache=True)
def _byte_done(c, buf, pos, regs, use_match, mbits, mlast, min_len, max_len, follow):  # fmt: skip
    """History, word, line and indirect summaries, and the match model, after byte ``c`` at
    ``pos``."""
    pair = _byte(buf, pos, 1) | (_byte(buf, pos, 2) << 8)
    follow[pair] = ((follow[pair] << 8) | c) & 0xFFFF
    if (65 <= c <= 90) or (97 <= c <= 122):
        regs[0] = _hash_step(regs[0], c | 32)
    elif regs[0]:
        regs[16] = regs[1]
        regs[1] = regs[0]
        regs[0] = 0
        regs[17] = c
    else:
        regs[17] = _hash_step(regs[17], c)
    n = pos + 1  # bytes in the history now
    if c == 10:
        regs[3] = regs[2]
        regs[2] = n
    if not use_match:
        return
    if regs[5] and np.int64(buf[regs[4]]) == c:
        regs[5] += 1
        regs[4] += 1
    else:
        regs[5] = 0
    h = _hash_step(0, min_len + 1)
    for k in range(1, min_len + 1):
        h = _hash_step(h, np.int64(buf[n - k]) if k <= n else 0)
    slot = h & ((1 << mbits) - 1)
    if n >= min_len:
        if not regs[5]:
            ptr = np.int64(mlast[slot])
            if ptr > 0:
                length = 0
                while (
                    length < max_len
                    and length < ptr
                    and buf[ptr - length - 1] == buf[n - length - 1]
                ):
                    length += 1
                if length >= min_len:
                    regs[5] = length
                    regs[4] = ptr
        mlast[slot] = n
    regs[6] = (np.int64(buf[regs[4]]) | 256) if regs[5] else 0


@njit(cache=True)
def _start_decoder(payload: np.ndarray, regs: np.ndarray) -> None:
    for _ in range(32):
        regs[13] = (regs[13] << 1) | _get_bit(payload, regs)


@njit(cache=True)
def _finish_encoder(out: np.ndarray, regs: np.ndarray) -> None:
    _put_bit(out, regs, 1)  # the bit 1 lies in the final interval; then the pending bits
    while regs[9]:
        _put_bit(out, regs, 0)
        regs[9] -= 1
    if regs[11]:
        out[regs[12]] = regs[10] << (8 - regs[11])
        regs[12] += 1


#: bytes coded per call of the compiled loop (between two looks at the progress bar)
CHUNK = 1 << 16
#: the byte distributions of a model without the outside input: never read
_NO_TABLE = np.zeros((1, 257), np.int64)


class Engine:
    """The model of :class:`ContextMixing` with the given parameters, compiled, with its coder."""

    def __init__(self, params: dict[str, Any], lo: int, hi: int, external: bool = False) -> None:
        ref = ContextMixing.__new__(ContextMixing)  # validation only: no tables are built
        ContextMixing._check(ref, **params)
        n, nsel = len(ref.contexts), len(ref.selectors)
        cfg = np.zeros(64, np.int64)
        cfg[:10] = (n, ref.match, nsel, len(ref.apm_names), ref.table_bits, ref.match_bits,
                    ref.lr, ref.limit, lo, hi)  # fmt: skip
        # constants of other modules travel in cfg: numba's cache would keep stale copies
        cfg[10:16] = (N_STATES, MIN_LEN, MAX_LEN, ref.lr_boost, _BOOST_HALF, ref.deterministic)
        cfg[16:19] = (external, ref.average_apms, ref.apm_limit)
        cfg[_CTX : _CTX + n] = [CONTEXTS[c] for c in ref.contexts]
        cfg[_SEL : _SEL + nsel] = [SELECTORS[s][0] for s in ref.selectors]
        cfg[_APM : _APM + len(ref.apm_names)] = [APMS[a][0] for a in ref.apm_names]
        ninp = n * (1 + ref.deterministic) + ref.match + external + 1
        sizes = [APMS[a][1] for a in ref.apm_names]
        self.cfg = cfg
        self.regs = np.zeros(_N_REGS, np.int64)
        self.regs[8] = _MASK
        self.hashes = np.zeros(max(n, 1), np.int64)
        self.rows = np.zeros(max(n, 1), np.int64)
        self.table = np.zeros(16 << ref.table_bits, np.uint8)
        self.smp = np.tile(initial_probabilities().astype(np.int64), n)
        self.smn = np.zeros(n * N_STATES, np.int64)
        self.mlast = np.zeros(1 << ref.match_bits if ref.match else 1, np.int32)
        self.msmp = np.full(64 * 256 + 256, 1 << 15, np.int64)
        self.msmn = np.zeros(64 * 256 + 256, np.int64)
        self.w = np.full(
            (nsel, max(SELECTORS[s][1] for s in ref.selectors) * ninp), ref.w_init, np.int64
        )
        self.wf = np.full(256 * (nsel + 1), (1 << 16) // nsel, np.int64)
        self.apm_t = np.tile(np.array(KNOTS, np.int32), sum(sizes))
        self.apm_n = np.full(len(self.apm_t), 6, np.int32)
        self.follow = np.zeros(1 << 16, np.int64)
        self.apm_off = np.array([0, *np.cumsum(sizes)[:-1]], np.int64)[: len(sizes)] * 33
        if not len(self.apm_off):
            self.apm_off = np.zeros(1, np.int64)

    def _run(self, decode: bool, buf: np.ndarray, start: int, end: int, payload: np.ndarray,
             out: np.ndarray, tab: np.ndarray = _NO_TABLE) -> int:  # fmt: skip
        return _code(
            decode, buf, start, end, payload, out, self.cfg, self.regs, self.hashes, self.rows,
            self.table, self.smp, self.smn, self.mlast, self.msmp, self.msmn, self.w, self.wf,
            self.apm_t, self.apm_n, self.apm_off, NEXT, RATES, SQUASH, STRETCH, DETERMINISTIC,
            tab, self.follow,
        )  # fmt: skip

    def encode(
        self,
        data: bytes,
        steps: Callable[[int], Any] | None = None,
        tables: np.ndarray | None = None,
    ) -> bytes:
        """The arithmetic-coded payload of ``data`` (what the reference model's coder writes).

        ``tables``: with the outside input, row ``i`` is the cumulative distribution (257
        int64) that the outside model gave byte ``i`` (all known in advance to an encoder).
        """
        buf = np.frombuffer(data, np.uint8).copy()  # writable: one compiled signature
        if self.cfg[16] and (tables is None or tables.shape != (len(data), 257)):
            raise ValueError("an engine with the outside input needs a table for every byte")
        empty = np.zeros(0, np.uint8)
        pieces = []
        for start in range(0, len(data), CHUNK):
            end = min(len(data), start + CHUNK)
            out = np.zeros(11 * (end - start) + int(self.regs[9]) // 8 + 64, np.uint8)
            self.regs[12] = 0
            tab = _NO_TABLE if tables is None else np.ascontiguousarray(tables[start:end], np.int64)
            self._run(False, buf, start, end, empty, out, tab)
            pieces.append(out[: self.regs[12]].tobytes())
            if steps is not None:
                steps(end - start)
        out = np.zeros(int(self.regs[9]) // 8 + 64, np.uint8)
        self.regs[12] = 0
        _finish_encoder(out, self.regs)
        pieces.append(out[: self.regs[12]].tobytes())
        return b"".join(pieces)

    def decode(
        self, payload: bytes, length: int, steps: Callable[[int], Any] | None = None
    ) -> bytes:
        """The ``length`` bytes that :meth:`encode` turned into ``payload``."""
        pay = np.frombuffer(payload, np.uint8).copy()
        buf = np.zeros(length, np.uint8)
        empty = np.zeros(0, np.uint8)
        _start_decoder(pay, self.regs)
        for start in range(0, length, CHUNK):
            end = min(length, start + CHUNK)
            if self._run(True, buf, start, end, pay, empty) < 0:
                raise ValueError("the compressed data ended early: it is truncated or corrupted")
            if steps is not None:
                steps(end - start)
        return buf.tobytes()

    def byte_decoder(self, payload: bytes, length: int) -> Callable[[np.ndarray], int]:
        """Decoding one byte per call, for an outside input that depends on the bytes before.

        Returns a function from the next byte's cumulative distribution (257 integers) to
        that byte; the engine's state persists between the calls, so ``length`` calls decode
        what :meth:`encode` coded with those tables.
        """
        pay = np.frombuffer(payload, np.uint8).copy()
        buf = np.zeros(max(length, 1), np.uint8)
        empty = np.zeros(0, np.uint8)
        _start_decoder(pay, self.regs)
        done = [0]

        def next_byte(cum: np.ndarray) -> int:
            pos = done[0]
            if pos >= length:
                raise ValueError(f"all {length} bytes are decoded already")
            tab = np.ascontiguousarray(np.asarray(cum, np.int64).reshape(1, 257))
            if self._run(True, buf, pos, pos + 1, pay, empty, tab) < 0:
                raise ValueError("the compressed data ended early: it is truncated or corrupted")
            done[0] = pos + 1
            return int(buf[pos])

        return next_byte
