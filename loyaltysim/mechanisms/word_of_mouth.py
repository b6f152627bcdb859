"""Word of mouth: customers pull last week's stories from their social ties [E].

A delighted customer tells a promoter story, one who was failed and not put right (unresolved or
silent) a detractor story; each reaches a given tie with a chance, detractors further (bad news
travels; social media amplifies it [E]). A story makes the listener aware of the firm and moves
their attachment up or down. Ties are a spatial small world (:mod:`loyaltysim.network`). Also the
firm's advertising, which makes unaware customers aware (external influence, Bass 1969).
"""

from __future__ import annotations

from loyaltysim.parameters import StrictModel, param


class Network(StrictModel):
    """Social ties and word of mouth [E] (scenario section ``network``)."""

    ties_per_customer: int = param(
        6, "ties", "People whose stories a customer hears.", source="[E]", ge=0, le=64
    )
    far_tie_share: float = param(
        0.1,
        "share 0-1",
        "Share of ties to random people anywhere in town rather than neighbours (small world).",
        source="Watts & Strogatz 1998",
        ge=0,
        le=1,
    )
    tell_promoter: float = param(
        0.15,
        "probability per tie per week",
        "Chance a delighted customer's story reaches a given tie.",
        source="[E]",
        ge=0,
        le=1,
    )
    tell_detractor: float = param(
        0.3,
        "probability per tie per week",
        "Chance an angry customer's story reaches a given tie (bad news travels further).",
        source="[E]; TARP",
        ge=0,
        le=1,
    )
    social_media: float = param(
        1.0, "multiplier", "Amplifies the reach of detractors' stories [E].", source="[E]", ge=1, le=10
    )
    story_effect: float = param(
        0.04,
        "attachment per story",
        "Change in a listener's attachment to the firm from one heard story.",
        source="[E]",
        ge=0,
        le=1,
    )


#: Positions in :func:`coefficients`' tuple.
TELL_PROMOTER, DETRACTOR_REACH, STORY_EFFECT = range(3)


def coefficients(network: Network) -> tuple[float, float, float]:
    """What a listener's side of word of mouth reads: (promoter reach, detractor reach =
    tell_detractor x social_media capped at 1, story effect)."""
    return (
        float(network.tell_promoter),
        float(detractor_reach(network.tell_detractor, network.social_media)),
        float(network.story_effect),
    )


def detractor_reach(tell_detractor: float, social_media: float) -> float:
    """Chance a detractor story reaches a tie: tell_detractor amplified by social media, at most 1."""
    return min(1.0, tell_detractor * social_media)


def story_change(attachment: float, promoter: bool, effect: float) -> float:
    """Change of a listener's attachment from one story: up by ``effect`` x (1 - attachment) for
    a promoter's, down by ``effect`` x attachment for a detractor's."""
    return effect * (1.0 - attachment) if promoter else -effect * attachment
