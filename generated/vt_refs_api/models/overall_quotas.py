from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.quota_usage import QuotaUsage


T = TypeVar("T", bound="OverallQuotas")


@_attrs_define
class OverallQuotas:
    """A user's quotas by name. The API requests ones are described; the others
    (`intelligence_searches_monthly`, `intelligence_downloads_monthly`,
    `monitor_storage_bytes`, ...) are kept as they come.

    """

    api_requests_hourly: QuotaUsage | Unset = UNSET
    """ One quota, for the user and, when it belongs to one, its group. """
    api_requests_daily: QuotaUsage | Unset = UNSET
    """ One quota, for the user and, when it belongs to one, its group. """
    api_requests_monthly: QuotaUsage | Unset = UNSET
    """ One quota, for the user and, when it belongs to one, its group. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        api_requests_hourly: dict[str, Any] | Unset = UNSET
        if not isinstance(self.api_requests_hourly, Unset):
            api_requests_hourly = self.api_requests_hourly.to_dict()

        api_requests_daily: dict[str, Any] | Unset = UNSET
        if not isinstance(self.api_requests_daily, Unset):
            api_requests_daily = self.api_requests_daily.to_dict()

        api_requests_monthly: dict[str, Any] | Unset = UNSET
        if not isinstance(self.api_requests_monthly, Unset):
            api_requests_monthly = self.api_requests_monthly.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if api_requests_hourly is not UNSET:
            field_dict["api_requests_hourly"] = api_requests_hourly
        if api_requests_daily is not UNSET:
            field_dict["api_requests_daily"] = api_requests_daily
        if api_requests_monthly is not UNSET:
            field_dict["api_requests_monthly"] = api_requests_monthly

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.quota_usage import QuotaUsage

        d = dict(src_dict)
        _api_requests_hourly = d.pop("api_requests_hourly", UNSET)
        api_requests_hourly: QuotaUsage | Unset
        if isinstance(_api_requests_hourly, Unset):
            api_requests_hourly = UNSET
        else:
            api_requests_hourly = QuotaUsage.from_dict(_api_requests_hourly)

        _api_requests_daily = d.pop("api_requests_daily", UNSET)
        api_requests_daily: QuotaUsage | Unset
        if isinstance(_api_requests_daily, Unset):
            api_requests_daily = UNSET
        else:
            api_requests_daily = QuotaUsage.from_dict(_api_requests_daily)

        _api_requests_monthly = d.pop("api_requests_monthly", UNSET)
        api_requests_monthly: QuotaUsage | Unset
        if isinstance(_api_requests_monthly, Unset):
            api_requests_monthly = UNSET
        else:
            api_requests_monthly = QuotaUsage.from_dict(_api_requests_monthly)

        overall_quotas = cls(
            api_requests_hourly=api_requests_hourly,
            api_requests_daily=api_requests_daily,
            api_requests_monthly=api_requests_monthly,
        )

        overall_quotas.additional_properties = d
        return overall_quotas

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
