"""docs/metrics.md defines every metric the dashboards show, under the code's key."""

from __future__ import annotations

from pathlib import Path

from livecommerce.dashboards.metrics import FUNNEL_STEPS, METRICS, SOURCES
from livecommerce.web.i18n import MESSAGES

DOC = Path(__file__).parents[2] / "docs" / "metrics.md"


def test_every_metric_is_defined_in_the_doc_and_named_alike() -> None:
    text = DOC.read_text(encoding="utf-8")
    for metric in METRICS:
        assert f"| `{metric.key}` | {metric.zh} |" in text, metric.key
        assert MESSAGES["zh"][f"metric.{metric.key}"] == metric.zh
        assert MESSAGES["en"][f"metric.{metric.key}"] == metric.en
    for step in FUNNEL_STEPS:
        assert f"`{step}`" in text
    for source in SOURCES:
        assert f"`{source}`" in text
