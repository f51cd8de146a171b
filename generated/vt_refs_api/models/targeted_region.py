from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TargetedRegion")


@_attrs_define
class TargetedRegion:
    """One region a collection targets; other keys are kept."""

    region: str | Unset = UNSET
    sub_region: str | Unset = UNSET
    country: str | Unset = UNSET
    country_iso2: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        region = self.region

        sub_region = self.sub_region

        country = self.country

        country_iso2 = self.country_iso2

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if region is not UNSET:
            field_dict["region"] = region
        if sub_region is not UNSET:
            field_dict["sub_region"] = sub_region
        if country is not UNSET:
            field_dict["country"] = country
        if country_iso2 is not UNSET:
            field_dict["country_iso2"] = country_iso2

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        region = d.pop("region", UNSET)

        sub_region = d.pop("sub_region", UNSET)

        country = d.pop("country", UNSET)

        country_iso2 = d.pop("country_iso2", UNSET)

        targeted_region = cls(
            region=region,
            sub_region=sub_region,
            country=country,
            country_iso2=country_iso2,
        )

        targeted_region.additional_properties = d
        return targeted_region

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
