"""The fake's items are completed to each operation's item model (testing/_conform.py)."""

from __future__ import annotations

from vt_refs.testing._conform import conform, skeleton
from vt_refs.testing._data import descriptor, generated_reference
from vt_refs_api.models import ErrorResponse, ObjectDescriptor, Reference


def test_an_item_that_conforms_is_served_as_it_is() -> None:
    reference = generated_reference("urls", "x" * 64, 0, "http://127.0.0.1/api/v3")
    assert conform(reference, Reference) is reference
    described = descriptor(reference)
    assert conform(described, ObjectDescriptor) is described


def test_what_the_model_requires_is_added_with_placeholders_of_its_types() -> None:
    assert skeleton(Reference) == {"type": "fake", "id": "fake"}
    assert conform({"id": "r1", "title": "kept"}, Reference) == {
        "id": "r1",
        "title": "kept",
        "type": "fake",
    }
    # A nested required model, present with the wrong JSON type or lacking its own.
    assert conform({"error": "text"}, ErrorResponse) == {"error": {"code": "fake"}}
    given = {"error": {"message": "m"}}
    assert conform(given, ErrorResponse) == {"error": {"message": "m", "code": "fake"}}
    assert given == {"error": {"message": "m"}}  # never changed in place
