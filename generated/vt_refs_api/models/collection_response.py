from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.collection import Collection


T = TypeVar("T", bound="CollectionResponse")


@_attrs_define
class CollectionResponse:
    """The answer of `GET /collections/{id}`."""

    data: Collection
    """ A Google Threat Intelligence collection: a report (`collection_type: report`),
    a threat actor, a malware family, a campaign, a vulnerability, a toolkit or a
    plain collection. Its ids look like `report--21-00006507`,
    `report--<64 hex>`, `threat-actor--...`.
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
        from ..models.collection import Collection

        d = dict(src_dict)
        data = Collection.from_dict(d.pop("data"))

        collection_response = cls(
            data=data,
        )

        collection_response.additional_properties = d
        return collection_response

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
