"""The generated client imports, is typed, and is what the pinned generator makes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.paths import ROOT


def test_generated_package_imports_and_is_typed() -> None:
    import vt_refs_api
    from vt_refs_api.api.urls import get_url_related_references

    package = Path(vt_refs_api.__file__).parent
    assert package == ROOT / "generated" / "vt_refs_api"
    assert (package / "py.typed").is_file()
    assert callable(get_url_related_references.sync_detailed)


def test_provenance_names_pins_and_inputs() -> None:
    provenance = json.loads((ROOT / "generated" / "PROVENANCE.json").read_text())
    pins = (ROOT / "tools" / "generator-requirements.txt").read_text()
    assert provenance["generator"] in pins
    assert provenance["formatter"] in pins
    assert len(provenance["openapi.yaml sha256"]) == 64


def test_generated_models_round_trip_the_seed(seed_page: dict[str, Any]) -> None:
    from vt_refs_api.models import ReferenceCollection

    assert ReferenceCollection.from_dict(seed_page).to_dict() == seed_page


def test_check_generated_names_files_a_spec_edit_changes(tmp_path: Path) -> None:
    for name in ("openapi.yaml", "generator-config.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "tools", tmp_path / "tools")
    shutil.copytree(ROOT / "generated", tmp_path / "generated")
    spec = tmp_path / "openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    edited = text.replace("summary: References related to a file", "summary: Refs of a file", 1)
    assert edited != text
    spec.write_text(edited, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(tmp_path / "tools" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "differs: vt_refs_api/api/files/get_file_related_references.py" in done.stdout
    assert "differs: PROVENANCE.json" in done.stdout
    assert "get_url_related_references.py" not in done.stdout
