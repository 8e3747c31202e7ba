"""Issue 18's samples, reproducible: a dry run with an image, and a batch map-reduce review
with one part failing, through the `packer` CLI (a subprocess) against the local
OpenAI-compatible server of the tests (`tests/fake_openai.py`). Nothing leaves 127.0.0.1.

    .venv/bin/python benchmarks/review_demo.py [--packer .venv/bin/packer]

The repository reviewed is a git repository made in a temp directory from five of
packer's own modules, with small windows in its `.packer.toml` (codex 9,000 tokens, api
16,000) so that the batch review is map-reduce in two parts; the server fails `part-2`.
The screenshot is drawn with Pillow (the `images` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "tests"))

from fake_openai import FakeOpenAI  # noqa: E402

MODULES = ("chunker.py", "batch.py", "review.py", "images.py", "prices.py")
WINDOWS = "[targets.codex]\nwindow = 9000\nheadroom = 0\n[targets.api]\nwindow = 16000\nreserve = 0\n"


def make_repo(root: Path) -> None:
    root.mkdir()
    for name in MODULES:
        shutil.copy(HERE / "packer" / name, root / name)
    (root / ".packer.toml").write_text(WINDOWS)
    git = ["git", "-C", str(root), "-c", "user.email=demo@example.com", "-c", "user.name=demo"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "demo"], check=True)


def make_screenshot(path: Path) -> None:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (1280, 800), (245, 245, 245))
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 40, 1240, 120), fill=(200, 40, 40))
    draw.text((60, 70), "CI: ApiError: the merge request failed in batch batch_3", fill=(255, 255, 255))
    img.save(path)


def dry_run(packer: str, work: Path, env: dict[str, str]) -> None:
    args = ["review", "repo", "--target", "codex", "--dry-run", "--image", "ci-failure.png",
            "--query", "the merge step fails in CI: see the screenshot"]  # fmt: skip
    got = subprocess.run([packer, *args], capture_output=True, text=True, env=env, cwd=work, check=True)
    print(f"$ packer {' '.join(args)}")
    dry = json.loads(got.stdout)
    (request,) = dry["requests"]
    for part in request["body"]["input"][0]["content"]:
        shown = dict(part)
        if "text" in shown:
            shown["text"] = f"{shown['text'][:50]!r}... ({len(part['text']):,} characters)"
        print("  content:", json.dumps(shown, ensure_ascii=False))
    body = request["body"]
    print("  reasoning:", body.get("reasoning"), " text:", body.get("text"))
    print("  images:", json.dumps(dry["images"]))
    print("  route:", dry["route"])
    print(f"  input_tokens: {request['input_tokens']:,}  cost_estimate_usd: {dry['cost_estimate_usd']}")


def batch_review(packer: str, work: Path, env: dict[str, str]) -> None:
    with FakeOpenAI() as srv:
        srv.batch_fail_ids = {"part-2"}
        args = ["review", "repo", "--batch", "--yes", "--max-cost", "5", "--max-output-tokens", "2000",
                "--base-url", srv.base_url, "--batch-poll", "0.2", "-o", "batch-review.md"]  # fmt: skip
        got = subprocess.run([packer, *args], capture_output=True, text=True, env=env, cwd=work)
        print(f"\n$ packer {' '.join(args)}   # exit {got.returncode}")
        print("stderr:\n" + got.stderr + "stdout:\n" + got.stdout)
        for batch_id, b in srv.batches.items():
            lines = [line["custom_id"] for line in b["lines"]]
            print(f"server: {batch_id} {b['batch']['status']} {b['batch']['request_counts']} {lines}")
        merge = list(srv.batches.values())[-1]["lines"][0]["body"]["input"][0]["content"][1]["text"]
        print("the merge request's task:", merge.strip().replace("\n", " / "))
    print("batch state files left:", os.listdir(Path(env["PACKER_CACHE_DIR"]) / "batches"))


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--packer", default=str(HERE / ".venv" / "bin" / "packer"))
    packer = parser.parse_args().packer
    with tempfile.TemporaryDirectory(prefix="packer-review-demo-") as tmp:
        work = Path(tmp)
        make_repo(work / "repo")
        make_screenshot(work / "ci-failure.png")
        env = {**os.environ, "OPENAI_API_KEY": "sk-demo-not-a-key", "PACKER_CACHE_DIR": str(work / "cache")}
        dry_run(packer, work, env)
        batch_review(packer, work, env)


if __name__ == "__main__":
    main()
