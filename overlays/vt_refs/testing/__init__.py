"""A fake VirusTotal API v3 server on loopback, for testing code that uses vt_refs.

    from vt_refs.testing import FakeVirusTotal

    def test_pages() -> None:
        with FakeVirusTotal() as fake:
            fake.set_count("44d88612fea8a8f36de82e1278abb02f", 25, collection="files")
            ...  # point the client at fake.base_url with fake.api_key

Standard library only; nothing here ever talks to VirusTotal. `python -m vt_refs.testing`
runs it as a process.
"""

from ._data import SEED_URL, SEED_URL_SHA256
from ._fake import DEFAULT_API_KEY, DEFAULT_USER, FakeVirusTotal
from ._faults import ChaosKind, DelayFault, DropFault, FailFault, Fault, MalformFault, RedirectFault
from ._records import RecordedRequest

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_USER",
    "SEED_URL",
    "SEED_URL_SHA256",
    "ChaosKind",
    "DelayFault",
    "DropFault",
    "FailFault",
    "FakeVirusTotal",
    "Fault",
    "MalformFault",
    "RecordedRequest",
    "RedirectFault",
]
