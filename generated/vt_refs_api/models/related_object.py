from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.related_object_attributes import RelatedObjectAttributes


T = TypeVar("T", bound="RelatedObject")


@_attrs_define
class RelatedObject:
    type_: str
    """ The object type, e.g. `collection`. """
    id: str
    attributes: RelatedObjectAttributes | Unset = UNSET
    """ What the API tells of the object a relationship goes through. Google Threat
    Intelligence pages add `tags`, `origin` and `collection_type` (the object may be
    another report).
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        id = self.id

        attributes: dict[str, Any] | Unset = UNSET
        if not isinstance(self.attributes, Unset):
            attributes = self.attributes.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "id": id,
            }
        )
        if attributes is not UNSET:
            field_dict["attributes"] = attributes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.related_object_attributes import RelatedObjectAttributes

        d = dict(src_dict)
        type_ = d.pop("type")

        id = d.pop("id")

        _attributes = d.pop("attributes", UNSET)
        attributes: RelatedObjectAttributes | Unset
        if isinstance(_attributes, Unset):
            attributes = UNSET
        else:
            attributes = RelatedObjectAttributes.from_dict(_attributes)

        related_object = cls(
            type_=type_,
            id=id,
            attributes=attributes,
        )

        related_object.additional_properties = d
        return related_object

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
