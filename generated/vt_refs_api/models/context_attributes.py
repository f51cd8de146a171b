from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.related_object import RelatedObject


T = TypeVar("T", bound="ContextAttributes")


@_attrs_define
class ContextAttributes:
    """Facts about the relationship rather than the related object."""

    related_from: list[RelatedObject] | Unset = UNSET
    """ The objects (collections in every known case) through which the reference relates. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        related_from: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.related_from, Unset):
            related_from = []
            for related_from_item_data in self.related_from:
                related_from_item = related_from_item_data.to_dict()
                related_from.append(related_from_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if related_from is not UNSET:
            field_dict["related_from"] = related_from

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.related_object import RelatedObject

        d = dict(src_dict)
        _related_from = d.pop("related_from", UNSET)
        related_from: list[RelatedObject] | Unset = UNSET
        if _related_from is not UNSET:
            related_from = []
            for related_from_item_data in _related_from:
                related_from_item = RelatedObject.from_dict(related_from_item_data)

                related_from.append(related_from_item)

        context_attributes = cls(
            related_from=related_from,
        )

        context_attributes.additional_properties = d
        return context_attributes

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
