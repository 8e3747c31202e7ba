"""The images `packer review --image` attaches (`packer.images`): real files made with Pillow,
identified from their bytes, checked against the limits, decoded whole, and refused when
their metadata holds a secret."""

import base64
import os
import struct
import sys
import threading
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image as PILImage
from PIL import ImageCms, PngImagePlugin

import packer.images
from packer.errors import ConfigError, PackerError, SecretsError
from packer.images import MIME, Image, load_images, short_data_url

AWS_PAIR = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_ID = "AKIAIOSFODNN7EXAMPLE"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAx2Zbq1ZlHU3Q2CnvVGeiYzkWvSWqJHvQx1xR4yQyZ3n9Kq1Lk0mB\n"
    "7cX8rT2uV5wY6pQ3sD4fG9hJ0kL1zX2cV3bN4mQ5wE6rT7yU8iO9pA0sD1fG2hJ3kL4z\n"
    "-----END RSA PRIVATE KEY-----\n"
)


def _save(path: Path, fmt: str, size: tuple[int, int] = (32, 20), noise: bool = False, **kw: object) -> Path:
    """An RGB image of `size` saved as `fmt`; random pixels (`noise`) compress badly, so the
    file is large enough to cut in half past its header."""
    if noise:
        img = PILImage.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        img = PILImage.new("RGB", size, (200, 40, 90))
    img.save(path, fmt, **kw)
    return path


def _animated(path: Path, fmt: str) -> Path:
    frames = [PILImage.new("RGB", (8, 8), c) for c in ("red", "blue")]
    frames[0].save(path, fmt, save_all=True, append_images=frames[1:])
    return path


def _refused(path: Path, *words: str) -> str:
    """The one-line ConfigError `load_images` raises for `path`, checked to name it."""
    with pytest.raises(ConfigError) as e:
        load_images([path])
    msg = str(e.value)
    assert str(path) in msg and "\n" not in msg
    for word in words:
        assert word in msg
    return msg


# ---------------------------------------------------------------------------
# what is attached


@pytest.mark.parametrize(
    ("fmt", "ext", "mime"),
    [("PNG", "png", "image/png"), ("JPEG", "jpg", "image/jpeg"), ("WEBP", "webp", "image/webp"),
     ("GIF", "gif", "image/gif")],
)  # fmt: skip
def test_each_format_its_mime_size_and_exact_bytes(tmp_path, fmt, ext, mime):
    path = _save(tmp_path / f"shot.{ext}", fmt, size=(37, 21))
    (image,) = load_images([path])
    assert (image.path, image.mime, image.width, image.height) == (str(path), mime, 37, 21)
    assert image.data == path.read_bytes() and image.size == path.stat().st_size
    url = image.data_url()
    head, payload = url.split(",", 1)
    assert head == f"data:{mime};base64"
    assert base64.b64decode(payload, validate=True) == path.read_bytes()  # never re-encoded
    assert "data=" not in repr(image)  # the bytes stay out of repr


def test_the_format_comes_from_the_bytes_not_the_extension(tmp_path):
    path = _save(tmp_path / "x.jpg", "PNG")
    assert load_images([path])[0].mime == "image/png"


def test_a_camera_multi_picture_jpeg_is_a_jpeg(tmp_path):
    """MPO (a JPEG with more pictures after the first) is a JPEG to the API, not an animation."""
    path = _animated(tmp_path / "camera.jpg", "MPO")
    assert load_images([path])[0].mime == "image/jpeg"


def test_a_directory_attaches_its_images_sorted(tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    _save(shots / "b.PNG", "PNG")  # the extension's case does not matter
    _save(shots / "a.jpeg", "JPEG")
    _save(shots / "c.webp", "WEBP")
    _save(shots / ".hidden.png", "PNG")
    (shots / "notes.txt").write_text("not an image\n")
    (shots / "sub.png").mkdir()  # top level only: a directory is no image
    _save(shots / "sub.png" / "deep.png", "PNG")
    images = load_images([shots])
    assert [Path(i.path).name for i in images] == ["a.jpeg", "b.PNG", "c.webp"]
    assert all(Path(i.path).parent == shots for i in images)


def test_a_directory_without_images_is_an_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.md").write_text("x\n")
    _save(empty / ".only-hidden.png", "PNG")
    _refused(empty, "no image files", ".png")


def test_the_same_file_twice_is_attached_once(tmp_path):
    path = _save(tmp_path / "a.png", "PNG")
    other = _save(tmp_path / "b.png", "PNG")
    link = tmp_path / "link.png"
    link.symlink_to(path)  # a symlink to a regular file is fine, and is the same file
    images = load_images([path, str(path), tmp_path / "." / "a.png", link, tmp_path, other])
    assert [i.path for i in images] == [str(path), str(other)]


def test_no_paths_no_images(tmp_path):
    assert load_images([]) == ()


# ---------------------------------------------------------------------------
# what is refused


def test_a_missing_file(tmp_path):
    _refused(tmp_path / "nope.png", "no such file")


def test_a_fifo_is_refused_without_being_opened(tmp_path):
    """Opening a FIFO with no writer blocks forever: it must be refused from its stat."""
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            load_images([fifo])
        except BaseException as e:
            outcome.append(e)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "load_images blocked on the FIFO"
    assert len(outcome) == 1 and isinstance(outcome[0], ConfigError)
    assert str(fifo) in str(outcome[0]) and "not a regular file" in str(outcome[0])


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_an_unsupported_format_is_refused(tmp_path, fmt):
    path = _save(tmp_path / f"shot.{fmt.lower()}", fmt)
    _refused(path, "not a PNG, JPEG, WEBP or GIF image")


def test_text_named_png_and_svg_are_refused(tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_text("this is not a PNG\n")
    _refused(fake, "not a PNG, JPEG, WEBP or GIF image")
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>\n')
    _refused(svg, "not a PNG, JPEG, WEBP or GIF image")


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"), ("GIF", "gif")])
def test_a_truncated_image_is_refused(tmp_path, fmt, ext):
    whole = _save(tmp_path / f"whole.{ext}", fmt, size=(200, 200), noise=True).read_bytes()
    cut = tmp_path / f"cut.{ext}"
    cut.write_bytes(whole[: len(whole) // 2])
    _refused(cut, "corrupt or truncated")


def test_a_header_cut_short_is_corrupt_not_unsupported(tmp_path):
    whole = _save(tmp_path / "whole.png", "PNG").read_bytes()
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole[:20])  # the PNG signature, then half a header
    _refused(cut, "corrupt or truncated")


def test_a_png_with_a_bad_checksum_is_refused(tmp_path):
    """The pixels decode, but the IDAT chunk's CRC is wrong: `verify` finds it, `load` does not."""
    data = bytearray(_save(tmp_path / "whole.png", "PNG", size=(64, 64), noise=True).read_bytes())
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    data[idat + 4 + length] ^= 0xFF  # the first byte of the CRC that follows the chunk's data
    bad = tmp_path / "bad.png"
    bad.write_bytes(bytes(data))
    _refused(bad, "corrupt or truncated")


@pytest.mark.parametrize(("fmt", "ext"), [("GIF", "gif"), ("PNG", "png"), ("WEBP", "webp")])
def test_an_animated_image_is_refused(tmp_path, fmt, ext):
    _refused(_animated(tmp_path / f"anim.{ext}", fmt), "animated", "export one frame")


def test_an_image_above_the_byte_limit(tmp_path, monkeypatch):
    path = _save(tmp_path / "big.png", "PNG", size=(64, 64), noise=True)
    monkeypatch.setattr(packer.images, "MAX_IMAGE_BYTES", path.stat().st_size - 1)
    msg = _refused(path, "resize or compress it")
    assert f"{path.stat().st_size:,} bytes" in msg and f"{path.stat().st_size - 1:,}-byte limit" in msg
    monkeypatch.setattr(packer.images, "MAX_IMAGE_BYTES", path.stat().st_size)
    assert load_images([path])[0].size == path.stat().st_size  # the limit itself is allowed


def test_images_above_the_total_limit(tmp_path, monkeypatch):
    a = _save(tmp_path / "a.png", "PNG", size=(40, 40), noise=True)
    b = _save(tmp_path / "b.png", "PNG", size=(40, 40), noise=True)
    both = a.stat().st_size + b.stat().st_size
    monkeypatch.setattr(packer.images, "MAX_TOTAL_BYTES", both - 1)
    with pytest.raises(ConfigError, match="limit per request") as e:
        load_images([a, b])
    assert str(b) in str(e.value)
    monkeypatch.setattr(packer.images, "MAX_TOTAL_BYTES", both)
    assert len(load_images([a, b])) == 2


def test_too_many_images(tmp_path, monkeypatch):
    for name in "abc":
        _save(tmp_path / f"{name}.png", "PNG")
    monkeypatch.setattr(packer.images, "MAX_IMAGES", 2)
    with pytest.raises(ConfigError, match="3 images, above the limit of 2 per request"):
        load_images([tmp_path])
    assert len(load_images([tmp_path / "a.png", tmp_path / "b.png"])) == 2


def test_too_many_pixels_is_refused_from_the_header(tmp_path, monkeypatch):
    path = _save(tmp_path / "wide.png", "PNG", size=(30, 20))
    monkeypatch.setattr(packer.images, "MAX_PIXELS", 599)
    _refused(path, "30x20 pixels", "599-pixel limit", "resize it")
    monkeypatch.setattr(packer.images, "MAX_PIXELS", 600)
    assert load_images([path])[0].width == 30


def test_pillow_s_own_bomb_guard_neither_warns_nor_confuses(tmp_path, monkeypatch):
    """Pillow warns above its MAX_IMAGE_PIXELS (below ours by default) and raises above
    twice it: the warning is silenced, the error is one of ours."""
    path = _save(tmp_path / "shot.png", "PNG", size=(30, 20))
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 400)  # 600 pixels: Pillow would warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_images([path])[0].height == 20
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 200)  # above twice it: Pillow raises
    _refused(path, "too many pixels", "resize it")


def test_without_pillow_the_fix_is_named(tmp_path, monkeypatch):
    path = _save(tmp_path / "shot.png", "PNG")
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ConfigError, match=r"--image needs Pillow: pip install 'packer\[images\]'"):
        load_images([path])


# ---------------------------------------------------------------------------
# secrets in the metadata


@pytest.mark.parametrize("secret", [AWS_PAIR, f"deploy with {AWS_ID}"])
def test_a_secret_in_a_png_text_chunk(tmp_path, secret):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", secret)
    path = _save(tmp_path / "leaky.png", "PNG", pnginfo=info)
    with pytest.raises(SecretsError) as e:
        load_images([path])
    msg = str(e.value)
    assert str(path) in msg and "AWS Access Key" in msg and "--allow-secrets" in msg and "exiftool" in msg
    assert "wJalrXUtnFEMI" not in msg and AWS_ID not in msg and "EXAMPLE" not in msg
    (image,) = load_images([path], allow_secrets=True)
    assert image.data == path.read_bytes()


def test_a_secret_in_a_compressed_or_international_png_chunk(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Description", f"key {AWS_ID}", lang="en", zip=True)
    path = _save(tmp_path / "itxt.png", "PNG", pnginfo=info)
    with pytest.raises(SecretsError, match="AWS Access Key"):
        load_images([path])


def test_a_secret_in_a_text_chunk_after_the_pixels(tmp_path):
    """Pillow reads a PNG's chunks after IDAT only when it decodes: they are scanned too."""
    png = _save(tmp_path / "plain.png", "PNG").read_bytes()
    body = b"Comment\x00key " + AWS_ID.encode()
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    end = png.rindex(b"IEND") - 4
    late = tmp_path / "late.png"
    late.write_bytes(png[:end] + chunk + png[end:])
    with pytest.raises(SecretsError, match="AWS Access Key"):
        load_images([late])


def test_a_secret_in_jpeg_exif_and_comment(tmp_path):
    exif = PILImage.Exif()
    exif[0x010E] = f"build server {AWS_ID}"  # ImageDescription
    described = _save(tmp_path / "exif.jpg", "JPEG", exif=exif)
    with pytest.raises(SecretsError, match="AWS Access Key") as e:
        load_images([described])
    assert AWS_ID not in str(e.value) and str(described) in str(e.value)
    commented = _save(tmp_path / "comment.jpg", "JPEG", comment=AWS_PAIR.encode())
    with pytest.raises(SecretsError, match="AWS Access Key"):
        load_images([commented])


def test_a_secret_in_the_exif_user_comment(tmp_path):
    exif = PILImage.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00" + AWS_PAIR.encode()  # UserComment
    path = _save(tmp_path / "comment.jpg", "JPEG", exif=exif)
    with pytest.raises(SecretsError, match="AWS Access Key"):
        load_images([path])


def test_harmless_metadata_is_no_secret(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "packer screenshot tool 1.2")
    info.add_text("Title", "The login page after the fix")
    exif = PILImage.Exif()
    exif[0x010E] = "A dialog box"
    png = _save(tmp_path / "ok.png", "PNG", pnginfo=info)
    jpg = _save(tmp_path / "ok.jpg", "JPEG", exif=exif, dpi=(144, 144))
    assert [i.mime for i in load_images([png, jpg])] == ["image/png", "image/jpeg"]


# ---------------------------------------------------------------------------
# every byte outside the pixels: the container walked, trailing data refused


def _png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def _before_iend(png: bytes, chunk: bytes) -> bytes:
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def _jpeg_segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def _webp_chunk(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) % 2)


def _riff(chunks: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


def _extended_webp(path: Path) -> bytes:
    """A WebP in the extended format (VP8X first: other chunks may follow the bitstream)."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _save(path, "WEBP", icc_profile=icc).read_bytes()


def _gif_extension(label: int, payload: bytes, size: int = 255) -> bytes:
    """An extension block, its payload cut into sub-blocks of `size` bytes."""
    blocks = b"".join(
        bytes([len(p)]) + p for p in (payload[i : i + size] for i in range(0, len(payload), size))
    )
    return bytes([0x21, label]) + blocks + b"\x00"


def _secret_refused(path: Path, *words: str) -> str:
    """The SecretsError for `path`: one line naming it and `words`, never the secret; with
    --allow-secrets the file is sent as it is."""
    with pytest.raises(SecretsError) as e:
        load_images([path])
    msg = str(e.value)
    assert str(path) in msg and "\n" not in msg and "--allow-secrets" in msg
    assert AWS_ID not in msg and "EXAMPLE" not in msg and "MIIE" not in msg
    for word in words:
        assert word in msg
    assert load_images([path], allow_secrets=True)[0].data == path.read_bytes()
    return msg


@pytest.mark.parametrize(
    ("fmt", "ext", "where"),
    [("PNG", "png", "after its IEND chunk"), ("JPEG", "jpg", "after its end-of-image marker"),
     ("GIF", "gif", "after its trailer")],
)  # fmt: skip
def test_bytes_after_the_image_s_end_are_refused(tmp_path, fmt, ext, where):
    """Decoders stop at the end marker: what follows would be sent unseen (a key, a PEM)."""
    image = _save(tmp_path / f"whole.{ext}", fmt).read_bytes()
    for tail in (f"AWS_SECRET_ACCESS_KEY={AWS_ID}".encode(), PEM.encode(), b"\x00"):
        path = tmp_path / f"tail.{ext}"
        path.write_bytes(image + tail)
        msg = _refused(path, where, "re-export it")
        count = f"{len(tail)} byte{'s' if len(tail) > 1 else ''}"
        assert msg == (
            f"--image {path}: {count} after the image's end ({where}), which would be sent unchecked; "
            "re-export it"
        )
        with pytest.raises(ConfigError, match="after the image's end"):  # secrets allowed or not
            load_images([path], allow_secrets=True)


def test_bytes_past_a_webp_s_riff_size_are_refused(tmp_path):
    webp = _save(tmp_path / "whole.webp", "WEBP").read_bytes()
    path = tmp_path / "tail.webp"
    path.write_bytes(webp + PEM.encode())
    _refused(path, f"{len(PEM)} bytes after the image's end (past its RIFF size)")


def test_a_secret_in_a_private_png_chunk(tmp_path):
    png = _save(tmp_path / "plain.png", "PNG").read_bytes()
    path = tmp_path / "private.png"
    path.write_bytes(_before_iend(png, _png_chunk(b"prVt", f"deploy key {AWS_ID}".encode())))
    msg = _secret_refused(path, "AWS Access Key in PNG chunk prVt")
    assert "exiftool" in msg


def test_a_pem_key_in_a_png_chunk_before_the_pixels(tmp_path):
    png = _save(tmp_path / "plain.png", "PNG").read_bytes()
    path = tmp_path / "early.png"
    path.write_bytes(png[:33] + _png_chunk(b"vpAg", PEM.encode()) + png[33:])  # after IHDR
    _secret_refused(path, "Private Key in PNG chunk vpAg")


def test_a_secret_in_jpeg_exif_xp_comment(tmp_path):
    """Windows' "Comments" (XPComment, 0x9C9C) is UCS-2 bytes, not a string."""
    exif = PILImage.Exif()
    exif[0x9C9C] = f"deploy key {AWS_ID}".encode("utf-16-le") + b"\x00\x00"
    path = _save(tmp_path / "xp.jpg", "JPEG", exif=exif)
    _secret_refused(path, "AWS Access Key in EXIF XPComment")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_secret_in_a_unicode_exif_user_comment(tmp_path, encoding):
    exif = PILImage.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + f"key {AWS_ID}".encode(encoding)
    path = _save(tmp_path / "unicode.jpg", "JPEG", exif=exif)
    _secret_refused(path, "AWS Access Key in EXIF UserComment")


def test_a_secret_in_the_gps_processing_method(tmp_path):
    exif = PILImage.Exif()
    exif.get_ifd(0x8825)[0x001B] = b"ASCII\x00\x00\x00" + AWS_PAIR.encode()  # GPSProcessingMethod
    path = _save(tmp_path / "gps.jpg", "JPEG", exif=exif)
    _secret_refused(path, "AWS Access Key in EXIF GPSProcessingMethod")


def test_a_secret_in_an_iptc_caption(tmp_path):
    """IPTC (Photoshop's APP13 resource 0x0404): dataset 2:120, the caption."""
    caption = PEM.encode()
    iptc = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    jpeg = _save(tmp_path / "plain.jpg", "JPEG").read_bytes()
    path = tmp_path / "iptc.jpg"
    path.write_bytes(jpeg[:2] + _jpeg_segment(0xED, b"Photoshop 3.0\x00" + resource) + jpeg[2:])
    _secret_refused(path, "Private Key in JPEG APP13")


def test_a_secret_in_a_jpeg_segment_between_progressive_scans(tmp_path):
    """A progressive JPEG has segments after its first scan: they are walked too."""
    jpeg = _save(tmp_path / "plain.jpg", "JPEG", size=(64, 64), noise=True, progressive=True).read_bytes()
    second_scan = jpeg.index(b"\xff\xda", jpeg.index(b"\xff\xda") + 2)
    path = tmp_path / "late.jpg"
    path.write_bytes(jpeg[:second_scan] + _jpeg_segment(0xEF, f"id {AWS_ID}".encode()) + jpeg[second_scan:])
    _secret_refused(path, "AWS Access Key in JPEG APP15")


def test_a_secret_in_a_compressed_icc_profile(tmp_path):
    """A PNG's iCCP chunk is compressed: the profile Pillow inflates is scanned, its names
    in UTF-16 (as ICC's multi-language strings are) included."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = _save(tmp_path / "icc.png", "PNG", icc_profile=icc + f"key {AWS_ID}".encode("utf-16-be"))
    _secret_refused(path, "AWS Access Key in ICC profile")


def test_a_secret_in_a_webp_chunk(tmp_path):
    webp = _extended_webp(tmp_path / "plain.webp")
    path = tmp_path / "chunk.webp"
    path.write_bytes(_riff(webp[12:] + _webp_chunk(b"sEcR", PEM.encode())))
    _secret_refused(path, "Private Key in WebP chunk sEcR")
    path.write_bytes(_riff(webp[12:] + _webp_chunk(b"XMP ", f"<x:note>{AWS_ID}</x:note>".encode())))
    _secret_refused(path, "AWS Access Key in WebP chunk XMP")


@pytest.mark.parametrize(
    ("label", "where"),
    [(0xFE, "GIF comment"), (0x01, "GIF plain-text extension"), (0xFF, "GIF application extension")],
)
def test_a_secret_in_a_gif_extension(tmp_path, label, where):
    """Cut into sub-blocks of 7 bytes: the key is split by size bytes, and found whole."""
    gif = _save(tmp_path / "plain.gif", "GIF").read_bytes()
    payload = (b"XMP DataXMP" if label == 0xFF else b"") + f"key {AWS_ID}".encode()
    path = tmp_path / "ext.gif"
    path.write_bytes(gif[:-1] + _gif_extension(label, payload, size=7) + gif[-1:])
    _secret_refused(path, f"AWS Access Key in {where}")


def test_normal_images_still_load(tmp_path):
    """What cameras, screenshot tools and Pillow write: ICC profiles (binary, with UTF-16
    names), EXIF orientation and resolution, XMP, comments, a GIF's loop extension."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    exif = PILImage.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x0131] = "packer tests 1.0"  # Software
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + "a screenshot".encode("utf-16-le")
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "Screenshot tool")
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    paths = [
        _save(
            tmp_path / "icc.png",
            "PNG",
            size=(64, 64),
            noise=True,
            icc_profile=icc,
            pnginfo=info,
            dpi=(144, 144),
        ),
        _save(tmp_path / "lab.png", "PNG", icc_profile=lab, exif=exif),
        _save(tmp_path / "photo.jpg", "JPEG", size=(64, 64), noise=True, exif=exif, icc_profile=icc, xmp=xmp),
        _save(
            tmp_path / "progressive.jpg", "JPEG", size=(64, 64), noise=True, progressive=True, comment=b"ok"
        ),
        _save(tmp_path / "lossy.webp", "WEBP", size=(64, 64), noise=True, icc_profile=icc, exif=exif),
        _save(tmp_path / "lossless.webp", "WEBP", lossless=True, xmp=xmp),
        _save(tmp_path / "still.gif", "GIF", size=(64, 64), noise=True, comment=b"made by a test", loop=0),
        _animated(tmp_path / "camera.jpg", "MPO"),  # pictures one after the other, not trailing
    ]
    assert [Path(i.path).name for i in load_images(paths)] == [p.name for p in paths]


def test_a_gif_without_its_trailer_hides_nothing(tmp_path):
    """Some encoders leave out the trailer (Python's own idlelib icons): nothing follows."""
    gif = _save(tmp_path / "whole.gif", "GIF").read_bytes()
    path = tmp_path / "open.gif"
    path.write_bytes(gif[:-1])
    assert load_images([path])[0].size == len(gif) - 1


def test_a_malformed_container_is_a_corrupt_image(tmp_path):
    """A length that runs past the end, a segment cut short: the corrupt-image error."""
    png = _save(tmp_path / "plain.png", "PNG").read_bytes()
    huge = struct.pack(">I", 0x7FFFFFF0) + b"prVt" + b"text"
    jpeg = _save(tmp_path / "plain.jpg", "JPEG").read_bytes()
    gif = _save(tmp_path / "plain.gif", "GIF").read_bytes()
    webp = _extended_webp(tmp_path / "plain.webp")
    broken = {
        "long-chunk.png": _before_iend(png, huge),
        "no-iend.png": png[:-12],
        "bad-type.png": _before_iend(png, _png_chunk(b"pr\x00t", b"x")),
        "long-segment.jpg": jpeg[:2] + b"\xff\xe5\xff\xf0" + jpeg[2:],
        "bad-marker.jpg": jpeg[:2] + b"\xff\x00" + jpeg[2:],
        "no-eoi.jpg": jpeg[:-2],
        "long-block.gif": gif[:-1] + b"\x21\xfe\x40short",
        "bad-block.gif": gif[:-1] + b"\x99" + gif[-1:],
        "long-chunk.webp": _riff(webp[12:] + b"sEcR" + struct.pack("<I", 1000) + b"short"),
        "long-riff.webp": webp[:4] + struct.pack("<I", len(webp)) + webp[8:],
    }
    for name, data in broken.items():
        path = tmp_path / name
        path.write_bytes(data)
        _refused(path, "corrupt or truncated", "re-export it")


@pytest.mark.filterwarnings("ignore:.*:UserWarning:PIL")  # Pillow's own, on broken EXIF
@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"), ("GIF", "gif")])
def test_cut_or_flipped_anywhere_never_a_crash(tmp_path, fmt, ext):
    """Every cut and many flipped bytes of a small image with metadata: loaded, or refused
    with a one-line error naming the file; never another exception."""
    exif = PILImage.Exif()
    exif[0x9C9C] = "a note".encode("utf-16-le")
    extra = {"GIF": {"comment": b"a note"}, "PNG": {"exif": exif}}.get(fmt, {"exif": exif})
    data = _save(tmp_path / f"whole.{ext}", fmt, size=(8, 8), noise=True, **extra).read_bytes()
    path = tmp_path / f"bad.{ext}"
    variants = [data[:cut] for cut in range(len(data))]
    variants += [data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :] for i in range(0, len(data), 3)]
    for variant in variants:
        path.write_bytes(variant)
        try:
            load_images([path])
        except PackerError as e:
            assert str(path) in str(e) and "\n" not in str(e)


# ---------------------------------------------------------------------------
# --dry-run's view of a data URL


def test_short_data_url():
    payload = base64.b64encode(bytes(range(256)) * 10).decode()
    url = f"data:image/png;base64,{payload}"
    short = short_data_url(url)
    assert short == f"data:image/png;base64,{payload[:24]}…({len(payload):,} bytes of base64)"
    assert short_data_url(url, keep=4).startswith(f"data:image/png;base64,{payload[:4]}…(")
    assert short_data_url("data:image/png;base64,iVBOR") == "data:image/png;base64,iVBOR"  # short already
    assert short_data_url("https://example.com/a.png") == "https://example.com/a.png"


def test_an_image_record_is_plain_data():
    image = Image(path="a.png", mime=MIME["PNG"], width=1, height=2, data=b"\x89PNG")
    assert image.size == 4 and image.data_url() == "data:image/png;base64,iVBORw=="
    assert "iVBOR" not in repr(image) and "x89" not in repr(image)
