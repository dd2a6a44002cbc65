"""The embedded classifier: the labelled set it learns from, its quality on the held-out part
(never trained on), its explanations, its version, and what it extracts."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from outbound_pipeline.replies.categories import CATEGORIES
from outbound_pipeline.replies.classifier import EmbeddedClassifier, Reply, embedded_classifier
from outbound_pipeline.replies.cleaning import clean_reply
from outbound_pipeline.replies.evaluate import evaluate
from outbound_pipeline.replies.labelled import Example, load_labelled, of_split
from outbound_pipeline.replies.rules import referred_person, return_date


@pytest.fixture(scope="module")
def labelled() -> list[Example]:
    return load_labelled()


def test_the_labelled_set_is_large_multilingual_and_balanced(labelled):
    assert len(labelled) >= 600
    by_language = Counter(e.language for e in labelled)
    assert set(by_language) >= {"en", "de", "fr", "es"}
    assert min(by_language.values()) >= 100
    by_category = Counter(e.category for e in labelled)
    assert set(by_category) == set(CATEGORIES)
    assert min(by_category.values()) >= 60
    assert len({e.text for e in labelled}) == len(labelled)


def test_the_held_out_split_is_disjoint_and_covers_every_language_and_category(labelled):
    train, test = of_split(labelled, "train"), of_split(labelled, "test")
    assert len(test) >= 0.2 * len(labelled)
    assert not {e.text for e in train} & {e.text for e in test}
    assert {(e.language, e.category) for e in test} == {
        (e.language, e.category) for e in labelled}


def test_no_labelled_reply_comes_from_the_simulators_templates(labelled):
    from outbound_pipeline.sandbox.replies import LANGUAGES, Person, SentEmail, compose_reply

    rng = random.Random(1)
    lead = Person("Ana", "Ruiz", "ana@acme.io", "CTO", "Acme", "+1 555 0100")
    sent = SentEmail("Tom Reed", "tom@reachly.io", "Quick question", "Hi Ana, quick call?",
                     datetime(2026, 3, 3, 10, 14, tzinfo=UTC))
    generated = set()
    for _ in range(3000):
        reply = compose_reply(rng, kind=rng.choice(CATEGORIES), language=rng.choice(LANGUAGES),
                              lead=lead, sent=sent,
                              reply_time=datetime(2026, 3, 4, 9, tzinfo=UTC), topic="data")
        generated.add(clean_reply(reply.text).text.lower())
    ours = {clean_reply(e.text).text.lower() for e in labelled}
    # Only generic one- to three-word replies ("unsubscribe", "who is this?") may coincide.
    assert all(len(text.split()) <= 3 for text in ours & generated), ours & generated


def test_macro_f1_on_the_held_out_replies_meets_the_goal(labelled):
    held_out = of_split(labelled, "test")
    quality = evaluate(embedded_classifier(), [e.text for e in held_out],
                       [e.category for e in held_out])
    assert quality.macro_f1 >= 0.90, quality.per_category
    assert min(m["recall"] for m in quality.per_category.values()) >= 0.75
    assert sum(map(sum, quality.confusion)) == len(held_out)


def test_training_never_sees_the_held_out_replies(labelled):
    classifier = embedded_classifier()
    trained_on = EmbeddedClassifier.train(of_split(labelled, "train"))
    assert classifier.version == trained_on.version
    with_test = EmbeddedClassifier.train(labelled)
    assert with_test.version != classifier.version


def test_every_result_is_explained(labelled):
    replies = [Reply.of_text(t) for t in (
        "Please remove me from your list.",
        "Sounds great, can we talk Tuesday at 3pm?",
        "Sent from my iPhone",
    )]
    rule, model, empty = embedded_classifier().classify(replies)
    assert (rule.method, rule.explanation["rule"]) == ("rule", "unsubscribe")
    assert rule.explanation_text.startswith("rule unsubscribe:")
    assert model.method == "model" and model.reply_category == "meeting_request"
    assert model.explanation["features"] and all(w > 0 for _, w in
                                                    model.explanation["features"])
    assert 0 < model.confidence <= 1
    assert (empty.method, empty.reply_category) == ("empty", "neutral")
    for result in (rule, model, empty):
        assert result.as_dict()["explanation"]


def test_positive_and_sentiment_follow_seed_002():
    results = embedded_classifier().classify([Reply.of_text(t) for t in (
        "Yes, interested - please send the deck.", "Let's meet Thursday at 10am.",
        "Not interested.", "Unsubscribe")])
    assert [(r.reply_category, r.sentiment, r.is_positive) for r in results] == [
        ("interested", "positive", True), ("meeting_request", "positive", True),
        ("not_interested", "negative", False), ("unsubscribe", "negative", False)]


def test_extraction_of_return_dates_and_referred_people_on_the_labelled_set(labelled):
    dated = [e for e in labelled if e.return_date]
    received = {e.id: date(e.return_date.year, 1, 1) for e in dated}
    right = sum(return_date(clean_reply(e.text).text, received[e.id]) == e.return_date
                for e in dated)
    assert right / len(dated) >= 0.75
    with_email = [e for e in labelled if e.referred_email]
    right = sum(referred_person(clean_reply(e.text).text)[1] == e.referred_email
                for e in with_email)
    assert right / len(with_email) >= 0.9
    named = [e for e in labelled if e.referred_name]
    found = [referred_person(clean_reply(e.text).text)[0] for e in named]
    assert sum(f == e.referred_name for f, e in zip(found, named, strict=True)) / len(named) >= 0.35
    assert sum(f is not None and f != e.referred_name
               for f, e in zip(found, named, strict=True)) / len(named) <= 0.1
