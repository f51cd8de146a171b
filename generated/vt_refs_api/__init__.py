"""A client library for accessing VirusTotal API v3 references and Google Threat Intelligence reports"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
