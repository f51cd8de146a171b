from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CollectionCounters")


@_attrs_define
class CollectionCounters:
    """How many objects of each kind the collection holds."""

    domains: int | Unset = UNSET
    files: int | Unset = UNSET
    iocs: int | Unset = UNSET
    ip_addresses: int | Unset = UNSET
    urls: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        domains = self.domains

        files = self.files

        iocs = self.iocs

        ip_addresses = self.ip_addresses

        urls = self.urls

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if domains is not UNSET:
            field_dict["domains"] = domains
        if files is not UNSET:
            field_dict["files"] = files
        if iocs is not UNSET:
            field_dict["iocs"] = iocs
        if ip_addresses is not UNSET:
            field_dict["ip_addresses"] = ip_addresses
        if urls is not UNSET:
            field_dict["urls"] = urls

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        domains = d.pop("domains", UNSET)

        files = d.pop("files", UNSET)

        iocs = d.pop("iocs", UNSET)

        ip_addresses = d.pop("ip_addresses", UNSET)

        urls = d.pop("urls", UNSET)

        collection_counters = cls(
            domains=domains,
            files=files,
            iocs=iocs,
            ip_addresses=ip_addresses,
            urls=urls,
        )

        collection_counters.additional_properties = d
        return collection_counters

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
