"""The references the fake serves: the seed's two, and deterministic generated ones.

The seed (the example page of VirusTotal's documentation) never names its URL, only the
URL's SHA-256 id, so `SEED_URL` is a documented stand-in whose `url_id` serves the same
object. Every other object gets references computed from its collection, id and position,
so two fakes (or two runs) always serve the same data, with nothing stored in advance.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any, Final

JsonObject = dict[str, Any]

SEED_URL: Final = "https://seed.example/holiday-lull"
"""A stand-in for the seed's unnamed URL: `url_id(SEED_URL)` serves the seed references."""

SEED_URL_SHA256: Final = "9a99a24b65c8336298d5dcd773303675c0fa79fd53f6ec19da03588ddb57836a"
"""The SHA-256 id of the seed's URL, as the seed's `links` give it."""

SEED_REFERENCES: Final[tuple[JsonObject, ...]] = (
    {
        "attributes": {
            "url": "https://www.proofpoint.com/us/threat-insight/post/holiday-lull-not-so-much",
            "creation_date": 1515715200,
            "author": "Proofpoint Staff",
            "title": "Holiday lull? Not so much",
        },
        "type": "reference",
        "id": "0082e68274dfccb553cd7e19047f0119d01661e7e96af6376743fc853c930a20",
        "links": {
            "self": "https://www.virustotal.com/api/v3/references/"
            "0082e68274dfccb553cd7e19047f0119d01661e7e96af6376743fc853c930a20"
        },
        "context_attributes": {
            "related_from": [
                {
                    "attributes": {"name": "Emotet"},
                    "type": "collection",
                    "id": "malpedia_win_emotet",
                }
            ]
        },
    },
    {
        "attributes": {
            "url": "https://www.fortinet.com/blog/threat-research/"
            "ms-office-files-involved-again-in-recent-emotet-trojan-campaign-part-ii",
            "creation_date": 1647993600,
            "author": "Xiaopeng Zhang",
            "title": "MS Office Files Involved Again in Recent Emotet Trojan Campaign β Part II",
        },
        "type": "reference",
        "id": "00c52c0a22dc7e6da4aeb3690a573cf3a13521b93b5af0e06cefb51b1face030",
        "links": {
            "self": "https://www.virustotal.com/api/v3/references/"
            "00c52c0a22dc7e6da4aeb3690a573cf3a13521b93b5af0e06cefb51b1face030"
        },
        "context_attributes": {
            "related_from": [
                {
                    "attributes": {"name": "Emotet"},
                    "type": "collection",
                    "id": "malpedia_win_emotet",
                }
            ]
        },
    },
)
"""The seed page's two references, verbatim (the "β" in the second title included)."""

# (author, site, path) of publishers whose reports VirusTotal commonly links.
_PUBLISHERS: Final = (
    ("Proofpoint Staff", "www.proofpoint.com", "us/threat-insight/post"),
    ("Xiaopeng Zhang", "www.fortinet.com", "blog/threat-research"),
    ("Unit 42", "unit42.paloaltonetworks.com", "research"),
    ("Cisco Talos", "blog.talosintelligence.com", "posts"),
    ("Microsoft Threat Intelligence", "www.microsoft.com", "en-us/security/blog"),
    ("ESET Research", "www.welivesecurity.com", "en/eset-research"),
    ("Kaspersky GReAT", "securelist.com", "reports"),
    ("Mandiant", "cloud.google.com", "blog/topics/threat-intelligence"),
)
# (name, Malpedia collection id) of the families a reference relates through.
_FAMILIES: Final = (
    ("Emotet", "malpedia_win_emotet"),
    ("QakBot", "malpedia_win_qakbot"),
    ("IcedID", "malpedia_win_icedid"),
    ("Cobalt Strike", "malpedia_win_cobalt_strike"),
    ("Agent Tesla", "malpedia_win_agent_tesla"),
    ("LockBit", "malpedia_win_lockbit"),
    ("Raccoon Stealer", "malpedia_win_raccoon"),
    ("PlugX", "malpedia_win_plugx"),
)
_TOPICS: Final = (
    "phishing campaign",
    "loader update",
    "ransomware operation",
    "malvertising wave",
    "credential-theft campaign",
    "supply-chain intrusion",
)
_INDUSTRIES: Final = ("Financial", "Healthcare", "Government", "Education", "Manufacturing")
_REGIONS: Final = ("US", "DE", "GB", "JP", "BR", "IN", "FR", "KR")
_EPOCH_2015: Final = 1420070400
_DAY: Final = 86400


@functools.lru_cache(maxsize=16384)
def generated_reference(collection: str, object_id: str, index: int, base_url: str) -> JsonObject:
    """The `index`-th generated reference of an object, the same on every call and run.

    Every field is drawn from the SHA-256 of (collection, id, index), which is also the
    reference's id, so ids never repeat and generation costs one hash. Results are cached
    (a benchmark pages thousands of them repeatedly); callers must not mutate them.
    """
    digest = hashlib.sha256(f"{collection}/{object_id}/{index}".encode()).digest()
    ref_id = digest.hex()
    author, site, path = _PUBLISHERS[digest[0] % len(_PUBLISHERS)]
    family, family_id = _FAMILIES[digest[1] % len(_FAMILIES)]
    topic = _TOPICS[digest[2] % len(_TOPICS)]
    industry = _INDUSTRIES[digest[3] % len(_INDUSTRIES)]
    region = _REGIONS[digest[4] % len(_REGIONS)]
    created = _EPOCH_2015 + int.from_bytes(digest[5:9]) % (10 * 365 * _DAY)
    title = f"{family} {topic} targets {industry.lower()} organisations"
    slug = title.lower().replace(" ", "-")
    return {
        "type": "reference",
        "id": ref_id,
        "attributes": {
            "title": title,
            "author": author,
            "url": f"https://{site}/{path}/{slug}-{ref_id[:8]}",
            "creation_date": created,
            "last_modification_date": created + digest[9] % 90 * _DAY,
            "description": f"{author} analyse a {topic} involving {family}, aimed at"
            f" {industry.lower()} organisations in {region}.",
            "tags": [family.lower().replace(" ", "_"), topic.split()[0].lower()],
            "targeted_industries": [industry],
            "targeted_regions": [region],
            "iocs_count": digest[10],
            "files_count": digest[11] % 50,
            "urls_count": digest[12] % 30,
        },
        "links": {"self": f"{base_url}/references/{ref_id}"},
        "context_attributes": {
            "related_from": [
                {"type": "collection", "id": family_id, "attributes": {"name": family}},
            ]
        },
    }


def descriptor(reference: JsonObject) -> JsonObject:
    """The descriptor the `relationships/` endpoints serve: type, id, context attributes."""
    out: JsonObject = {"type": reference["type"], "id": reference["id"]}
    if "context_attributes" in reference:
        out["context_attributes"] = reference["context_attributes"]
    return out
