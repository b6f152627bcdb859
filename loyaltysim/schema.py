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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

FIRM_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def param(default: Any, unit: str, description: str, **constraints: Any) -> Any:
    """Declare a scenario parameter with its unit, default, range and one-line meaning.

    The unit is stored in the JSON schema (``json_schema_extra["unit"]``) so that the CLI, the
    error messages and the UI can show it next to the value.
    """
    return Field(default, description=description, json_schema_extra={"unit": unit}, **constraints)


class StrictModel(BaseModel):
    """Base for every schema section: unknown keys are errors, assignments are validated.

    A table given in part keeps the field's own defaults for the keys it leaves out: setting only
    ``customers.habit.mean`` keeps the default spread of habit, not the bare class default.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @model_validator(mode="before")
    @classmethod
    def _fill_from_field_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        filled = dict(data)
        for name, info in cls.model_fields.items():
            given = filled.get(name)
            if isinstance(given, dict):
                default = info.get_default(call_default_factory=True)
                if isinstance(default, BaseModel):
                    filled[name] = {**default.model_dump(), **given}
        return filled


class Distribution(StrictModel):
    """A per-customer trait drawn once at creation: normal(mean, sd), clipped to the trait's range."""

    mean: float = param(1.0, "trait unit", "Population mean of the trait.", ge=-100, le=100)
    sd: float = param(0.0, "trait unit", "Population standard deviation (0 = everyone alike).",
                      ge=0, le=100)


def dist(mean: float, sd: float, unit: str, description: str, low: float = 0.0,
         high: float | None = None) -> Any:
    """Declare a per-customer trait: its default distribution, unit, meaning and clip range.

    Draws are clipped to ``[low, high]`` (``high=None``: no upper bound) so that a wide spread
    cannot produce negative weights or probabilities above 1.
    """
    return Field(default_factory=lambda: Distribution(mean=mean, sd=sd), description=description,
                 json_schema_extra={"unit": unit, "clip": [low, high]})


class Market(StrictModel):
    """The town and the run: how long, how many customers, which seed."""

    weeks: int = param(208, "weeks", "Length of the run; one tick is one week.", ge=1, le=5200)
    customers: int = param(2000, "customers", "Number of customers living in the town.",
                           ge=1, le=100_000_000)
    town_km: float = param(4.0, "km", "Side of the square town; homes are spread uniformly over it.",
                           ge=0.1, le=100)
    seed: int = param(1, "integer", "Seed of every random stream (counter-based: same seed, same "
                      "customers and the same luck in every scenario).", ge=0, le=2**62)
    engine: Literal["numba", "reference"] = param(
        "numba", "name", "Simulation engine: 'numba' (compiled kernels over arrays, the default) or "
        "'reference' (per-agent Python, the readable specification). Both give the same numbers.")
    outside_option: bool = param(True, "yes/no", "Customers may buy outside the town (or go "
                                 "without). False models a monopoly with no alternative [D].")
    outside_utility: float = param(-3.0, "utility", "Utility of buying outside the town, on the "
                                   "same scale as the firms' utilities.", ge=-50, le=50)
    attachment_threshold: float = param(0.5, "attachment 0-1", "Attachment at or above which a "
                                        "customer counts as emotionally attached ('high').",
                                        ge=0, le=1)
    patronage_window: int = param(8, "purchases", "Recent purchases over which patronage (share "
                                  "of purchases made at a firm) is measured.", ge=1, le=32)
    patronage_threshold: float = param(0.5, "share 0-1", "Patronage at or above which a "
                                       "customer counts as a heavy patron ('high').", ge=0, le=1)
    base_window_weeks: int = param(13, "weeks", "A firm's customer base is everyone whose most "
                                   "recent purchase, within this many weeks, was there; also the "
                                   "lag of customer-base retention.", ge=1, le=52)
    survey_size: int = param(200, "respondents", "NPS survey sample per firm per week, drawn at "
                             "random from its customer base.", ge=0, le=1_000_000)
    manager_review_weeks: int = param(4, "weeks", "Managers recognise staff and fix processes "
                                      "every this many weeks.", ge=1, le=52)


class Segment(StrictModel):
    """A usage segment: regular, heavy or super users [E]."""

    share: float = param(0.0, "share 0-1", "Share of customers in this segment.", ge=0, le=1)
    purchases_per_week: float = param(0.5, "probability per week", "Chance of a purchase "
                                      "occasion in a given week.", ge=0, le=1)
    basket_dollars: float = param(25.0, "dollars", "Spend per purchase at price index 1.",
                                  ge=0, le=100_000)


class Segments(StrictModel):
    """Regular, heavy and super users [E]; shares must add up to 1."""

    regular: Segment = Field(default_factory=lambda: Segment(
        share=0.6, purchases_per_week=0.35, basket_dollars=20.0))
    heavy: Segment = Field(default_factory=lambda: Segment(
        share=0.3, purchases_per_week=0.7, basket_dollars=30.0))
    super: Segment = Field(default_factory=lambda: Segment(
        share=0.1, purchases_per_week=0.95, basket_dollars=45.0))

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Segments:
        total = self.regular.share + self.heavy.share + self.super.share
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment shares must add up to 1 (regular + heavy + super = {total:g})")
        return self


class Customers(StrictModel):
    """The customer population: segments and per-customer sensitivities (each a distribution)."""

    segments: Segments = Field(default_factory=Segments)
    distance_weight: Distribution = dist(1.0, 0.3, "utility per km",
                                         "Dislike of travel distance (convenience) [A].")
    price_weight: Distribution = dist(0.6, 0.2, "utility per 10% price",
                                      "Dislike of prices above the market level [A][E].")
    deal_weight: Distribution = dist(1.0, 0.3, "utility per unit deals",
                                     "Pull of specials and deals [A].")
    hours_weight: Distribution = dist(1.5, 0.4, "utility per day closed",
                                      "Dislike of short opening hours (open 24 h = no loss) [A].")
    selection_weight: Distribution = dist(1.0, 0.3, "utility per unit selection",
                                          "Pull of a wide selection [A].")
    emotion_weight: Distribution = dist(4.0, 1.0, "utility per unit attachment",
                                        "Pull of emotional attachment: what keeps a customer "
                                        "when a rival is more convenient [A].")
    habit: Distribution = dist(0.8, 0.2, "utility", "Inertia: bonus for the firm chosen last time.")
    complaint_propensity: Distribution = dist(
        0.6, 0.15, "probability", "Chance of complaining after a failure at full attachment; "
        "the unattached complain less and leave silently [B].", high=1.0)
    patience: Distribution = dist(0.7, 0.15, "probability", "Chance of staying with a complaint "
                                  "after each hand-off up the chain [C].", high=1.0)
    expectation: Distribution = dist(0.55, 0.1, "experience 0-1", "Experience quality the "
                                     "customer expects; satisfaction is experience against it.",
                                     high=1.0)
    spend_lift: float = param(0.5, "share per unit attachment", "Attached customers spend more: "
                              "basket x (1 + spend_lift x attachment) [A][E].", ge=0, le=5)


class Network(StrictModel):
    """Social ties and word of mouth [E]."""

    ties_per_customer: int = param(6, "ties", "People whose stories a customer hears.",
                                   ge=0, le=64)
    far_tie_share: float = param(0.1, "share 0-1", "Share of ties to random people anywhere in "
                                 "town rather than neighbours (small world).", ge=0, le=1)
    tell_promoter: float = param(0.15, "probability per tie per week", "Chance a delighted "
                                 "customer's story reaches a given tie.", ge=0, le=1)
    tell_detractor: float = param(0.3, "probability per tie per week", "Chance an angry "
                                  "customer's story reaches a given tie (bad news travels "
                                  "further).", ge=0, le=1)
    social_media: float = param(1.0, "multiplier", "Amplifies the reach of detractors' stories "
                                "[E].", ge=1, le=10)
    story_effect: float = param(0.04, "attachment per story", "Change in a listener's "
                                "attachment to the firm from one heard story.", ge=0, le=1)


class Behaviour(StrictModel):
    """Coefficients of the model's mechanisms, shared by all firms."""

    initial_attachment: float = param(0.2, "attachment 0-1", "Attachment of every customer to "
                                      "every firm at the start (or when a firm opens).",
                                      ge=0, le=1)
    initial_satisfaction: float = param(0.5, "satisfaction 0-1", "Satisfaction with every firm "
                                        "at the start.", ge=0, le=1)
    delight_threshold: float = param(0.8, "experience 0-1", "Emotional value at or above which "
                                     "a visit delights (gives employees meaning, makes stories).",
                                     ge=0, le=1)
    attachment_gain: float = param(0.06, "share per visit", "Share of the gap to the visit's "
                                   "emotional value closed when the visit is better than the "
                                   "current attachment.", ge=0, le=1)
    negativity_bias: float = param(2.0, "multiplier", "Bad experiences move attachment this many "
                                   "times more than good ones.", ge=1, le=10)
    forgiveness: float = param(0.5, "share 0-1", "How much existing attachment shields it from a "
                               "bad experience: loss x (1 - forgiveness x attachment) [A].",
                               ge=0, le=1)
    attachment_decay: float = param(0.01, "share per week", "Decay of attachment to a firm not "
                                    "visited this week, before relationship-building slows it "
                                    "[B].", ge=0, le=1)
    satisfaction_rate: float = param(0.2, "share per visit", "Weight of the latest visit in the "
                                     "satisfaction moving average.", ge=0, le=1)
    recovery_bonus: float = param(0.3, "experience 0-1", "Emotional lift of a problem fixed on "
                                  "the spot (service recovery paradox).", ge=0, le=1)
    handoff_penalty: float = param(0.15, "experience 0-1", "Emotional cost of each hand-off up "
                                   "the chain: customers hate repeating their story [C].",
                                   ge=0, le=1)
    silent_failure_value: float = param(0.1, "experience 0-1", "Emotional value of a failure "
                                        "the customer did not complain about [B].", ge=0, le=1)
    unresolved_value: float = param(0.0, "experience 0-1", "Emotional value of a complaint "
                                    "that was not resolved.", ge=0, le=1)
    problem_size_penalty: float = param(0.0, "experience 0-1", "Bigger problems hurt more: a "
                                        "failure's emotional value and quality drop by this x "
                                        "cost / (cost + problem_size_dollars), whatever its "
                                        "handling (0 = size does not matter).", ge=0, le=1)
    problem_size_dollars: float = param(100.0, "dollars", "Problem cost at which the size "
                                        "penalty is half of problem_size_penalty.",
                                        ge=0.01, le=1_000_000)
    engagement_rate: float = param(0.15, "share per week", "Speed at which employee engagement "
                                   "moves toward what the culture supports.", ge=0, le=1)
    skill_rate: float = param(0.05, "share per week", "Share of the skill gap closed per week "
                              "at full training.", ge=0, le=1)
    hire_engagement: float = param(0.6, "engagement 0-1", "Engagement of a new hire.", ge=0, le=1)
    hire_skill: float = param(0.15, "skill 0-1", "Skill of an untrained new hire.", ge=0, le=1)
    quit_threshold: float = param(0.35, "engagement 0-1", "Below this engagement employees "
                                  "start to quit.", ge=0, le=1)
    quit_rate: float = param(0.15, "probability per week", "Weekly quit chance at zero "
                             "engagement (falls linearly to 0 at the threshold).", ge=0, le=1)
    base_turnover: float = param(0.004, "probability per week", "Quits for reasons unrelated "
                                 "to work.", ge=0, le=1)
    overload_failure: float = param(1.5, "multiplier per unit overload", "Extra failure rate per "
                                    "unit of overload above capacity [E].", ge=0, le=20)
    fix_efficacy: float = param(0.3, "share per review", "Share of the gap to the failure floor "
                                "closed per review by a fully listening, committed manager who "
                                "heard complaints [B][C].", ge=0, le=1)
    failure_drift: float = param(0.05, "share per review", "Share of the gap back to the base "
                                 "failure rate that reopens per review when nobody fixes causes.",
                                 ge=0, le=1)
    backlog_clear_share: float = param(0.05, "share per week", "Share of the unresolved-complaint "
                                       "backlog cleared per week at full listening [D].",
                                       ge=0, le=1)


class Empowerment(StrictModel):
    """Empowerment limits: the largest fix each role may grant on the spot [C]."""

    frontline: float = param(100.0, "dollars", "Frontline employees' limit.", ge=0, le=1_000_000)
    supervisor: float = param(250.0, "dollars", "Supervisors' limit.", ge=0, le=1_000_000)
    manager: float = param(500.0, "dollars", "The store manager's limit.", ge=0, le=1_000_000)


def share(default: float, description: str) -> Any:
    """A culture lever on a 0-1 scale."""
    return param(default, "share 0-1", description, ge=0, le=1)


class Culture(StrictModel):
    """How the firm treats its employees and customers [A]-[E]."""

    trust: float = share(0.5, "Trust in employees and customers: 0 = culture of fear that treats "
                         "complainers as suspects, 1 = full trust [D].")
    empowerment: Empowerment = Field(default_factory=Empowerment)
    training: float = share(0.5, "Continuous training effort: raises skill and onboarding [C][E].")
    recognition: float = share(0.5, "Recognition and reward of customer-focused behaviour [C].")
    transparency: float = share(0.5, "Open books and open communication with staff [A][D].")
    empathy: float = share(0.5, "Warmth expected and modelled toward customers: 'looked in the "
                           "eye, recognised, appreciated' [A][D].")
    listening: float = share(0.5, "Share of complaints and frontline feedback that managers hear "
                             "and act on [B][C].")
    relationship_building: float = share(0.3, "Regular contact with customers between visits; "
                                         "slows the decay of attachment [B].")
    leadership_commitment: float = share(0.5, "Commitment from the top to customer focus [C].")


class Staffing(StrictModel):
    """How many people serve, and what they cost."""

    frontline_per_1000: float = param(4.0, "employees per 1,000 town customers", "Frontline "
                                      "staff, scaled to the town's population.", ge=0, le=1000)
    supervisors_per_frontline: float = param(0.2, "ratio", "Supervisors per frontline "
                                             "employee.", ge=0, le=1)
    capacity: float = param(150.0, "visits per employee per week", "Visits one frontline "
                            "employee serves well; above it the store is overloaded [E].",
                            ge=1, le=100_000)
    wage_per_week: float = param(500.0, "dollars per employee per week", "Wage cost.",
                                 ge=0, le=100_000)
    training_cost: float = param(60.0, "dollars per employee per week at training 1",
                                 "Cost of the training programme.", ge=0, le=100_000)


class Process(StrictModel):
    """Service failures and what they cost [B]."""

    base_failure_rate: float = param(0.05, "probability per visit", "Failure rate (delay, out "
                                     "of stock, defect, wrong order) of untended processes.",
                                     ge=0, le=1)
    failure_floor: float = param(0.01, "probability per visit", "Lowest failure rate that "
                                 "fixing causes can reach.", ge=0, le=1)
    cost_median: float = param(30.0, "dollars", "Median cost to make a failure right "
                               "(log-normal, heavy-tailed).", ge=0, le=1_000_000)
    cost_sigma: float = param(1.2, "log-dollars", "Spread of failure costs (log-normal sigma).",
                              ge=0, le=5)
    handling_frontline: float = param(5.0, "dollars per complaint", "Staff time of a "
                                      "frontline employee handling a complaint.", ge=0, le=10_000)
    handling_supervisor: float = param(15.0, "dollars per complaint", "Staff time of a "
                                       "supervisor handling a complaint.", ge=0, le=10_000)
    handling_manager: float = param(40.0, "dollars per complaint", "Staff time of the manager "
                                    "handling a complaint.", ge=0, le=10_000)
    backlog_cost: float = param(5.0, "dollars per complaint per week", "Cost of carrying an "
                                "unresolved complaint in the backlog [D].", ge=0, le=10_000)


class Firm(StrictModel):
    """A store: where it is, what it offers, how it is staffed, its culture and processes."""

    label: str = param("", "text", "Display name (defaults to the firm's key).")
    x_km: float = param(2.0, "km", "East-west position in town.", ge=0, le=100)
    y_km: float = param(2.0, "km", "North-south position in town.", ge=0, le=100)
    open: bool = param(True, "yes/no", "Whether the store trades; an event can open or close it.")
    hours_per_day: float = param(12.0, "hours", "Opening hours per day [A].", ge=0, le=24)
    price_index: float = param(1.0, "ratio to market price", "Price level; 0.9 = 10% cheaper.",
                               ge=0.2, le=5)
    deals: float = param(0.2, "share 0-1", "Intensity of specials and deals [A].", ge=0, le=1)
    selection: float = param(0.5, "share 0-1", "Breadth of the assortment.", ge=0, le=1)
    gross_margin: float = param(0.35, "share of revenue", "Margin on sales before staff and "
                                "service costs.", ge=0, le=1)
    known_share: float = param(1.0, "share 0-1", "Share of customers who know the store when "
                               "the run starts or when it opens.", ge=0, le=1)
    advertising: float = param(0.02, "probability per week", "Chance an unaware customer hears "
                               "of the store in a week (external influence).", ge=0, le=1)
    staffing: Staffing = Field(default_factory=Staffing)
    culture: Culture = Field(default_factory=Culture)
    process: Process = Field(default_factory=Process)


Scalar = bool | int | float | str


class Event(StrictModel):
    """A timeline entry: at the start of ``week``, set parameters (dotted keys) to new values."""

    week: int = param(1, "week", "Week at whose start the change happens (the first week is "
                      "1; an event never fires before it).", ge=1, le=5200)
    label: str = param("", "text", "What happens, for plots and reports.")
    set: dict[str, Scalar] = param({}, "key = value", "Parameters to change, as dotted keys: "
                                   "'firms.supermarket.open' = true.")


def _error_at(loc: tuple, value: Any, message: str) -> ValidationError:
    """A validation error at ``loc`` (relative to the model or field being validated) for a check
    that spans several keys, so that a scenario error names the key at fault - and the file that
    set it, when scenarios extend one another - rather than the whole table or the whole file."""
    return ValidationError.from_exception_data("Scenario", [InitErrorDetails(
        type=PydanticCustomError("value_error", message), loc=loc, input=value)])


class Scenario(StrictModel):
    """A complete loyaltysim scenario: market, customers, network, behaviour, firms, events."""

    name: str = param("", "text", "Scenario name (defaults to the file name).")
    description: str = param("", "text", "What the scenario shows.")
    focus: str = param("", "firm key", "The firm the scenario is about, compared across "
                       "scenarios (default: the first firm listed).")
    market: Market = Field(default_factory=Market)
    customers: Customers = Field(default_factory=Customers)
    network: Network = Field(default_factory=Network)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    firms: dict[str, Firm] = Field(..., min_length=1, max_length=32,
                                   description="The stores in town, keyed by an identifier.")
    events: list[Event] = param([], "list", "Timeline of parameter changes.")

    @field_validator("firms")
    @classmethod
    def _firm_ids(cls, firms: dict[str, Firm]) -> dict[str, Firm]:
        for key in firms:
            if not FIRM_ID.match(key):
                raise _error_at((key,), key, f"firm key {key!r} must be lowercase letters, "
                                "digits and '_', starting with a letter")
        return firms

    @model_validator(mode="after")
    def _firms_in_town(self) -> Scenario:
        size = self.market.town_km
        for key, firm in self.firms.items():
            if firm.x_km > size or firm.y_km > size:
                axis = "x_km" if firm.x_km > size else "y_km"
                raise _error_at(("firms", key, axis), getattr(firm, axis),
                                f"firm {key!r} at ({firm.x_km:g}, {firm.y_km:g}) km lies outside "
                                f"the {size:g} km town (market.town_km)")
        if self.focus and self.focus not in self.firms:
            raise ValueError(f"focus = {self.focus!r} is not a firm; firms are "
                             f"{', '.join(self.firms)}")
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


def field_range(info: FieldInfo) -> tuple[float | None, float | None]:
    """The (``ge``, ``le``) bounds of a schema field, None where the schema sets none."""
    low = high = None
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            low = meta.ge
        if getattr(meta, "le", None) is not None:
            high = meta.le
    return low, high


def field_unit(info: FieldInfo) -> str:
    """The unit a schema field stores in its ``json_schema_extra`` ('' if none)."""
    extra = info.json_schema_extra
    return str(extra.get("unit", "")) if isinstance(extra, dict) else ""
