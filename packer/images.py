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
bytes, never re-encoded. An image cannot be redacted, but its text metadata (PNG text
chunks, comments, XMP, EXIF strings) can hold a key: it is scanned like a file, and a
secret refuses the image unless secrets are allowed.

Pillow (the `images` extra) is imported only when an image is loaded.
"""

from __future__ import annotations

import base64
import io
import os
import stat
import struct
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packer.errors import ConfigError, SecretsError
from packer.secrets import redact

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
# info keys that hold binary data, not text (EXIF is read tag by tag instead).
_BINARY_INFO = frozenset({"icc_profile", "exif", "transparency"})
_EXIF_IFD = 0x8769  # the Exif sub-IFD (UserComment and the camera's strings)
_USER_COMMENT = 0x9286


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
    """The image in `data`, identified, checked and decoded whole."""
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
            img.verify()  # checksums (PNG); leaves the image unusable, so reopen to decode
        with PILImage.open(io.BytesIO(data), formats=formats) as img:
            img.load()  # every pixel: a truncated file fails here
            text = _metadata(img)
    _refuse_secrets(path, text, allow_secrets)
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


def _metadata(img: PILImage.Image) -> str:
    """The image's text metadata, one entry a line: `img.info` (PNG text chunks, even those
    after the pixels once loaded; comments; XMP) and the EXIF strings (IFD 0 and Exif)."""
    lines = [
        f"{key}: {text}" for key, v in img.info.items() if key not in _BINARY_INFO and (text := _text(v))
    ]
    exif = img.getexif()
    for tags in (exif, exif.get_ifd(_EXIF_IFD)):
        lines.extend(_text(v) for tag, v in tags.items() if isinstance(v, str) or tag == _USER_COMMENT)
    return "\n".join(line for line in lines if line)


def _text(value: object) -> str:
    """A metadata value as text: str as is, bytes as UTF-8 (loosely); nothing else is text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else ""


def _refuse_secrets(path: str, text: str, allow_secrets: bool) -> None:
    """An image cannot be redacted: a secret in its metadata refuses it (never quoting it)."""
    _, found = redact(text, f"{path} (image metadata)")
    if found and not allow_secrets:
        kinds = ", ".join(sorted({s.kind for s in found}))
        raise SecretsError(
            f"--image {path}: its metadata holds a secret ({kinds}); strip its metadata "
            f"(e.g. `exiftool -all= {path}`, or re-save it) or pass --allow-secrets"
        )
