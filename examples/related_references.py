"""The references VirusTotal relates to a URL, listed with the vt_refs library.

    VT_API_KEY=... python examples/related_references.py [BASE_URL]

`make demo` runs it against the local fake VirusTotal, whose base URL it passes as the
argument. Without one it talks to the real API, which needs a key with Threat Landscape
access. The key always comes from VT_API_KEY: `connect()` reads it there.
"""

from __future__ import annotations

import asyncio
import datetime
import sys

import vt_refs
from vt_refs.testing import SEED_URL
from vt_refs_api.models import Reference


def describe(reference: Reference) -> str:
    """One line per reference: every attribute is optional, so fall back gracefully."""
    attributes = reference.attributes  # UNSET (which is falsy) when the API left it out
    if not attributes:
        return reference.id
    date = "????-??-??"
    if attributes.creation_date:
        created = datetime.datetime.fromtimestamp(attributes.creation_date, tz=datetime.UTC)
        date = f"{created:%Y-%m-%d}"
    return f"{date}  {attributes.title or '(untitled)'} by {attributes.author or 'unknown'}"


def list_references(base_url: str) -> None:
    """The synchronous way: `related_references` pages on its own as you iterate."""
    with vt_refs.connect(base_url=base_url) as client:
        print(f"References related to {SEED_URL}:")
        for reference in vt_refs.related_references(client, SEED_URL):
            print("  " + describe(reference))

        # Every failure is a typed vt_refs.VTError; a 404 is a NotFoundError.
        try:
            next(vt_refs.related_references(client, id="no-such-url"))
        except vt_refs.NotFoundError as error:
            print(f"An unknown id gives {type(error).__name__} (HTTP {error.status_code}):")
            print(f"  {error.message}")


async def first_titles(base_url: str, limit: int) -> list[str]:
    """The async way: the same client type, `async with`, and `arelated_references`."""
    async with vt_refs.connect(base_url=base_url) as client:
        return [
            str(reference.attributes.title) if reference.attributes else reference.id
            async for reference in vt_refs.arelated_references(
                client, "https://example.com/login", max_items=limit
            )
        ]


def main() -> None:
    base_url = sys.argv[1] if len(sys.argv) > 1 else vt_refs.DEFAULT_BASE_URL
    list_references(base_url)
    print("\nThe first 3 references of https://example.com/login, fetched with asyncio:")
    for title in asyncio.run(first_titles(base_url, 3)):
        print(f"  {title}")


if __name__ == "__main__":
    main()
