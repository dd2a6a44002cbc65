"""The ``classified_replies`` asset: every reply cleaned, classified and explained, once.

It reads the replies the warehouse holds (Smartlead message history, reply webhooks from any
platform), classifies the ones that are due (:mod:`outbound_pipeline.reply_store`) and writes
``analytics.classified_replies``, which the dbt marts read for positive replies. Each
materialization also reports the embedded classifier's quality on the held-out labelled
replies.
"""

import os

import dagster as dg

from outbound_pipeline.defs.resources import OWNERS, WarehouseResource, warehouse_kind
from outbound_pipeline.replies.classifier import embedded_classifier
from outbound_pipeline.replies.evaluate import evaluate
from outbound_pipeline.replies.labelled import load_labelled, of_split
from outbound_pipeline.replies.remote import classifier_for
from outbound_pipeline.reply_store import classify_due
from outbound_pipeline.settings import REPLY_CLASSIFIER_KEY_VARIABLE, Settings

CLASSIFIED_REPLIES = dg.AssetKey(["classified_replies"])
UPSTREAM = [
    dg.AssetKey(["raw", "smartlead", "message_history"]),
    dg.AssetKey(["landing", "webhook_events"]),
]


class ClassifyRepliesConfig(dg.Config):
    reclassify: bool = False
    """Classify every reply again, whatever its stored classifier version (``outbound replies
    reclassify``)."""


def build_replies_defs(settings: Settings) -> dg.Definitions:
    kind = warehouse_kind(settings)

    @dg.asset(
        key=CLASSIFIED_REPLIES,
        deps=UPSTREAM,
        group_name="replies",
        kinds={"python", "scikitlearn", kind},
        owners=OWNERS,
        pool="duckdb_writer" if kind == "duckdb" else None,
        description=(
            "One row per reply (Smartlead message history and reply webhooks): the cleaned "
            "text beside the original, the seed 002 category, sentiment, positivity, "
            "confidence, the classifier and its version, and the rule or features that "
            "decided. A reply is classified once per classifier version; an identical body "
            "reuses its classification."
        ),
    )
    def classified_replies(context: dg.AssetExecutionContext, config: ClassifyRepliesConfig,
                           warehouse: WarehouseResource) -> dg.MaterializeResult:
        classifier, versions = classifier_for(settings,
                                              os.environ.get(REPLY_CLASSIFIER_KEY_VARIABLE))
        try:
            result = classify_due(warehouse.warehouse, classifier, versions,
                                  everything=config.reclassify)
        finally:
            close = getattr(classifier, "close", None)
            if close is not None:
                close()
        context.log.info(
            f"{result.due} replies due: {result.classified} classified by "
            f"{classifier.name} {classifier.version}, {result.reused} reused an identical "
            f"body's classification, {result.fallbacks} by the fallback")
        held_out = of_split(load_labelled(), "test")
        quality = evaluate(embedded_classifier(), [e.text for e in held_out],
                           [e.category for e in held_out])
        rate = result.classified / result.classify_seconds if result.classify_seconds else None
        metadata: dict[str, dg.RawMetadataValue] = {
            "dagster/row_count": result.due,
            "replies_due": result.due,
            "replies_classified": result.classified,
            "replies_reused": result.reused,
            "fallbacks": result.fallbacks,
            "classifier": classifier.name,
            "classifier_version": classifier.version,
            "category_mix": dg.MetadataValue.json(dict(sorted((result.categories or {}).items()))),
            "methods": dg.MetadataValue.json(dict(sorted((result.methods or {}).items()))),
            "held_out_macro_f1": round(quality.macro_f1, 4),
            "held_out_examples": quality.examples,
            "held_out_quality": dg.MetadataValue.json(quality.as_metadata()),
            "held_out_confusion": dg.MetadataValue.md(quality.confusion_markdown()),
        }
        if rate is not None:
            metadata["replies_per_second"] = round(rate)
        return dg.MaterializeResult(metadata=metadata)

    return dg.Definitions(assets=[classified_replies])
