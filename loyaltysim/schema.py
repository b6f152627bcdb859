"""The scenario schema: every parameter of loyaltysim, documented once.

Each field carries its unit, default and allowed range. The command line, the error messages, the
README's parameter table and the browser UI all read these definitions; nothing else lists them.

Sources for the mechanisms the parameters drive are named in the field descriptions:
[A] seed article 000 (loyalty vs retention, the corner pharmacy), [B] 001 (customer focus, complaints,
relationships), [C] 002 (customer-focused leadership, empowerment limits $100/$250/$500), [D] 003
(customer-centric culture, public-service monopolies, trust vs fear), [E] 004 (Nordstrom/Zappos,
under-staffing and the price trap, regular -> heavy -> super users, word of mouth).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from loyaltysim.codes import MAX_FIRMS
from loyaltysim.mechanisms.advocacy import AdvocacyCoefficients
from loyaltysim.mechanisms.attachment import AttachmentCoefficients
from loyaltysim.mechanisms.avoidance import AvoidanceCoefficients
from loyaltysim.mechanisms.back_of_house import BackOfHouseCoefficients
from loyaltysim.mechanisms.choice import ChoiceCoefficients
from loyaltysim.mechanisms.complaints import ComplaintCoefficients
from loyaltysim.mechanisms.economics import EconomicsCoefficients
from loyaltysim.mechanisms.employees import EmployeeCoefficients
from loyaltysim.mechanisms.encounter import EncounterCoefficients
from loyaltysim.mechanisms.failure_memory import FailureMemoryCoefficients
from loyaltysim.mechanisms.lapse import LapseCoefficients
from loyaltysim.mechanisms.managers import ManagerCoefficients
from loyaltysim.mechanisms.policy import PolicyCoefficients, PolicyName
from loyaltysim.mechanisms.relationships import RelationshipCoefficients
from loyaltysim.mechanisms.turnover import TurnoverCoefficients
from loyaltysim.mechanisms.usage import UsageCoefficients
from loyaltysim.mechanisms.word_of_mouth import Network
from loyaltysim.parameters import (
    Distribution,
    StrictModel,
    dist,
    field_range,
    field_source,
    field_unit,
    param,
    share,
)

__all__ = [
    "Behaviour",
    "Culture",
    "Customers",
    "Distribution",
    "Empowerment",
    "Event",
    "Firm",
    "Market",
    "Network",
    "Process",
    "Scenario",
    "Segment",
    "Segments",
    "Staffing",
    "StrictModel",
    "dist",
    "field_range",
    "field_source",
    "field_unit",
    "param",
    "share",
]

FIRM_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class Market(StrictModel):
    """The town and the run: how long, how many customers, which seed."""

    weeks: int = param(208, "weeks", "Length of the run; one tick is one week.", ge=1, le=5200)
    warmup_weeks: int = param(
        208,
        "weeks",
        "Weeks the market runs before week 1 and that are not reported (weeks -warmup+1..0), so "
        "week 1 of a run is a market in steady state, not a cold start; events count from week 1.",
        source="Law 2015 (warm-up period in simulation output analysis)",
        ge=0,
        le=1040,
    )
    warmup_fast_weeks: int = param(
        104,
        "weeks",
        "The first this many warm-up weeks run the customers' bonds faster (warmup_acceleration); "
        "the rest of the warm-up, at the model's own rates, lets them settle (a warm-up shorter "
        "than this is fast throughout).",
        source="Thornton & Rosenbloom 2005 (accelerated spin-up to steady state)",
        ge=0,
        le=1040,
    )
    warmup_acceleration: float = param(
        5.0,
        "multiplier",
        "Factor on attachment_gain, attachment_decay and network.story_effect (each capped at 1) "
        "in the fast warm-up weeks: attachment there settles over years, a brand's share of "
        "its town over about five (docs/design.md, warm-up); 1 turns the acceleration off.",
        source="Thornton & Rosenbloom 2005 (accelerated spin-up to steady state)",
        ge=1,
        le=20,
    )
    customers: int = param(2000, "customers", "Number of customers living in the town.", ge=1, le=100_000_000)
    town_km: float = param(
        4.0, "km", "Side of the square town; homes are spread uniformly over it.", ge=0.1, le=100
    )
    seed: int = param(
        1,
        "integer",
        "Seed of every random stream (counter-based: same seed, same "
        "customers and the same luck in every scenario).",
        ge=0,
        le=2**62,
    )
    engine: Literal["numba", "reference"] = param(
        "numba",
        "name",
        "Simulation engine: 'numba' (compiled kernels over arrays, the default) or "
        "'reference' (per-agent Python, the readable specification). Both give the same numbers.",
    )
    outside_option: bool = param(
        True,
        "yes/no",
        "Customers may buy outside the town (or go "
        "without). False models a monopoly with no alternative [D].",
    )
    outside_utility: float = param(
        -1.5,
        "utility",
        "Utility of buying outside the town, on the same scale as the firms' utilities.",
        ge=-50,
        le=50,
    )
    attachment_threshold: float = param(
        0.5,
        "attachment 0-1",
        "Attachment at or above which a customer counts as emotionally attached ('high').",
        ge=0,
        le=1,
    )
    patronage_window: int = param(
        8,
        "purchases",
        "Recent purchases over which patronage (share of purchases made at a firm) is measured.",
        ge=1,
        le=32,
    )
    patronage_threshold: float = param(
        0.7,
        "share 0-1",
        "Patronage at or above which a customer counts as a heavy patron ('high').",
        ge=0,
        le=1,
    )
    base_window_weeks: int = param(
        13,
        "weeks",
        "A firm's customer base is everyone whose most "
        "recent purchase, within this many weeks, was there; also the "
        "lag of customer-base retention.",
        ge=1,
        le=52,
    )
    survey_size: int = param(
        200,
        "respondents",
        "NPS survey sample per firm per week, drawn at random from its customer base.",
        ge=0,
        le=1_000_000,
    )
    manager_review_weeks: int = param(
        4, "weeks", "Managers recognise staff and fix processes every this many weeks.", ge=1, le=52
    )
    clv_horizon_weeks: int = param(
        520,
        "weeks",
        "Longest expected customer lifetime the clv "
        "metric counts (its base-retention lifetime is capped here).",
        source="model convention",
        ge=1,
        le=5200,
    )


class Segment(StrictModel):
    """A usage segment: regular, heavy or super users [E]."""

    share: float = param(0.0, "share 0-1", "Share of customers in this segment.", ge=0, le=1)
    purchases_per_week: float = param(
        0.5, "probability per week", "Chance of a purchase occasion in a given week.", ge=0, le=1
    )
    basket_dollars: float = param(25.0, "dollars", "Spend per purchase at price index 1.", ge=0, le=100_000)


class Segments(StrictModel):
    """Regular, heavy and super users [E]; shares must add up to 1."""

    regular: Segment = Field(
        default_factory=lambda: Segment(share=0.6, purchases_per_week=0.35, basket_dollars=20.0)
    )
    heavy: Segment = Field(
        default_factory=lambda: Segment(share=0.3, purchases_per_week=0.7, basket_dollars=30.0)
    )
    super: Segment = Field(
        default_factory=lambda: Segment(share=0.1, purchases_per_week=0.95, basket_dollars=45.0)
    )

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Segments:
        total = self.regular.share + self.heavy.share + self.super.share
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment shares must add up to 1 (regular + heavy + super = {total:g})")
        return self


class Customers(StrictModel):
    """The customer population: segments and per-customer sensitivities (each a distribution)."""

    segments: Segments = Field(default_factory=Segments)
    distance_weight: Distribution = dist(
        2.0, 0.6, "utility per km", "Dislike of travel distance (convenience) [A]."
    )
    price_weight: Distribution = dist(
        0.6, 0.2, "utility per 10% price", "Dislike of prices above the market level [A][E]."
    )
    deal_weight: Distribution = dist(1.0, 0.3, "utility per unit deals", "Pull of specials and deals [A].")
    hours_weight: Distribution = dist(
        1.5, 0.4, "utility per day closed", "Dislike of short opening hours (open 24 h = no loss) [A]."
    )
    selection_weight: Distribution = dist(
        1.0, 0.3, "utility per unit selection", "Pull of a wide selection [A]."
    )
    emotion_weight: Distribution = dist(
        4.0,
        1.0,
        "utility per unit attachment",
        "Pull of emotional attachment: what keeps a customer when a rival is more convenient [A].",
    )
    habit: Distribution = dist(0.8, 0.2, "utility", "Inertia: bonus for the firm chosen last time.")
    complaint_propensity: Distribution = dist(
        0.68,
        0.15,
        "probability",
        "Chance of complaining after a failure at full attachment; "
        "the unattached complain less and leave silently [B].",
        high=1.0,
    )
    patience: Distribution = dist(
        0.7,
        0.15,
        "probability",
        "Chance of staying with a complaint after each hand-off up the chain [C].",
        high=1.0,
    )
    expectation: Distribution = dist(
        0.55,
        0.1,
        "experience 0-1",
        "Experience quality the customer expects; satisfaction is experience against it.",
        high=1.0,
    )
    outside_preference: Distribution = dist(
        0.0,
        2.0,
        "utility",
        "How much the customer likes shops outside the town (other towns, online), added to "
        "market.outside_utility: customers split their buying in different shares - "
        "polygamous loyalty (Ehrenberg 1988; Sharp 2010).",
        low=-10.0,
        high=10.0,
    )
    perception: Distribution = dist(
        0.0,
        0.2,
        "experience 0-1",
        "How the customer perceives a visit: added to its emotional value (some customers are "
        "easy to please, some hard). Zone of tolerance: Zeithaml, Berry & Parasuraman 1993.",
        low=-1.0,
        high=1.0,
    )
    spend_lift: float = param(
        0.5,
        "share per unit attachment",
        "Attached customers spend more: basket x (1 + spend_lift x attachment) [A][E].",
        ge=0,
        le=5,
    )


class Behaviour(
    LapseCoefficients,
    UsageCoefficients,
    BackOfHouseCoefficients,
    FailureMemoryCoefficients,
    AvoidanceCoefficients,
    EconomicsCoefficients,
    PolicyCoefficients,
    TurnoverCoefficients,
    RelationshipCoefficients,
    ManagerCoefficients,
    EmployeeCoefficients,
    AdvocacyCoefficients,
    AttachmentCoefficients,
    ComplaintCoefficients,
    EncounterCoefficients,
    ChoiceCoefficients,
):
    """Coefficients of the model's mechanisms, shared by all firms (scenario section
    ``behaviour``): the union of the coefficient classes each mechanism module declares
    (:mod:`loyaltysim.mechanisms`), so every coefficient is documented once, beside its formula."""


class Empowerment(StrictModel):
    """Empowerment limits: the largest fix each role may grant on the spot [C]."""

    frontline: float = param(100.0, "dollars", "Frontline employees' limit.", ge=0, le=1_000_000)
    supervisor: float = param(250.0, "dollars", "Supervisors' limit.", ge=0, le=1_000_000)
    manager: float = param(500.0, "dollars", "The store manager's limit.", ge=0, le=1_000_000)


class Culture(StrictModel):
    """How the firm treats its employees and customers [A]-[E]."""

    trust: float = share(
        0.5,
        "Trust in employees and customers: 0 = culture of fear that treats "
        "complainers as suspects, 1 = full trust [D].",
    )
    empowerment: Empowerment = Field(default_factory=Empowerment)
    training: float = share(0.5, "Continuous training effort: raises skill and onboarding [C][E].")
    recognition: float = share(0.5, "Recognition and reward of customer-focused behaviour [C].")
    transparency: float = share(0.5, "Open books and open communication with staff [A][D].")
    empathy: float = share(
        0.5,
        "Warmth expected and modelled toward customers: 'looked in the eye, recognised, appreciated' [A][D].",
    )
    listening: float = share(
        0.5, "Share of complaints and frontline feedback that managers hear and act on [B][C]."
    )
    relationship_building: float = share(
        0.3, "Regular contact with customers between visits; slows the decay of attachment [B]."
    )
    leadership_commitment: float = share(0.5, "Commitment from the top to customer focus [C].")


class Staffing(StrictModel):
    """How many people serve, and what they cost."""

    frontline_per_1000: float = param(
        4.0,
        "employees per 1,000 town customers",
        "Frontline staff, scaled to the town's population.",
        ge=0,
        le=1000,
    )
    supervisors_per_frontline: float = param(0.2, "ratio", "Supervisors per frontline employee.", ge=0, le=1)
    back_of_house_per_frontline: float = param(
        0.25,
        "ratio",
        "Back-of-house staff (stock room, kitchen, logistics: the frontline's internal suppliers) "
        "per frontline employee; below behaviour.back_of_house_need the frontline runs short [B].",
        ge=0,
        le=10,
    )
    capacity: float = param(
        150.0,
        "visits per employee per week",
        "Visits one frontline employee serves well; above it the store is overloaded [E].",
        ge=1,
        le=100_000,
    )
    wage_per_week: float = param(500.0, "dollars per employee per week", "Wage cost.", ge=0, le=100_000)
    training_cost: float = param(
        60.0,
        "dollars per employee per week at training 1",
        "Cost of the training programme.",
        ge=0,
        le=100_000,
    )


class Process(StrictModel):
    """Service failures and what they cost [B]."""

    base_failure_rate: float = param(
        0.03,
        "probability per visit",
        "Failure rate (delay, out of stock, defect, wrong order) of untended processes.",
        ge=0,
        le=1,
    )
    failure_floor: float = param(
        0.01, "probability per visit", "Lowest failure rate that fixing causes can reach.", ge=0, le=1
    )
    cost_median: float = param(
        30.0, "dollars", "Median cost to make a failure right (log-normal, heavy-tailed).", ge=0, le=1_000_000
    )
    cost_sigma: float = param(1.2, "log-dollars", "Spread of failure costs (log-normal sigma).", ge=0, le=5)
    handling_frontline: float = param(
        5.0,
        "dollars per complaint",
        "Staff time of a frontline employee handling a complaint.",
        ge=0,
        le=10_000,
    )
    handling_supervisor: float = param(
        15.0, "dollars per complaint", "Staff time of a supervisor handling a complaint.", ge=0, le=10_000
    )
    handling_manager: float = param(
        40.0, "dollars per complaint", "Staff time of the manager handling a complaint.", ge=0, le=10_000
    )
    backlog_cost: float = param(
        5.0,
        "dollars per complaint per week",
        "Cost of carrying an unresolved complaint in the backlog [D].",
        ge=0,
        le=10_000,
    )


class Firm(StrictModel):
    """A store: where it is, what it offers, how it is staffed, its culture and processes."""

    label: str = param("", "text", "Display name (defaults to the firm's key).")
    x_km: float = param(2.0, "km", "East-west position in town.", ge=0, le=100)
    y_km: float = param(2.0, "km", "North-south position in town.", ge=0, le=100)
    open: bool = param(True, "yes/no", "Whether the store trades; an event can open or close it.")
    hours_per_day: float = param(12.0, "hours", "Opening hours per day [A].", ge=0, le=24)
    price_index: float = param(1.0, "ratio to market price", "Price level; 0.9 = 10% cheaper.", ge=0.2, le=5)
    deals: float = param(0.2, "share 0-1", "Intensity of specials and deals [A].", ge=0, le=1)
    selection: float = param(0.5, "share 0-1", "Breadth of the assortment.", ge=0, le=1)
    gross_margin: float = param(
        0.35, "share of revenue", "Margin on sales before staff and service costs.", ge=0, le=1
    )
    known_share: float = param(
        1.0,
        "share 0-1",
        "Share of customers who know the store when the run starts or when it opens.",
        ge=0,
        le=1,
    )
    advertising: float = param(
        0.02,
        "probability per week",
        "Chance an unaware customer hears of the store in a week (external influence).",
        ge=0,
        le=1,
    )
    policy: PolicyName = param(
        "fixed",
        "name",
        "Management policy: how the firm reacts at each review to what it observes (sales, "
        "profit, overload, failures heard) - 'fixed' (never changes: the scenario's parameters "
        "hold), 'demand_staffing' (frontline follows demand within the staff budget), "
        "'cost_cutting' (falling profit: cut training and staff, then prices) or "
        "'customer_focused' (invest in training and staff instead) [C][E].",
    )
    staffing: Staffing = Field(default_factory=Staffing)
    culture: Culture = Field(default_factory=Culture)
    process: Process = Field(default_factory=Process)


Scalar = bool | int | float | str


class Event(StrictModel):
    """A timeline entry: at the start of ``week``, set parameters (dotted keys) to new values."""

    week: int = param(
        1,
        "week",
        "Week at whose start the change happens (the first week is 1; an event never fires before it).",
        ge=1,
        le=5200,
    )
    label: str = param("", "text", "What happens, for plots and reports.")
    set: dict[str, Scalar] = param(
        {}, "key = value", "Parameters to change, as dotted keys: 'firms.supermarket.open' = true."
    )


def _error_at(loc: tuple, value: Any, message: str) -> ValidationError:
    """A validation error at ``loc`` (relative to the model or field being validated) for a check
    that spans several keys, so that a scenario error names the key at fault - and the file that
    set it, when scenarios extend one another - rather than the whole table or the whole file."""
    return ValidationError.from_exception_data(
        "Scenario", [InitErrorDetails(type=PydanticCustomError("value_error", message), loc=loc, input=value)]
    )


class Scenario(StrictModel):
    """A complete loyaltysim scenario: market, customers, network, behaviour, firms, events."""

    name: str = param("", "text", "Scenario name (defaults to the file name).")
    description: str = param("", "text", "What the scenario shows.")
    focus: str = param(
        "",
        "firm key",
        "The firm the scenario is about, compared across scenarios (default: the first firm listed).",
    )
    market: Market = Field(default_factory=Market)
    customers: Customers = Field(default_factory=Customers)
    network: Network = Field(default_factory=Network)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    firms: dict[str, Firm] = Field(
        ..., min_length=1, max_length=MAX_FIRMS, description="The stores in town, keyed by an identifier."
    )
    events: list[Event] = param([], "list", "Timeline of parameter changes.")

    @field_validator("firms")
    @classmethod
    def _firm_ids(cls, firms: dict[str, Firm]) -> dict[str, Firm]:
        for key in firms:
            if not FIRM_ID.match(key):
                raise _error_at(
                    (key,),
                    key,
                    f"firm key {key!r} must be lowercase letters, digits and '_', starting with a letter",
                )
        return firms

    @model_validator(mode="after")
    def _firms_in_town(self) -> Scenario:
        size = self.market.town_km
        for key, firm in self.firms.items():
            if firm.x_km > size or firm.y_km > size:
                axis = "x_km" if firm.x_km > size else "y_km"
                raise _error_at(
                    ("firms", key, axis),
                    getattr(firm, axis),
                    f"firm {key!r} at ({firm.x_km:g}, {firm.y_km:g}) km lies outside "
                    f"the {size:g} km town (market.town_km)",
                )
        if self.focus and self.focus not in self.firms:
            raise ValueError(f"focus = {self.focus!r} is not a firm; firms are {', '.join(self.firms)}")
        return self

    @property
    def focus_firm(self) -> str:
        """Key of the firm this scenario is about."""
        return self.focus or next(iter(self.firms))

    @property
    def firm_ids(self) -> list[str]:
        """Firm keys in alphabetical order; firm index ``f`` in arrays follows this order.

        A canonical order, not the file's: the counter-based draws and the logit's one-draw pick
        are keyed by firm index, so listing the same firms in another order gives the same run.
        """
        return sorted(self.firms)
