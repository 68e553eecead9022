"""The zip container of the workbooks xl_kpi writes: written member by member with each member's
deflated bytes given (a template's fixed parts are compressed once, not once per employee), and read
back raw, so a member can be compared with the template's without inflating it.

The bytes are those Python's zipfile writes on a POSIX system with compresslevel 1 (a test holds them
equal), on every system.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

ZIP_DATE = (2020, 1, 1, 0, 0, 0)
_DOSDATE = (ZIP_DATE[0] - 1980) << 9 | ZIP_DATE[1] << 5 | ZIP_DATE[2]
_DOSTIME = ZIP_DATE[3] << 11 | ZIP_DATE[4] << 5 | ZIP_DATE[5] // 2
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_EXTERNAL = 0o600 << 16  # -rw-------, as zipfile marks what it writes


@dataclass(frozen=True)
class Member:
    """One file of the zip, deflated."""
    name: bytes
    deflated: bytes
    crc: int
    size: int


def deflate(name: str, data: bytes) -> Member:
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    return Member(name.encode("ascii"), c.compress(data) + c.flush(), zlib.crc32(data), len(data))


def write(members: list[Member]) -> bytes:
    out, central = [], []
    offset = 0
    for m in members:
        head = _LOCAL.pack(b"PK\003\004", 20, 0, 0, 8, _DOSTIME, _DOSDATE, m.crc, len(m.deflated), m.size,
                           len(m.name), 0)
        out += [head, m.name, m.deflated]
        central += [_CENTRAL.pack(b"PK\001\002", 20, 3, 20, 0, 0, 8, _DOSTIME, _DOSDATE, m.crc, len(m.deflated),
                                  m.size, len(m.name), 0, 0, 0, 0, _EXTERNAL, offset), m.name]
        offset += len(head) + len(m.name) + len(m.deflated)
    directory = b"".join(central)
    return b"".join(out) + directory + _END.pack(b"PK\005\006", 0, 0, len(members), len(members), len(directory),
                                                 offset, 0)


def members(data: bytes) -> list[Member] | None:
    """The deflated members of a zip as write() lays it out, in order; None for any other file (another
    writer's zip, one with comments or extras, not a zip)."""
    try:
        sig, _, _, count, total, size, start, comment = _END.unpack_from(data, len(data) - _END.size)
        if sig != b"PK\005\006" or comment or count != total or start + size != len(data) - _END.size:
            return None
        out, pos, offset = [], start, 0
        for _ in range(count):
            (sig, _, _, _, _, flags, method, _, _, crc, csize, size_, nlen, elen, clen, _, _, _,
             at) = _CENTRAL.unpack_from(data, pos)
            name = data[pos + _CENTRAL.size:pos + _CENTRAL.size + nlen]
            if sig != b"PK\001\002" or flags or method != 8 or elen or clen or at != offset:
                return None
            local = _LOCAL.unpack_from(data, at)
            if local[0] != b"PK\003\004" or local[3] or local[7:] != (crc, csize, size_, nlen, 0):
                return None
            body = at + _LOCAL.size + nlen
            if data[at + _LOCAL.size:body] != name:
                return None
            out.append(Member(name, data[body:body + csize], crc, size_))
            offset = body + csize
            pos += _CENTRAL.size + nlen
        return out if offset == start else None
    except struct.error:
        return None


def inflate(m: Member) -> bytes:
    data = zlib.decompress(m.deflated, -15)
    if len(data) != m.size or zlib.crc32(data) != m.crc:
        raise ValueError("a zip member does not match its size or checksum")
    return data
