"""Profile arithmetic on hand-made sequences: decay, caps, price bands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from livecommerce.models import UserProfile
from livecommerce.profiles.scoring import MAX_INTERESTS, Decayed, as_of, price_band
from livecommerce.profiles.service import ProductFact, apply_product_fact

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_an_interest_halves_every_fourteen_days_and_adds_up() -> None:
    state = Decayed({"interests": {}}, None)
    state.add("interests", "shoes", 4.0, T0, MAX_INTERESTS)  # a purchase
    state.add("interests", "shoes", 1.0, T0 + timedelta(days=14), MAX_INTERESTS)  # a view
    # 4 halved once, plus the new view.
    assert state.rounded("interests") == {"shoes": 3.0}
    assert state.scored_at == T0 + timedelta(days=14)
    # An older event arriving late counts already decayed.
    state.add("interests", "hats", 2.0, T0, MAX_INTERESTS)
    assert state.rounded("interests") == {"shoes": 3.0, "hats": 1.0}
    # Read 28 days after the last event: a quarter left.
    later = T0 + timedelta(days=42)
    assert as_of(state.maps["interests"], state.scored_at, later) == {"shoes": 0.75, "hats": 0.25}


def test_only_the_strongest_interests_are_kept() -> None:
    state = Decayed({"interests": {}}, None)
    for index in range(MAX_INTERESTS + 5):
        state.add("interests", f"c{index:02d}", float(index + 1), T0, MAX_INTERESTS)
    kept = state.rounded("interests")
    assert len(kept) == MAX_INTERESTS
    assert min(kept.values()) == 6.0  # the five weakest (1..5) were dropped
    assert "c00" not in kept
    assert "c05" in kept


@pytest.mark.parametrize(
    ("cents", "band"),
    [
        (0, "under_50"),
        (4_999, "under_50"),
        (5_000, "50_200"),
        (99_999, "200_1000"),
        (10**6, "over_1000"),
    ],
)
def test_price_bands(cents: int, band: str) -> None:
    assert price_band(cents) == band


def test_a_purchase_feeds_recency_frequency_money_and_the_price_band() -> None:
    profile = UserProfile(
        user_id="u",
        interests={},
        tags={},
        hosts={},
        price_bands={},
        hours=[0] * 24,
        sources={},
        orders_count=0,
        spent_cents=0,
        events_count=0,
    )
    state = Decayed({"interests": {}}, None)
    apply_product_fact(profile, state, ProductFact("u", "p", "tea", "pv", T0))
    apply_product_fact(
        profile, state, ProductFact("u", "p", "tea", "buy", T0 + timedelta(hours=1), 12_900, 25_800)
    )
    assert (profile.orders_count, profile.spent_cents) == (1, 25_800)
    assert profile.last_order_at == T0 + timedelta(hours=1)
    assert profile.price_bands == {"50_200": 1}
    assert (profile.hours[12], profile.hours[13], profile.events_count) == (1, 1, 2)
    assert state.rounded("interests") == {"tea": pytest.approx(1.0 * 0.5 ** (1 / 336) + 4.0)}
