"""The spool's on-disk record format, and reading it back past damage.

A record is a 16-byte header, then the payload (one request's columns, pickled):
``b"TTW2"``, the payload's length, the payload's CRC-32, and the CRC-32 of those first 12
header bytes (little-endian uint32 each). Segments written before the header had its own CRC
hold ``b"TTW1"`` records (magic, length, payload CRC: 12 bytes); they are still read.

The header's own CRC is what lets a reader tell damage from a torn write. A crash mid-write
leaves a whole, valid header whose payload runs past the end of the file: that record was
never acknowledged, and is cut off. Anything else that does not check out is damage (a bit
flipped on disk, a sector lost): the reader looks for the next offset where a whole record
checks out (magic, header CRC and payload CRC), takes every record from there on, and reports
the bytes in between so they can be kept aside. A record can only be accepted if both CRCs
match, so resynchronising inside a damaged payload cannot invent a record by chance (odds of
2^-64). Someone who controls a span's text could embed a whole valid record in it, but such a
record would be accepted only right after damage, and it could carry nothing that sender could
not have sent as a span anyway.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass, field

MAGIC = b"TTW2"
_HEADER = struct.Struct("<4sIII")
_LEGACY_MAGIC = b"TTW1"
_LEGACY_HEADER = struct.Struct("<4sII")

_OK, _TORN, _BAD = "ok", "torn", "bad"


def encode(payload: bytes) -> list[bytes]:
    """The buffers of one record holding ``payload``."""
    start = struct.pack("<4sII", MAGIC, len(payload), zlib.crc32(payload))
    return [start, struct.pack("<I", zlib.crc32(start)), payload]


@dataclass
class Scan:
    """What a segment's bytes hold."""

    payloads: list[bytes] = field(default_factory=list)
    records: list[tuple[int, int]] = field(default_factory=list)  # byte range of each record
    damaged: list[tuple[int, int]] = field(default_factory=list)  # byte ranges not readable
    torn_at: int | None = None  # where an unfinished last write begins

    @property
    def damaged_bytes(self) -> int:
        return sum(end - start for start, end in self.damaged)


def write_all(fd: int, buffers: list[bytes]) -> None:
    """Append encoded records (:func:`encode`'s buffers) to ``fd`` whole: one ``writev``, and
    the rest plainly after a short write."""
    written = os.writev(fd, buffers)
    total = sum(len(buffer) for buffer in buffers)
    if written < total:
        rest = b"".join(buffers)[written:]
        while rest:
            rest = rest[os.write(fd, rest) :]


def scan(data: bytes) -> Scan:
    """Every whole, intact record in ``data``, the damaged ranges between, and a torn tail."""
    found = Scan()
    offset, bad_from = 0, None
    while offset < len(data):
        verdict, payload_at, end = _record_at(data, offset)
        if verdict == _OK:
            if bad_from is not None:
                found.damaged.append((bad_from, offset))
                bad_from = None
            found.payloads.append(data[payload_at:end])
            found.records.append((offset, end))
            offset = end
            continue
        following = _next_record(data, offset + 1)
        if verdict == _TORN and following is None:
            found.torn_at = offset  # the last write never finished: it was never acknowledged
            break
        if bad_from is None:
            bad_from = offset
        offset = following if following is not None else len(data)
    if bad_from is not None:
        found.damaged.append((bad_from, found.torn_at if found.torn_at is not None else offset))
    return found


def _record_at(data: bytes, offset: int) -> tuple[str, int, int]:
    """(verdict, payload start, record end) of the record said to start at ``offset``."""
    magic = data[offset : offset + 4]
    if magic == MAGIC:
        header = _HEADER
    elif magic == _LEGACY_MAGIC:
        header = _LEGACY_HEADER
    elif len(magic) < 4 and (MAGIC.startswith(magic) or _LEGACY_MAGIC.startswith(magic)):
        return _TORN, 0, 0
    else:
        return _BAD, 0, 0
    if offset + header.size > len(data):
        return _TORN, 0, 0
    fields = header.unpack_from(data, offset)
    if header is _HEADER and zlib.crc32(data[offset : offset + 12]) != fields[3]:
        return _BAD, 0, 0
    payload_at = offset + header.size
    end = payload_at + fields[1]
    if end > len(data):
        # With a checked header this is a torn write. A legacy header has no CRC, so its length
        # may be what is damaged: scan() treats it as torn only when no record follows.
        return _TORN, 0, 0
    if zlib.crc32(data[payload_at:end]) != fields[2]:
        return _BAD, 0, 0
    return _OK, payload_at, end


def _next_record(data: bytes, start: int) -> int | None:
    """The first offset from ``start`` where a whole record checks out."""
    while True:
        candidates = [
            i for i in (data.find(MAGIC, start), data.find(_LEGACY_MAGIC, start)) if i >= 0
        ]
        if not candidates:
            return None
        offset = min(candidates)
        if _record_at(data, offset)[0] == _OK:
            return offset
        start = offset + 1
