from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.context_attributes import ContextAttributes


T = TypeVar("T", bound="ObjectDescriptor")


@_attrs_define
class ObjectDescriptor:
    """An object's descriptor, as the `relationships/` endpoints return it."""

    type_: str
    id: str
    context_attributes: ContextAttributes | Unset = UNSET
    """ Facts about the relationship rather than the related object. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        id = self.id

        context_attributes: dict[str, Any] | Unset = UNSET
        if not isinstance(self.context_attributes, Unset):
            context_attributes = self.context_attributes.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "id": id,
            }
        )
        if context_attributes is not UNSET:
            field_dict["context_attributes"] = context_attributes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.context_attributes import ContextAttributes

        d = dict(src_dict)
        type_ = d.pop("type")

        id = d.pop("id")

        _context_attributes = d.pop("context_attributes", UNSET)
        context_attributes: ContextAttributes | Unset
        if isinstance(_context_attributes, Unset):
            context_attributes = UNSET
        else:
            context_attributes = ContextAttributes.from_dict(_context_attributes)

        object_descriptor = cls(
            type_=type_,
            id=id,
            context_attributes=context_attributes,
        )

        object_descriptor.additional_properties = d
        return object_descriptor

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
