"""Contains all the data models used in inputs/outputs"""

from .api_object import ApiObject
from .api_object_attributes import ApiObjectAttributes
from .collection import Collection
from .collection_attributes import CollectionAttributes
from .collection_counters import CollectionCounters
from .collection_links import CollectionLinks
from .collection_meta import CollectionMeta
from .collection_page import CollectionPage
from .collection_response import CollectionResponse
from .context_attributes import ContextAttributes
from .descriptor_collection import DescriptorCollection
from .error_body import ErrorBody
from .error_response import ErrorResponse
from .object_descriptor import ObjectDescriptor
from .object_links import ObjectLinks
from .object_page import ObjectPage
from .overall_quotas import OverallQuotas
from .overall_quotas_response import OverallQuotasResponse
from .quota_count import QuotaCount
from .quota_usage import QuotaUsage
from .reference import Reference
from .reference_attributes import ReferenceAttributes
from .reference_collection import ReferenceCollection
from .reference_response import ReferenceResponse
from .related_object import RelatedObject
from .related_object_attributes import RelatedObjectAttributes
from .targeted_industry import TargetedIndustry
from .targeted_region import TargetedRegion

__all__ = (
    "ApiObject",
    "ApiObjectAttributes",
    "Collection",
    "CollectionAttributes",
    "CollectionCounters",
    "CollectionLinks",
    "CollectionMeta",
    "CollectionPage",
    "CollectionResponse",
    "ContextAttributes",
    "DescriptorCollection",
    "ErrorBody",
    "ErrorResponse",
    "ObjectDescriptor",
    "ObjectLinks",
    "ObjectPage",
    "OverallQuotas",
    "OverallQuotasResponse",
    "QuotaCount",
    "QuotaUsage",
    "Reference",
    "ReferenceAttributes",
    "ReferenceCollection",
    "ReferenceResponse",
    "RelatedObject",
    "RelatedObjectAttributes",
    "TargetedIndustry",
    "TargetedRegion",
)
