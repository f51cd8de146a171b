"""A client library for accessing VirusTotal API v3 related_references"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
