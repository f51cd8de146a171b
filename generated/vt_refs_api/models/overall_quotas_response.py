from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.overall_quotas import OverallQuotas


T = TypeVar("T", bound="OverallQuotasResponse")


@_attrs_define
class OverallQuotasResponse:
    """The answer of `/users/{id}/overall_quotas`."""

    data: OverallQuotas
    """ A user's quotas by name. The API requests ones are described; the others
    (`intelligence_searches_monthly`, `intelligence_downloads_monthly`,
    `monitor_storage_bytes`, ...) are kept as they come.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.overall_quotas import OverallQuotas

        d = dict(src_dict)
        data = OverallQuotas.from_dict(d.pop("data"))

        overall_quotas_response = cls(
            data=data,
        )

        overall_quotas_response.additional_properties = d
        return overall_quotas_response

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
