from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="RelatedObjectAttributes")


@_attrs_define
class RelatedObjectAttributes:
    """What the API tells of the object a relationship goes through. Google Threat
    Intelligence pages add `tags`, `origin` and `collection_type` (the object may be
    another report).

    """

    name: str | Unset = UNSET
    tags: list[str] | Unset = UNSET
    origin: str | Unset = UNSET
    collection_type: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        origin = self.origin

        collection_type = self.collection_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if tags is not UNSET:
            field_dict["tags"] = tags
        if origin is not UNSET:
            field_dict["origin"] = origin
        if collection_type is not UNSET:
            field_dict["collection_type"] = collection_type

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name", UNSET)

        tags = cast(list[str], d.pop("tags", UNSET))

        origin = d.pop("origin", UNSET)

        collection_type = d.pop("collection_type", UNSET)

        related_object_attributes = cls(
            name=name,
            tags=tags,
            origin=origin,
            collection_type=collection_type,
        )

        related_object_attributes.additional_properties = d
        return related_object_attributes

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
