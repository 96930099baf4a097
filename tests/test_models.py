"""Installing a speech model: verified file by file, atomic, a no-op when present. The real
English model can't be fetched here, so a small archive with its own manifest stands in;
the real manifest is checked against the published file list."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from agent.voice.models import KNOWN, ModelDownloadError, ModelSpec, blob_id, install
from tests.conftest import run_cli

FILES = {"am/final.mdl": b"acoustic model", "conf/model.conf": b"--beam=10\n", "README": b"hi"}


def archive(tmp_path: Path, files: dict[str, bytes]) -> Path:
    path = tmp_path / "model.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(f"tiny-model/{name}", data)
    return path


@pytest.fixture
def spec(tmp_path: Path) -> ModelSpec:
    ids = {}
    for name, data in FILES.items():
        f = tmp_path / "ref" / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(data)
        ids[name] = blob_id(f)
    return ModelSpec(url="https://example.invalid/model.zip", folder="tiny-model", files=ids)


def test_blob_id_is_gits(tmp_path: Path) -> None:
    f = tmp_path / "x"
    f.write_bytes(b"hello\n")
    git = subprocess.run(["git", "hash-object", str(f)], capture_output=True, text=True)
    assert blob_id(f) == git.stdout.strip()


def test_install_then_nothing_to_do(tmp_path: Path, spec: ModelSpec) -> None:
    zip_path = archive(tmp_path, FILES)
    said: list[str] = []
    target = install(spec, tmp_path / "models", url=zip_path.as_uri(), say=said.append)
    assert (target / "am" / "final.mdl").read_bytes() == b"acoustic model"
    assert said[-1] == f"installed tiny-model in {tmp_path / 'models'}, 3 files verified"
    zip_path.unlink()  # a second run must not download
    install(spec, tmp_path / "models", url=zip_path.as_uri(), say=said.append)
    assert said[-1].endswith(
        "is already installed in " + str(tmp_path / "models") + ", all files verified"
    )


def test_tampered_download_installs_nothing(tmp_path: Path, spec: ModelSpec) -> None:
    zip_path = archive(tmp_path, {**FILES, "am/final.mdl": b"evil model"})
    with pytest.raises(
        ModelDownloadError,
        match=r"failed verification, nothing was installed: am/final\.mdl: expected [0-9a-f]{40}",
    ):
        install(spec, tmp_path / "models", url=zip_path.as_uri(), say=lambda _: None)
    assert not (tmp_path / "models" / "tiny-model").exists()
    assert [p.name for p in (tmp_path / "models").iterdir()] == []


def test_damaged_install_is_replaced(tmp_path: Path, spec: ModelSpec) -> None:
    zip_path = archive(tmp_path, FILES)
    target = install(spec, tmp_path / "models", url=zip_path.as_uri(), say=lambda _: None)
    (target / "conf" / "model.conf").write_text("broken")
    install(spec, tmp_path / "models", url=zip_path.as_uri(), say=lambda _: None)
    assert (target / "conf" / "model.conf").read_bytes() == b"--beam=10\n"


def test_the_english_model_manifest() -> None:
    spec = KNOWN["vosk-small-en"]
    assert spec.folder == "vosk-model-small-en-us-0.15"
    assert len(spec.files) == 14
    assert spec.files["am/final.mdl"] == "5596b31d4fb9735918975e48abfc04582a561393"


def test_cli_unreachable_download_says_how_to_do_it_by_hand(tmp_path: Path) -> None:
    result = run_cli(
        "models",
        "download",
        "vosk-small-en",
        "--dir",
        str(tmp_path),
        "--url",
        (tmp_path / "absent.zip").as_uri(),
    )
    assert result.returncode == 5  # a download that failed (README: exit codes)
    assert "cannot download" in result.stderr
    assert (
        f"to install by hand: download https://alphacephei.com/vosk/models/"
        f"vosk-model-small-en-us-0.15.zip, unzip it into {tmp_path}"
    ) in result.stderr


def test_a_model_of_plain_files_is_fetched_one_by_one_and_checked_by_sha256(
    tmp_path: Path,
) -> None:
    """Piper's voices: two files in a folder (the model by SHA-256: Git LFS keeps it), from
    a local file:// folder here."""
    import hashlib

    source = tmp_path / "voices"
    source.mkdir()
    model, config = b"onnx model bytes", b'{"audio": {"sample_rate": 22050}}'
    (source / "v.onnx").write_bytes(model)
    (source / "v.onnx.json").write_bytes(config)
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "c").write_bytes(config)
    spec = ModelSpec(
        url="https://example.invalid/voices",
        folder="piper-v",
        files={
            "v.onnx": f"sha256:{hashlib.sha256(model).hexdigest()}",
            "v.onnx.json": blob_id(tmp_path / "ref" / "c"),
        },
        plain=True,
    )
    said: list[str] = []
    target = install(spec, tmp_path / "models", url=source.as_uri(), say=said.append)
    assert (target / "v.onnx").read_bytes() == model
    assert said[-1] == f"installed piper-v in {tmp_path / 'models'}, 2 files verified"
    (source / "v.onnx").write_bytes(b"tampered")
    (target / "v.onnx").write_bytes(b"tampered")  # damaged: fetched again, and refused
    with pytest.raises(ModelDownloadError, match=r"v\.onnx: expected sha256:[0-9a-f]{64}, got"):
        install(spec, tmp_path / "models", url=source.as_uri(), say=lambda _: None)
    by_hand = r"to install by hand: download v\.onnx, v\.onnx\.json from"
    with pytest.raises(ModelDownloadError, match=by_hand):
        install(spec, tmp_path / "other", url=(tmp_path / "nowhere").as_uri(), say=lambda _: None)


def test_the_piper_voice_is_a_known_model() -> None:
    spec = KNOWN["piper-en_US-lessac-medium"]
    assert spec.plain and spec.folder == "piper-en_US-lessac-medium"
    assert sorted(spec.files) == ["en_US-lessac-medium.onnx", "en_US-lessac-medium.onnx.json"]
