"""Bytes to text: UTF-8 first, then a detected encoding; binary files refused.

Usage::

    from index.intake.decode import decode_text
    decode_text("Café".encode("latin-1"))     # "Café" (charset-normalizer, when confident)
    decode_text(b"\\x00\\x01")                # ArticleFormatError("binary file, not text")
"""

from __future__ import annotations

import unicodedata

from index.intake.article import ArticleFormatError


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; then a detected encoding if it is confident."""
    if not data.strip():
        raise ArticleFormatError("empty file")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ArticleFormatError("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.chaos > 0.2:
        raise ArticleFormatError("cannot decode the text (not UTF-8, and no other encoding fits)")
    text = str(best)
    controls = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Co", "Cn") and ch not in "\n\r\t")
    if controls > len(text) * 0.01:
        raise ArticleFormatError("binary file, not text")
    return text
