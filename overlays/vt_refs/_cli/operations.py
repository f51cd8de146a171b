"""Which generated operation module serves each (--object, --descriptors) choice.

The CLI knows operations only by module name and walks them with the generic
`vt_refs.iter_pages`, so a relationship added to openapi.yaml needs one line here.
Modules are imported when chosen, never at start-up.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Final

_API: Final = "vt_refs_api.api"

OPERATIONS: Final[dict[tuple[str, bool], str]] = {
    ("urls", False): f"{_API}.urls.get_url_related_references",
    ("urls", True): f"{_API}.urls.get_url_related_references_descriptors",
    ("files", False): f"{_API}.files.get_file_related_references",
    ("files", True): f"{_API}.files.get_file_related_references_descriptors",
    ("domains", False): f"{_API}.domains.get_domain_related_references",
    ("domains", True): f"{_API}.domains.get_domain_related_references_descriptors",
    ("ip_addresses", False): f"{_API}.ip_addresses.get_ip_address_related_references",
    ("ip_addresses", True): f"{_API}.ip_addresses.get_ip_address_related_references_descriptors",
    ("threat_actors", False): f"{_API}.threat_actors.get_threat_actor_related_references",
    ("threat_actors", True): (
        f"{_API}.threat_actors.get_threat_actor_related_references_descriptors"
    ),
}


def operation(object_kind: str, descriptors: bool) -> ModuleType:
    """The generated module listing `object_kind`'s references (or their descriptors)."""
    return importlib.import_module(OPERATIONS[object_kind, descriptors])
