"""Opening a user's ZIP (an export, or an XLSX workbook, itself a ZIP) within bounds.

A ZIP says in its directory what each entry unpacks to; Python's zipfile never returns more
than that (a lying size fails the entry's CRC check), so checking the directory bounds the
memory an archive can take: the number of entries, their total unpacked size, and each large
entry's compression ratio (a zip bomb packs gigabytes of one repeated byte at deflate's
limit, about 1000:1; a QAT export of near-identical records, measured, packs 78:1). Damage
found while reading (bad deflate data, CRC mismatch, a compression method zipfile lacks) is
refused naming the file and entry.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from mmsis.errors import InputError

MAX_RATIO = 200
RATIO_FROM_BYTES = 1 << 20
"""An entry unpacking to more than 1 MB may not compress more than 200:1 (assumption: room
above the 78:1 measured on a repetitive QAT export, well below a bomb's ~1000:1; the total
unpacked bound is what limits memory)."""


def open_zip(raw: bytes, file: str, *, max_entries: int, max_unpacked: int) -> zipfile.ZipFile:
    """The archive of `raw`, refused (InputError naming `file`) when it is not a ZIP, holds
    more than `max_entries` entries, unpacks to more than `max_unpacked` bytes in all, or
    has a large entry compressed more than MAX_RATIO:1."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError):
        raise InputError("not a readable ZIP file", file=file) from None
    if len(infos) > max_entries:
        raise InputError(f"the ZIP holds {len(infos):,} entries, more than {max_entries:,}",
                         file=file)
    if sum(i.file_size for i in infos) > max_unpacked:
        raise InputError(f"the ZIP unpacks to more than {max_unpacked / 2**20:g} MB",
                         file=file)
    for i in infos:
        if i.file_size > RATIO_FROM_BYTES and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise InputError(f"{i.filename} compresses {i.file_size // max(i.compress_size, 1):,}"
                             f":1, more than {MAX_RATIO}:1 (a zip bomb?)", file=file)
    return archive


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str) -> bytes:
    """The bytes of one entry, damage refused as InputError naming `file` and the entry."""
    where = f"{file}:{info.filename}"
    if info.flag_bits & 0x1:
        raise InputError("the entry is encrypted (password protected)", file=where)
    try:
        return archive.read(info)
    except NotImplementedError:
        raise InputError(f"the entry's compression method ({info.compress_type}) is not "
                         "supported: zip it again with standard (deflate) compression",
                         file=where) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, ValueError) as exc:
        raise InputError(f"the ZIP is damaged ({exc})", file=where) from None
