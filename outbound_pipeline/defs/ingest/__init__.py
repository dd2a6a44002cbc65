"""Ingestion assets, one module per platform."""

from collections.abc import Mapping

import dagster as dg
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from outbound_pipeline.defs.resources import OWNERS


class RawTableTranslator(DagsterDltTranslator):
    """``raw/<platform>/<table>`` keys, the platform's group, owners, kinds and descriptions."""

    def __init__(self, platform: str, kind: str, descriptions: Mapping[str, str]) -> None:
        self.platform = platform
        self.kind = kind
        self.descriptions = descriptions

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        name = data.resource.name
        return spec.replace_attributes(
            key=dg.AssetKey(["raw", self.platform, name]),
            deps=[],
            group_name=self.platform,
            owners=OWNERS,
            description=self.descriptions[name],
            kinds={"dlt", self.kind},
            tags={"platform": self.platform, "layer": "raw"},
        )
