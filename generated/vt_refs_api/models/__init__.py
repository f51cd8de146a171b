"""Contains all the data models used in inputs/outputs"""

from .collection_links import CollectionLinks
from .collection_meta import CollectionMeta
from .context_attributes import ContextAttributes
from .descriptor_collection import DescriptorCollection
from .error_body import ErrorBody
from .error_response import ErrorResponse
from .object_descriptor import ObjectDescriptor
from .object_links import ObjectLinks
from .overall_quotas import OverallQuotas
from .overall_quotas_response import OverallQuotasResponse
from .quota_count import QuotaCount
from .quota_usage import QuotaUsage
from .reference import Reference
from .reference_attributes import ReferenceAttributes
from .reference_collection import ReferenceCollection
from .related_object import RelatedObject
from .related_object_attributes import RelatedObjectAttributes

__all__ = (
    "CollectionLinks",
    "CollectionMeta",
    "ContextAttributes",
    "DescriptorCollection",
    "ErrorBody",
    "ErrorResponse",
    "ObjectDescriptor",
    "ObjectLinks",
    "OverallQuotas",
    "OverallQuotasResponse",
    "QuotaCount",
    "QuotaUsage",
    "Reference",
    "ReferenceAttributes",
    "ReferenceCollection",
    "RelatedObject",
    "RelatedObjectAttributes",
)
