"""vt_refs: the hand-written layer over the generated VirusTotal client `vt_refs_api`."""

from vt_refs_api import AuthenticatedClient, Client

__all__ = ["AuthenticatedClient", "Client"]
