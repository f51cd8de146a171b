from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ApiObjectAttributes")


@_attrs_define
class ApiObjectAttributes:
    """The attributes that name an indicator; all optional, the rest kept."""

    url: str | Unset = UNSET
    """ A URL object's URL. """
    name: str | Unset = UNSET
    """ A threat actor's name. """
    sha256: str | Unset = UNSET
    sha1: str | Unset = UNSET
    md5: str | Unset = UNSET
    meaningful_name: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        name = self.name

        sha256 = self.sha256

        sha1 = self.sha1

        md5 = self.md5

        meaningful_name = self.meaningful_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if url is not UNSET:
            field_dict["url"] = url
        if name is not UNSET:
            field_dict["name"] = name
        if sha256 is not UNSET:
            field_dict["sha256"] = sha256
        if sha1 is not UNSET:
            field_dict["sha1"] = sha1
        if md5 is not UNSET:
            field_dict["md5"] = md5
        if meaningful_name is not UNSET:
            field_dict["meaningful_name"] = meaningful_name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        url = d.pop("url", UNSET)

        name = d.pop("name", UNSET)

        sha256 = d.pop("sha256", UNSET)

        sha1 = d.pop("sha1", UNSET)

        md5 = d.pop("md5", UNSET)

        meaningful_name = d.pop("meaningful_name", UNSET)

        api_object_attributes = cls(
            url=url,
            name=name,
            sha256=sha256,
            sha1=sha1,
            md5=md5,
            meaningful_name=meaningful_name,
        )

        api_object_attributes.additional_properties = d
        return api_object_attributes

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
