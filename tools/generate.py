"""Regenerate the client from openapi.yaml, or check that generated/ is what it would be.

`generated/` must be byte-for-byte what the pinned generator produces from the spec and
the config, so both `make generate` and `make check-generated` go through this one
function: generate into an empty temporary folder, add `py.typed` and the provenance
file, then either replace `generated/` or compare the two trees file by file.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
CONFIG = ROOT / "generator-config.yml"
REQUIREMENTS = ROOT / "tools" / "generator-requirements.txt"
GENERATED = ROOT / "generated"
PACKAGE = "vt_refs_api"


def _pins() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.strip()] = version.strip()
    return pins


def _check_versions() -> dict[str, str]:
    """Refuse to generate with other tool versions than the pinned ones."""
    pins = _pins()
    for name, want in pins.items():
        have = metadata.version(name)
        if have != want:
            sys.exit(f"generate: {name} {have} is installed, {want} is pinned; run `make install`")
    return pins


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(dest: Path) -> None:
    """Write the complete generated tree (what `generated/` must hold) into `dest`."""
    pins = _check_versions()
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    env["PYTHONHASHSEED"] = "0"
    package_dir = dest / PACKAGE
    cmd = [
        str(bindir / "openapi-python-client"),
        "generate",
        "--path", str(SPEC),
        "--config", str(CONFIG),
        "--meta", "none",
        "--output-path", str(package_dir),
        "--overwrite",
        "--fail-on-warning",
    ]  # fmt: skip
    done = subprocess.run(cmd, env=env, cwd=dest, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"generate: openapi-python-client failed ({done.returncode})")
    (package_dir / "py.typed").write_text("")
    provenance = {
        "generator": f"openapi-python-client=={pins['openapi-python-client']}",
        "formatter": f"ruff=={pins['ruff']}",
        "openapi.yaml sha256": _sha256(SPEC),
        "generator-config.yml sha256": _sha256(CONFIG),
        "regenerate with": "make generate",
    }
    (dest / "PROVENANCE.json").write_text(json.dumps(provenance, indent=2) + "\n")


def _differences(left: Path, right: Path, rel: Path = Path()) -> list[str]:
    cmp = filecmp.dircmp(left, right, ignore=["__pycache__"])
    out = [f"only in generated/: {rel / n}" for n in cmp.left_only]
    out += [f"missing from generated/: {rel / n}" for n in cmp.right_only]
    _, mismatch, errors = filecmp.cmpfiles(left, right, cmp.common_files, shallow=False)
    out += [f"differs: {rel / n}" for n in mismatch + errors]
    out += [f"type differs: {rel / n}" for n in cmp.common_funny]
    for sub in cmp.common_dirs:
        out += _differences(left / sub, right / sub, rel / sub)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vt-refs-gen-") as tmp:
        fresh = Path(tmp) / "generated"
        fresh.mkdir()
        build(fresh)
        if args.check:
            if not GENERATED.is_dir():
                sys.exit("check-generated: generated/ does not exist; run `make generate`")
            diffs = _differences(GENERATED, fresh)
            if diffs:
                print("check-generated: generated/ is not what `make generate` produces:")
                print("\n".join(f"  {d}" for d in diffs))
                sys.exit("check-generated: run `make generate` and commit the result")
            print("check-generated: generated/ matches openapi.yaml and generator-config.yml")
            return
        if GENERATED.exists():
            shutil.rmtree(GENERATED)
        shutil.copytree(fresh, GENERATED)
        print(f"generate: wrote {GENERATED.relative_to(ROOT)}/ from {SPEC.name}")


if __name__ == "__main__":
    main()
