from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.quota_count import QuotaCount


T = TypeVar("T", bound="QuotaUsage")


@_attrs_define
class QuotaUsage:
    """One quota, for the user and, when it belongs to one, its group."""

    user: QuotaCount | Unset = UNSET
    """ How many requests the period allows, and how many it has used. """
    group: QuotaCount | Unset = UNSET
    """ How many requests the period allows, and how many it has used. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        user: dict[str, Any] | Unset = UNSET
        if not isinstance(self.user, Unset):
            user = self.user.to_dict()

        group: dict[str, Any] | Unset = UNSET
        if not isinstance(self.group, Unset):
            group = self.group.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if user is not UNSET:
            field_dict["user"] = user
        if group is not UNSET:
            field_dict["group"] = group

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.quota_count import QuotaCount

        d = dict(src_dict)
        _user = d.pop("user", UNSET)
        user: QuotaCount | Unset
        if isinstance(_user, Unset):
            user = UNSET
        else:
            user = QuotaCount.from_dict(_user)

        _group = d.pop("group", UNSET)
        group: QuotaCount | Unset
        if isinstance(_group, Unset):
            group = UNSET
        else:
            group = QuotaCount.from_dict(_group)

        quota_usage = cls(
            user=user,
            group=group,
        )

        quota_usage.additional_properties = d
        return quota_usage

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
