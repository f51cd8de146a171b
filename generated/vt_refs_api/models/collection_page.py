from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.collection import Collection
    from ..models.collection_links import CollectionLinks
    from ..models.collection_meta import CollectionMeta


T = TypeVar("T", bound="CollectionPage")


@_attrs_define
class CollectionPage:
    """One page of `collection` objects. Google Threat Intelligence pages may send a
    `meta` with only `cursor` (no `count`), or no `meta` at all on a short page.

    """

    data: list[Collection]
    meta: CollectionMeta | Unset = UNSET
    """ Facts about the whole relationship, not only this page. """
    links: CollectionLinks | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        meta: dict[str, Any] | Unset = UNSET
        if not isinstance(self.meta, Unset):
            meta = self.meta.to_dict()

        links: dict[str, Any] | Unset = UNSET
        if not isinstance(self.links, Unset):
            links = self.links.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
            }
        )
        if meta is not UNSET:
            field_dict["meta"] = meta
        if links is not UNSET:
            field_dict["links"] = links

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.collection import Collection
        from ..models.collection_links import CollectionLinks
        from ..models.collection_meta import CollectionMeta

        d = dict(src_dict)
        data = []
        _data = d.pop("data")
        for data_item_data in _data:
            data_item = Collection.from_dict(data_item_data)

            data.append(data_item)

        _meta = d.pop("meta", UNSET)
        meta: CollectionMeta | Unset
        if isinstance(_meta, Unset):
            meta = UNSET
        else:
            meta = CollectionMeta.from_dict(_meta)

        _links = d.pop("links", UNSET)
        links: CollectionLinks | Unset
        if isinstance(_links, Unset):
            links = UNSET
        else:
            links = CollectionLinks.from_dict(_links)

        collection_page = cls(
            data=data,
            meta=meta,
            links=links,
        )

        collection_page.additional_properties = d
        return collection_page

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
