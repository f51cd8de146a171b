from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="QuotaCount")


@_attrs_define
class QuotaCount:
    """How many requests the period allows, and how many it has used."""

    allowed: int | Unset = UNSET
    used: int | Unset = UNSET
    inherited_from: str | Unset = UNSET
    """ The group whose quota this is, when it is a group's. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        allowed = self.allowed

        used = self.used

        inherited_from = self.inherited_from

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if allowed is not UNSET:
            field_dict["allowed"] = allowed
        if used is not UNSET:
            field_dict["used"] = used
        if inherited_from is not UNSET:
            field_dict["inherited_from"] = inherited_from

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        allowed = d.pop("allowed", UNSET)

        used = d.pop("used", UNSET)

        inherited_from = d.pop("inherited_from", UNSET)

        quota_count = cls(
            allowed=allowed,
            used=used,
            inherited_from=inherited_from,
        )

        quota_count.additional_properties = d
        return quota_count

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
