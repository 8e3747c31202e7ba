"""The screenshots `packer review --image` attaches to its request, loaded and checked.

What the model API accepts, from OpenAI's "Images and vision" guide
(https://platform.openai.com/docs/guides/images-vision, "Image input requirements"):
PNG, JPEG, WEBP and non-animated GIF; up to 50 MB of image bytes per request
(`MAX_TOTAL_BYTES`) and up to 500 images per request (`MAX_IMAGES`). We also refuse a
single image above 20 MB (`MAX_IMAGE_BYTES`, the long-standing per-image limit), and one
above `MAX_PIXELS` pixels before decoding it (a decompression-bomb guard).

An image is checked here rather than by the API, before anything is sent or paid for:
its format comes from its bytes (never its extension), it must not be animated, and it is
decoded whole so a corrupt or truncated file is refused. The bytes sent are the file's
bytes, never re-encoded, so every byte that is not pixels is looked at: the container is
walked (PNG chunks, JPEG segments, GIF blocks, WebP RIFF chunks), bytes after the image's
end refuse it, and every stretch that is not image data (text chunks, EXIF, XMP, IPTC,
ICC profiles, comments, private chunks) is scanned like a file, as ASCII and as UTF-16.
An image cannot be redacted: a secret refuses it unless secrets are allowed.

Pillow (the `images` extra) is imported only when an image is loaded.
"""

from __future__ import annotations

import base64
import bisect
import io
import itertools
import os
import re
import stat
import struct
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packer.errors import ConfigError, SecretsError
from packer.secrets import scan

if TYPE_CHECKING:
    from PIL import Image as PILImage

MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # per image (OpenAI's image input limit)
MAX_TOTAL_BYTES = 50 * 1024 * 1024  # all images of one request
MAX_IMAGES = 500  # images per request
MAX_PIXELS = 100_000_000  # refuse before decoding (a decompression bomb guard)
EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif")

ACCEPTED = "PNG, JPEG, WEBP or GIF"
# The first bytes of each accepted format: a file that starts like one but which Pillow
# cannot identify is a broken image, not an unsupported one.
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
# info keys that hold binary data, not text (the ICC profile is scanned as bytes, EXIF by
# tag and as the container holds it).
_BINARY_INFO = frozenset({"icc_profile", "exif", "transparency"})

# Where a stretch of the file came from (named in the error, never its bytes), and what.
Payload = tuple[str, bytes | str]


@dataclass(frozen=True)
class Image:
    """One checked image, as it will be sent."""

    path: str  # as the user gave it (shown locally; never sent)
    mime: str  # from the bytes, not the extension
    width: int
    height: int
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


def load_images(paths: Sequence[str | os.PathLike[str]], *, allow_secrets: bool = False) -> tuple[Image, ...]:
    """Each path a file, or a directory whose image files (by EXTENSIONS, case-insensitive,
    top level only, sorted by name, hidden files skipped) are all attached; a directory with
    none is an error. The same file named twice is attached once (by resolved path).

    Every limit on counts and bytes is checked before any image is decoded."""
    _pillow()
    files = _expand(paths)
    if len(files) > MAX_IMAGES:
        raise ConfigError(
            f"--image: {len(files):,} images, above the limit of {MAX_IMAGES:,} per request; attach fewer"
        )
    blobs: list[tuple[str, bytes]] = []
    total = 0
    for path in files:
        data = _read(path)
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise ConfigError(
                f"--image: the images add up to more than the {MAX_TOTAL_BYTES:,}-byte limit per "
                f"request (at {path}); attach fewer or smaller images"
            )
        blobs.append((path, data))
    return tuple(_check(path, data, allow_secrets) for path, data in blobs)


def short_data_url(url: str, keep: int = 24) -> str:
    """`data:image/png;base64,iVBORw0KGgoAAAANSUhEUg…(41,233 bytes of base64)` — for --dry-run.
    Non-data URLs are returned unchanged."""
    head, comma, payload = url.partition(",")
    if not url.startswith("data:") or not comma or len(payload) <= keep:
        return url
    return f"{head},{payload[:keep]}…({len(payload):,} bytes of base64)"


def _pillow() -> None:
    try:
        import PIL.Image  # noqa: F401  (only whether it is there)
    except ImportError as e:
        raise ConfigError("--image needs Pillow: pip install 'packer[images]'") from e


# ---------------------------------------------------------------------------
# the files


def _expand(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """The files to attach, in order, each once (by resolved path)."""
    seen: set[str] = set()
    files: list[str] = []
    for given in paths:
        path = os.fspath(given)
        for file in _directory(path) if os.path.isdir(path) else [path]:
            real = os.path.realpath(file)
            if real not in seen:
                seen.add(real)
                files.append(file)
    return files


def _directory(path: str) -> list[str]:
    """A directory's image files: top level, by extension, not hidden, sorted by name."""
    try:
        names = sorted(os.listdir(path))
    except OSError as e:
        raise ConfigError(
            f"--image {path}: cannot list the directory ({e.strerror}); check its permissions"
        ) from e
    files = [
        os.path.join(path, name)
        for name in names
        if not name.startswith(".")
        and name.lower().endswith(EXTENSIONS)
        and not os.path.isdir(os.path.join(path, name))
    ]
    if not files:
        raise ConfigError(
            f"--image {path}: the directory holds no image files ({', '.join(EXTENSIONS)}); "
            "pass image files or a directory of them"
        )
    return files


def _read(path: str) -> bytes:
    """The file's bytes. Only a regular file is opened: a FIFO or a device could block or
    never end. Stat first (it follows a symlink), then check again what was opened."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(
                f"--image {path}: not a regular file; pass an image file or a directory of them"
            )
        _check_bytes(path, st.st_size)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped since the stat
                raise ConfigError(f"--image {path}: not a regular file; pass an image file")
            data = f.read(MAX_IMAGE_BYTES + 1)  # a file that grew is still refused
    except FileNotFoundError as e:
        raise ConfigError(f"--image {path}: no such file; check the path") from e
    except OSError as e:
        raise ConfigError(f"--image {path}: cannot read it ({e.strerror}); check its permissions") from e
    _check_bytes(path, len(data))
    return data


def _check_bytes(path: str, size: int) -> None:
    if size > MAX_IMAGE_BYTES:
        raise ConfigError(
            f"--image {path}: {size:,} bytes, above the {MAX_IMAGE_BYTES:,}-byte limit per image; "
            "resize or compress it"
        )


# ---------------------------------------------------------------------------
# the image


def _check(path: str, data: bytes, allow_secrets: bool) -> Image:
    """The image in `data`, identified, checked and decoded whole, its container walked."""
    from PIL import Image as PILImage

    formats = list(MIME)  # only these parsers see the bytes; a camera's MPO comes as JPEG's
    with _pillow_errors(path, data):
        with PILImage.open(io.BytesIO(data), formats=formats) as img:
            kind = "JPEG" if img.format == "MPO" else str(img.format)
            width, height = img.size
            if width * height > MAX_PIXELS:  # from the header: before Pillow decodes a pixel
                raise ConfigError(
                    f"--image {path}: {width}x{height} pixels, above the {MAX_PIXELS:,}-pixel limit; "
                    "resize it"
                )
            if _animated(img):
                raise ConfigError(f"--image {path}: an animated {kind}; export one frame")
            pictures = int(getattr(img, "n_frames", 1)) if img.format == "MPO" else 1
            img.verify()  # checksums (PNG); leaves the image unusable, so reopen to decode
        with PILImage.open(io.BytesIO(data), formats=formats) as img:
            img.load()  # every pixel: a truncated file fails here
            decoded = _metadata(img)
        end, stretches = _walk(kind, data, pictures)  # a malformed one raises ValueError
    _refuse_trailing(path, kind, len(data) - end)
    _refuse_secrets(path, [*decoded, *stretches], allow_secrets)
    return Image(path=path, mime=MIME[kind], width=width, height=height, data=data)


@contextmanager
def _pillow_errors(path: str, data: bytes) -> Iterator[None]:
    """Pillow's errors on a bad file as one-line ConfigErrors that name the file and the fix.
    Its own decompression-bomb warning (at about 89M pixels, below MAX_PIXELS) is silenced:
    MAX_PIXELS is checked first from the header; its error (at twice that) becomes one line."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            yield
    except UnidentifiedImageError as e:
        if not _looks_like_image(data):
            raise ConfigError(f"--image {path}: not a {ACCEPTED} image; convert it to one of those") from e
        raise ConfigError(
            f"--image {path}: corrupt or truncated image (unreadable header); re-export it"
        ) from e
    except PILImage.DecompressionBombError as e:
        raise ConfigError(f"--image {path}: too many pixels to decode safely ({e}); resize it") from e
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error) as e:
        raise ConfigError(f"--image {path}: corrupt or truncated image ({e}); re-export it") from e


def _animated(img: PILImage.Image) -> bool:
    """More than one frame (GIF, APNG, animated WebP); a camera's MPO is a still JPEG."""
    frames = getattr(img, "is_animated", False) or getattr(img, "n_frames", 1) > 1
    return bool(frames) and img.format != "MPO"


def _looks_like_image(data: bytes) -> bool:
    return data.startswith(_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _metadata(img: PILImage.Image) -> list[Payload]:
    """What Pillow decodes that the container's bytes do not show as they are: `img.info`
    (PNG text chunks, zTXt/iTXt decompressed; comments; XMP), the ICC profile (a PNG's is
    compressed) and the EXIF values by tag (a PNG's may be hex in a text chunk). The key
    of a text chunk is free text: it is scanned with its value, never named."""
    from PIL.ExifTags import GPSTAGS, IFD, TAGS

    out: list[Payload] = [
        ("text metadata", f"{key}: {text}")  # the key may name its value ("password: ...")
        for key, v in img.info.items()
        if key not in _BINARY_INFO and (text := _text(v))
    ]
    out += [  # bytes also as bytes, for their UTF-16 text (the raw EXIF is `_walk`'s)
        ("ICC profile" if key == "icc_profile" else "text metadata", v)
        for key, v in img.info.items()
        if key not in ("exif", "transparency") and isinstance(v, bytes)
    ]
    exif = img.getexif()
    ifds = [(exif, TAGS), (exif.get_ifd(IFD.Exif), TAGS)]
    for ifd, names in ((IFD.GPSInfo, GPSTAGS), (IFD.IFD1, TAGS)):
        try:  # their bytes are scanned as they are too (`_walk`): a broken one is no error
            ifds.append((exif.get_ifd(ifd), names))
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, struct.error):
            continue
    for tags, names in ifds:
        out += [
            (f"EXIF {names.get(tag, f'tag 0x{tag:04X}')}", v)
            for tag, v in tags.items()
            if isinstance(v, (str, bytes))
        ]
    return out


def _text(value: object) -> str:
    """A metadata value as text: str as is, bytes as UTF-8 (loosely); nothing else is text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else ""


# ---------------------------------------------------------------------------
# the container: where the image ends, and every byte that is not image data


def _walk(kind: str, data: bytes, pictures: int) -> tuple[int, list[Payload]]:
    """Where the image ends in `data`, and each stretch of it that is not image data. A
    malformed structure raises ValueError (a corrupt image), never anything else."""
    try:
        if kind == "PNG":
            return _png(data)
        if kind == "GIF":
            return _gif(data)
        if kind == "WEBP":
            return _webp(data)
        return _jpegs(data, pictures)
    except (IndexError, struct.error) as e:
        raise ValueError(f"its {kind} structure is cut short") from e


_AFTER = {
    "PNG": "after its IEND chunk",
    "JPEG": "after its end-of-image marker",
    "GIF": "after its trailer",
    "WEBP": "past its RIFF size",
}


def _refuse_trailing(path: str, kind: str, extra: int) -> None:
    """Bytes after the image's end would be sent as they are, unseen: a hiding place."""
    if extra:
        raise ConfigError(
            f"--image {path}: {extra:,} {'bytes' if extra > 1 else 'byte'} after the image's end "
            f"({_AFTER[kind]}), which would be sent unchecked; re-export it"
        )


def _name(raw: bytes) -> str:
    """A chunk's type as one printable word (it comes from the file)."""
    return "".join(chr(b) if 0x20 < b < 0x7F else "?" for b in raw.rstrip(b" "))


# Pixels and colours: IEND is empty, the others are image data (fdAT: an APNG frame's). The
# small numeric chunks (gAMA, pHYs, ...) are scanned: numbers never look like a key, and
# one of the wrong size could hold text.
_PNG_IMAGE = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"fdAT"})


def _png(data: bytes) -> tuple[int, list[Payload]]:
    """Chunk by chunk from the signature to IEND (an unknown or private chunk included)."""
    out: list[Payload] = []
    pos = 8
    while True:
        length, tag = struct.unpack_from(">I4s", data, pos)  # struct.error past the end
        end = pos + 12 + length  # length, type, data, CRC
        if not tag.isalpha():
            raise ValueError(f"a bad PNG chunk type at byte {pos + 4:,}")
        if end > len(data):
            raise ValueError(f"PNG chunk {_name(tag)} runs past the end of the file")
        if tag == b"IEND":
            return end, out
        if tag not in _PNG_IMAGE:
            out.append((f"PNG chunk {_name(tag)}", data[pos + 8 : end - 4]))
        pos = end


def _jpegs(data: bytes, pictures: int) -> tuple[int, list[Payload]]:
    """A JPEG, or a camera's MPO: its pictures one after the other, each a whole JPEG."""
    end, out = _jpeg(data, 0)
    for _ in range(pictures - 1):
        if end == len(data):
            break
        end, more = _jpeg(data, end)
        out += more
    return end, out


# Segments of image data: SOFn (not C8, reserved), DHT, DAC, DQT, DNL, DRI, DHP, EXP. SOS
# is walked apart. Every other segment (APPn, COM, the reserved ones) is scanned.
_JPEG_IMAGE = frozenset(range(0xC0, 0xD0)) - {0xC8} | {0xDB, 0xDC, 0xDD, 0xDE, 0xDF}
# Any bytes, the fill (one 0xFF or more), the marker: each group a stretch, linear to match.
_NEXT_MARKER = re.compile(rb"([^\xff]*)(\xff+)([^\xff])")
# A marker inside entropy-coded data: 0xFF (and fill) then not a stuffed 0, an RSTn or 0xFF.
# The look-behind tries a run of 0xFF from its first byte only (linear on a long run); it
# is searched in a view from the scan's start, so a run there is seen from its start.
_SCAN_END = re.compile(rb"\xff(?<!\xff\xff)\xff*[^\x00\xd0-\xd7\xff]")


def _jpeg(data: bytes, pos: int) -> tuple[int, list[Payload]]:
    """Segment by segment from the SOI at `pos` to the end of its EOI. The entropy-coded
    data after each SOS is skipped (progressive JPEGs have segments between scans)."""
    if data[pos : pos + 2] != b"\xff\xd8":
        raise ValueError(f"no JPEG start at byte {pos:,}")
    out: list[Payload] = []
    pos += 2
    while True:
        if (m := _NEXT_MARKER.match(data, pos)) is None:
            raise ValueError("no JPEG end-of-image marker")
        if m.start(2) > pos:  # bytes between segments (decoders skip them): scanned all the same
            out.append(("JPEG bytes between segments", m[1]))
        pos, marker = m.start(3), m[3][0]
        if marker == 0xD9:
            return pos + 1, out
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            pos += 1
            continue
        if marker in (0x00, 0xD8):
            raise ValueError(f"a bad JPEG marker at byte {pos:,}")
        (length,) = struct.unpack_from(">H", data, pos + 1)
        end = pos + 1 + length
        if length < 2 or end > len(data):
            raise ValueError(f"JPEG segment {_marker_name(marker)} runs past the end of the file")
        if marker == 0xDA:
            if (scan_end := _SCAN_END.search(memoryview(data)[end:])) is None:
                raise ValueError("no JPEG end-of-image marker")
            end += scan_end.start()
        elif marker not in _JPEG_IMAGE:
            out.append((f"JPEG {_marker_name(marker)}", data[pos + 3 : end]))
        pos = end


def _marker_name(marker: int) -> str:
    if 0xE0 <= marker <= 0xEF:
        return f"APP{marker - 0xE0}"
    return {0xFE: "COM", 0xDA: "SOS"}.get(marker, f"segment 0x{marker:02X}")


_WEBP_IMAGE = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH"})  # the bitstreams, the canvas


def _webp(data: bytes) -> tuple[int, list[Payload]]:
    """RIFF chunk by chunk up to the RIFF size (EXIF, XMP, ICCP, ANIM, unknown ones)."""
    (size,) = struct.unpack_from("<I", data, 4)
    riff_end = 8 + size
    if riff_end > len(data):
        raise ValueError("its RIFF size runs past the end of the file")
    out: list[Payload] = []
    pos = 12
    while pos < riff_end:
        tag, length = struct.unpack_from("<4sI", data, pos)
        end = pos + 8 + length
        if end > riff_end:
            raise ValueError(f"WebP chunk {_name(tag)} runs past the RIFF end")
        if tag not in _WEBP_IMAGE:
            out.append((f"WebP chunk {_name(tag)}", data[pos + 8 : end]))
        pos = end + (length & 1)  # a chunk of odd size is padded
    return riff_end, out


_GIF_EXTENSIONS = {0xFE: "GIF comment", 0x01: "GIF plain-text extension", 0xFF: "GIF application extension"}


def _gif(data: bytes) -> tuple[int, list[Payload]]:
    """Block by block from the screen descriptor to the trailer. An extension other than the
    graphic control one (0xF9) is scanned twice: its sub-blocks joined (text cut at 255
    bytes), and as it is (XMP's "magic trailer" makes its text the sub-block sizes)."""
    out: list[Payload] = []
    pos = 13 + _colour_table(data[10])
    while True:
        if pos == len(data):  # no trailer (some encoders): nothing after it either
            return pos, out
        block = data[pos]
        if block == 0x3B:  # the trailer
            return pos + 1, out
        if block == 0x2C:  # an image: descriptor, colour table, LZW code size, data
            pos, _ = _sub_blocks(data, pos + 11 + _colour_table(data[pos + 9]), keep=False)
        elif block == 0x21:
            label = data[pos + 1]
            end, joined = _sub_blocks(data, pos + 2, keep=label != 0xF9)
            if label != 0xF9:
                where = _GIF_EXTENSIONS.get(label, f"GIF extension 0x{label:02X}")
                out += [(where, joined), (where, data[pos + 2 : end])]
            pos = end
        else:
            raise ValueError(f"a bad GIF block 0x{block:02X} at byte {pos:,}")


def _colour_table(flags: int) -> int:
    return 3 << ((flags & 7) + 1) if flags & 0x80 else 0


def _sub_blocks(data: bytes, pos: int, *, keep: bool) -> tuple[int, bytes]:
    """The end of a run of GIF sub-blocks (each a size byte, then that many bytes, up to a
    size 0), and their bytes joined when `keep`."""
    parts: list[bytes] = []
    while (size := data[pos]) != 0:
        if pos + 1 + size > len(data):
            raise ValueError(f"a GIF block runs past the end of the file at byte {pos:,}")
        if keep:
            parts.append(data[pos + 1 : pos + 1 + size])
        pos += 1 + size
    return pos + 1, b"".join(parts)


# ---------------------------------------------------------------------------
# secrets


# Bytes as the scanner's text: ASCII as it is (UTF-8's and latin-1's ASCII included), any
# other byte a line break, so binary never joins two words and each line stays short.
_ASCII = bytes(b if b in b"\t\n\r" or 0x20 <= b < 0x7F else 0x0A for b in range(256))
# UTF-16 text (EXIF's XPComment, a UserComment in UNICODE, an ICC profile's names): 8 or
# more ASCII characters each before (LE) or after (BE) a 0 byte. Each order is looked for
# on its own: text in one order read in the other loses a character at one end.
_UTF16_LE = re.compile(rb"(?:[\t\n\r\x20-\x7e]\x00){8,}")
_UTF16_BE = re.compile(rb"(?:\x00[\t\n\r\x20-\x7e]){8,}")


def _texts(value: bytes | str) -> list[str]:
    """What the scanner reads of a stretch: text as it is; bytes as ASCII, and each run of
    UTF-16 in them. None of it is compressed pixels, so a key's shape does not turn up by
    chance (and an ICC profile's binary tables are numbers, not text)."""
    if isinstance(value, str):
        return [value]
    le = (r.group()[::2].decode("ascii") for r in _UTF16_LE.finditer(value))
    be = (r.group()[1::2].decode("ascii") for r in _UTF16_BE.finditer(value))
    return [value.translate(_ASCII).decode("ascii"), "\n".join(itertools.chain(le, be))]


def _runs(stretches: list[Payload]) -> Iterator[Payload]:
    """Stretches from the same place one after the other as one, a line break between: a
    file of a million tiny segments is a few texts to scan, not a million."""
    for (where, _), run in itertools.groupby(stretches, key=lambda s: (s[0], type(s[1]))):
        values = [value for _, value in run]
        if isinstance(values[0], str):
            yield where, "\n".join(v for v in values if isinstance(v, str))
        else:
            yield where, b"\n".join(v for v in values if isinstance(v, bytes))


_SHOWN_PLACES = 3


def _refuse_secrets(path: str, stretches: list[Payload], allow_secrets: bool) -> None:
    """An image cannot be redacted: a secret anywhere outside its pixels refuses it. One scan
    over every stretch; the error names each kind and where it is, never the secret."""
    labels: list[str] = []
    starts: list[int] = []
    parts: list[str] = []
    at = 0
    for where, value in _runs(stretches):
        for text in _texts(value):
            labels.append(where)
            starts.append(at)
            parts.append(text)
            at += len(text) + 1  # the "\n" that joins them
    found: dict[str, list[str]] = {}
    for start, _, kind in scan("\n".join(parts), f"{path} (image metadata)"):
        places = found.setdefault(kind, [])
        if (where := labels[bisect.bisect_right(starts, start) - 1]) not in places:
            places.append(where)
    if found and not allow_secrets:
        raise SecretsError(
            f"--image {path}: its metadata holds a secret ({_places(found)}); strip its metadata "
            f"(e.g. `exiftool -all= {path}`, or re-save it) or pass --allow-secrets"
        )


def _places(found: dict[str, list[str]]) -> str:
    """`AWS Access Key in EXIF XPComment and JPEG APP1; Private Key in JPEG COM`."""
    out = []
    for kind, places in sorted(found.items()):
        shown = places[:_SHOWN_PLACES]
        more = f" and {len(places) - len(shown)} more" if len(places) > len(shown) else ""
        out.append(f"{kind} in {', '.join(shown[:-1])}{' and ' if len(shown) > 1 else ''}{shown[-1]}{more}")
    return "; ".join(out)
