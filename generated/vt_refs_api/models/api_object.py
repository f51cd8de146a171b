from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.api_object_attributes import ApiObjectAttributes
    from ..models.context_attributes import ContextAttributes
    from ..models.object_links import ObjectLinks


T = TypeVar("T", bound="ApiObject")


@_attrs_define
class ApiObject:
    """An object of any type as a relationship lists it: a file, a URL, a domain, an
    IP address, a threat actor. Only what names the indicator is modelled; every
    other attribute is kept.

    """

    type_: str
    """ file, url, domain, ip_address, threat_actor, ... (an open string). """
    id: str
    """ The object's id: a file's SHA-256, a URL's SHA-256 id, the domain or the
    IP address itself.
     """
    attributes: ApiObjectAttributes | Unset = UNSET
    """ The attributes that name an indicator; all optional, the rest kept. """
    links: ObjectLinks | Unset = UNSET
    context_attributes: ContextAttributes | Unset = UNSET
    """ Facts about the relationship rather than the related object. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        id = self.id

        attributes: dict[str, Any] | Unset = UNSET
        if not isinstance(self.attributes, Unset):
            attributes = self.attributes.to_dict()

        links: dict[str, Any] | Unset = UNSET
        if not isinstance(self.links, Unset):
            links = self.links.to_dict()

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
        if attributes is not UNSET:
            field_dict["attributes"] = attributes
        if links is not UNSET:
            field_dict["links"] = links
        if context_attributes is not UNSET:
            field_dict["context_attributes"] = context_attributes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.api_object_attributes import ApiObjectAttributes
        from ..models.context_attributes import ContextAttributes
        from ..models.object_links import ObjectLinks

        d = dict(src_dict)
        type_ = d.pop("type")

        id = d.pop("id")

        _attributes = d.pop("attributes", UNSET)
        attributes: ApiObjectAttributes | Unset
        if isinstance(_attributes, Unset):
            attributes = UNSET
        else:
            attributes = ApiObjectAttributes.from_dict(_attributes)

        _links = d.pop("links", UNSET)
        links: ObjectLinks | Unset
        if isinstance(_links, Unset):
            links = UNSET
        else:
            links = ObjectLinks.from_dict(_links)

        _context_attributes = d.pop("context_attributes", UNSET)
        context_attributes: ContextAttributes | Unset
        if isinstance(_context_attributes, Unset):
            context_attributes = UNSET
        else:
            context_attributes = ContextAttributes.from_dict(_context_attributes)

        api_object = cls(
            type_=type_,
            id=id,
            attributes=attributes,
            links=links,
            context_attributes=context_attributes,
        )

        api_object.additional_properties = d
        return api_object

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
