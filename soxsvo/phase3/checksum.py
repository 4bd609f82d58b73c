"""FITS ``CHECKSUM``/``DATASUM`` (the FITS checksum convention, FITS 4.0 appendix J).

ESO-044286 makes both keywords mandatory in every HDU of a Phase 3 product. astropy
computes them too, but its binary-table path byte-swaps one-row array tables element by
element in Python, which costs ~0.1 s per SOXS spectrum; the demo archive writes a
thousand of them, so the writer serialises the bytes itself and uses these functions.
astropy's ``verify_checksum`` is the oracle in the tests.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK", "checksum32", "encode_checksum", "pad_block"]

#: FITS logical record length.
BLOCK = 2880

# Characters the ASCII encoding must avoid (punctuation between digits and letters).
_EXCLUDE = frozenset(range(0x3A, 0x41)) | frozenset(range(0x5B, 0x61))


def pad_block(buf: bytes, fill: bytes = b"\0") -> bytes:
    """Pad ``buf`` to a whole number of 2880-byte FITS blocks with ``fill``."""
    rest = len(buf) % BLOCK
    return buf if rest == 0 else buf + fill * (BLOCK - rest)


def checksum32(buf: bytes | np.ndarray, start: int = 0) -> int:
    """Ones'-complement 32-bit sum of ``buf`` (length a multiple of 4), continuing ``start``."""
    words = np.frombuffer(buf, dtype=">u4")
    # Sum the 16-bit halves separately in 64 bits so nothing overflows, then fold the carries.
    hi = int((words >> 16).sum(dtype=np.uint64)) + (start >> 16)
    lo = int((words & 0xFFFF).sum(dtype=np.uint64)) + (start & 0xFFFF)
    while (hi >> 16) or (lo >> 16):
        hi, lo = (hi & 0xFFFF) + (lo >> 16), (lo & 0xFFFF) + (hi >> 16)
    return (hi << 16) | lo


def encode_checksum(value: int) -> str:
    """16-character ASCII encoding of a 32-bit value, as written in ``CHECKSUM``.

    Pass the complement of the HDU's sum so that the HDU then sums to -0.
    """
    chars = [0] * 16
    for i in range(4):
        byte = (value >> (24 - 8 * i)) & 0xFF
        quotient, remainder = byte // 4 + 0x30, byte % 4
        ch = [quotient + remainder, quotient, quotient, quotient]
        changed = True
        while changed:  # shift pairs away from punctuation; the pair sum is preserved
            changed = False
            for j in (0, 2):
                if ch[j] in _EXCLUDE or ch[j + 1] in _EXCLUDE:
                    ch[j] += 1
                    ch[j + 1] -= 1
                    changed = True
        for j in range(4):
            chars[4 * j + i] = ch[j]
    # The convention rotates the string right by one character.
    return "".join(chr(c) for c in chars[-1:] + chars[:-1])
