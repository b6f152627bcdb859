"""The numba engine: every customer at once in compiled kernels, staff as arrays.

Per week it packs the firms' current parameters into small float64 matrices, computes the tick's
stream keys, then runs :func:`~loyaltysim.kernels.choice.choose` and
:func:`~loyaltysim.kernels.experience.live_week` over the shared customer arrays in place (only
the stories are double-buffered), the NPS survey, and the vectorised staff step.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numba
import numpy as np

from loyaltysim import rng
from loyaltysim.engines.base import WeekTallies
from loyaltysim.engines.twins import TwinChooser
from loyaltysim.kernels import CHUNK
from loyaltysim.kernels import choice as kc
from loyaltysim.kernels import experience as kx
from loyaltysim.kernels import rng as krng
from loyaltysim.kernels.staff import vacate_posts
from loyaltysim.mechanisms.advocacy import survey_probability
from loyaltysim.mechanisms.attachment import decay_rate
from loyaltysim.mechanisms.back_of_house import stockout_chance, supplied_warmth
from loyaltysim.mechanisms.lapse import GENERATIONS
from loyaltysim.population import TRAITS
from loyaltysim.rng import KeyLayout, Stream
from loyaltysim.staff import step_staff
from loyaltysim.state import StaffArrays, WeekVisits
from loyaltysim.tallies import COUNTS

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel


#: Survey candidates kept per chunk of customers (see :func:`loyaltysim.kernels.experience.survey`).
SURVEY_CANDIDATES = 128

#: Towns with at most this many firms keep each customer's convenience utility of each firm between
#: weeks (8 bytes per customer and firm: 24 with three firms, 64 with eight); towns with more work it
#: out every week in the choice kernel instead (same numbers, a slower choice, no such array).
KEEP_CONVENIENCE_UP_TO = 8

#: Key groups passed to the experience kernel as its fixed key vector, in the order of ``kx.K_*``.
FIXED_KEYS = (
    "server",
    "failure",
    "cost",
    "complain",
    "supervisor",
    "ladder",
    "patience",
    "usage",
    "lapse",
    "newcomer_segment",
)


class NumbaEngine:
    """Compiled kernels over struct-of-arrays state (see the module docstring)."""

    name = "numba"

    def __init__(self, model: LoyaltyModel):
        self.model = model
        n = model.n_customers
        n_chunks = (n + CHUNK - 1) // CHUNK
        self.choice = np.full(n, -1, dtype=np.int8)
        self.score = np.full(n, -1, dtype=np.int8)
        self.outcome = np.zeros(n, dtype=np.int8)
        self.spend = np.zeros(n, dtype=np.float32)
        self.problem_cost = np.zeros(n, dtype=np.float32)
        self.story_firm = np.full(n, -1, dtype=np.int8)  # next week's stories
        self.story_sign = np.zeros(n, dtype=np.int8)
        self.told = np.zeros((n + 7) // 8, dtype=np.uint8)  # who told a story last week
        self.told_next = np.zeros_like(self.told)  # ... this week (written by live_week)
        self.twins = TwinChooser(n)
        self._keys_of: tuple[int, int] | None = None
        self._keys_cache: dict[str, np.ndarray] = {}
        self.parallel = False  # this week's twin (see loyaltysim.engines.twins)
        kx.pack_stories(model.state.story_firm, self.told)
        self.choice_counts = np.zeros((n_chunks, model.n_firms + 1), dtype=np.int64)
        self.tallies = np.zeros((n_chunks, model.n_firms, len(COUNTS)))
        # Each customer's convenience utility of each firm (none kept in towns of many firms: the
        # choice kernel works it out), and the firm rows it was made from.
        kept = model.n_firms <= KEEP_CONVENIENCE_UP_TO
        self.convenience = np.zeros((n if kept else 0, model.n_firms))
        self._convenience_of: np.ndarray | None = None
        self._convenience_k: tuple[float, ...] = ()  # the choice coefficients it was made with
        # Upper bounds on next week's survey rates (0: no candidates, survey scans every chunk).
        self.survey_guess = np.zeros(model.n_firms)
        self.candidates = np.zeros((n_chunks, SURVEY_CANDIDATES), dtype=np.int32)
        self.n_candidates = np.zeros(n_chunks, dtype=np.int64)
        pop = model.population
        self.traits = {name: pop[name] for name in TRAITS}  # every per-customer trait
        self.places = (
            pop["x"],
            pop["y"],
            *(
                self.traits[name]
                for name in (
                    "distance_weight",
                    "price_weight",
                    "deal_weight",
                    "hours_weight",
                    "selection_weight",
                )
            ),
        )
        self._no_base = np.zeros(0, dtype=np.int8)
        # A person's dropout draw is keyed by the row's generation (tick), not the week: one key
        # per generation, once (mechanisms/lapse.py).
        self.person_keys = np.array(
            [rng.stream_key(model.seed, Stream.LAPSE, g, 1) for g in range(GENERATIONS)], dtype=np.uint64
        )
        nf = model.n_firms
        ties_of = np.diff(model.network.indptr)
        self.degree = int(ties_of.max()) if model.n_customers else 0
        if not (ties_of == self.degree).all():
            raise ValueError(
                "the numba engine needs every customer to have the same number of "
                "ties (as loyaltysim.network.build_network makes them)"
            )
        self.layout = KeyLayout(
            {
                "need": (Stream.NEED, [0]),
                "choice": (Stream.CHOICE, [0]),
                "server": (Stream.SERVER, [0]),
                "failure": (Stream.FAILURE, [0]),
                "cost": (Stream.COST, [0, 1]),
                "complain": (Stream.COMPLAIN, [0]),
                "supervisor": (Stream.SUPERVISOR, [0]),
                "ladder": (Stream.LADDER, [0, 1, 2]),
                "patience": (Stream.PATIENCE, [0, 1, 2]),
                "usage": (Stream.USAGE, [0]),
                "lapse": (Stream.LAPSE, [0]),
                "newcomer_segment": (Stream.NEWCOMER, [0]),
                "newcomer": (Stream.NEWCOMER, [1 + f for f in range(nf)]),
                "wom": (Stream.WOM, list(range(self.degree))),
                "advert": (Stream.AWARE_ADVERT, list(range(nf))),
                "advocacy": (Stream.ADVOCACY, list(range(nf))),
                "survey": (Stream.SURVEY, list(range(nf))),
                "quit": (Stream.QUIT, [0]),
            }
        )

    def _keys(self, seed: int, week: int) -> dict[str, np.ndarray]:
        """The tick's stream keys by group: ``self.layout.keys`` computed by a compiled loop
        (once per week: the staff step reuses the customers' keys)."""
        if self._keys_of == (seed, week):
            return self._keys_cache
        layout = self.layout
        every = krng.stream_keys(
            np.uint64(rng.seed_key(seed)), layout.streams, np.uint64(rng.tick_term(week)), layout.subs
        )
        self._keys_of = (seed, week)
        self._keys_cache = {name: every[part] for name, part in layout.slices.items()}
        return self._keys_cache

    # -- per-week packing --------------------------------------------------------------------
    def _choice_firms(self) -> np.ndarray:
        m = self.model
        table = np.zeros((m.n_firms, kc.N_CHOICE_PARAMS))
        for firm in m.firms:
            p = firm.params
            table[firm.index] = (
                float(p.open),
                p.x_km,
                p.y_km,
                p.price_index - 1.0,
                p.deals,
                1.0 - p.hours_per_day / 24.0,
                p.selection,
            )
        return table

    def _refresh_convenience(self, firms: np.ndarray) -> None:
        """Refill the convenience column of every firm whose position, prices, deals, hours or
        selection changed since it was computed (all of them the first week, or when the choice
        coefficients changed)."""
        if not len(self.convenience):
            return  # not kept: the choice kernel works it out
        rows = firms[:, kc.FIRM_X :]
        if self._convenience_of is None or self._convenience_k != self.model.k.choice:
            changed = np.arange(len(firms))
        else:
            changed = np.flatnonzero((rows != self._convenience_of).any(axis=1))
        if changed.size:
            kc.fill_convenience(
                self.places,
                firms,
                changed.astype(np.int64),
                self.convenience,
                self.model.k.choice,
                parallel=self.parallel,
            )
            self._convenience_of = rows.copy()
            self._convenience_k = self.model.k.choice

    def _experience_firms(self) -> np.ndarray:
        m = self.model
        decay = m.spec.behaviour.attachment_decay
        table = np.zeros((m.n_firms, kx.N_FIRM_PARAMS))
        for firm in m.firms:
            p, culture = firm.params, firm.params.culture
            row = table[firm.index]
            row[kx.EMPATHY], row[kx.OVERLOAD] = culture.empathy, firm.overload
            row[kx.FAILURE_RATE], row[kx.PRICE_INDEX] = firm.failure_rate, p.price_index
            row[kx.COST_MEDIAN], row[kx.COST_SIGMA] = p.process.cost_median, p.process.cost_sigma
            row[kx.TRUST] = culture.trust
            row[kx.LIMIT_FRONTLINE] = culture.empowerment.frontline
            row[kx.LIMIT_SUPERVISOR] = culture.empowerment.supervisor
            row[kx.LIMIT_MANAGER] = culture.empowerment.manager
            row[kx.COMMITMENT] = culture.leadership_commitment
            row[kx.DECAY] = decay_rate(decay, culture.relationship_building)
            row[kx.ADVERTISING], row[kx.OPEN] = p.advertising, float(p.open)
            row[kx.LISTENING] = culture.listening
            row[kx.KNOWN_SHARE] = p.known_share
            row[kx.STOCKOUT] = stockout_chance(firm.supply_shortfall, m.k.back_of_house)
            row[kx.SUPPLIED_WARMTH] = supplied_warmth(firm.supply_shortfall, m.k.back_of_house)
        return table

    def _market(self) -> tuple[float, float, float]:
        """The ``kx.SPEND_LIFT``, ``kx.ATTACHMENT_THRESHOLD``, ``kx.PATRONAGE_THRESHOLD`` tuple."""
        spec = self.model.spec
        return (
            float(spec.customers.spend_lift),
            float(spec.market.attachment_threshold),
            float(spec.market.patronage_threshold),
        )

    def _staff_tables(self):
        m = self.model
        n_front = np.array([f.staff.n_frontline for f in m.firms], dtype=np.int64)
        n_sup = np.array([f.staff.n_supervisors for f in m.firms], dtype=np.int64)
        front_eng = np.zeros((m.n_firms, max(1, n_front.max())))
        front_skill = np.zeros_like(front_eng)
        front_person = np.zeros(front_eng.shape, dtype=np.int32)
        sup_eng = np.zeros((m.n_firms, max(1, n_sup.max())))
        for firm in m.firms:
            staff, k = firm.staff, firm.staff.n_frontline
            # An empty post's visits are served by its colleague (mechanisms.turnover): the
            # post's column holds the serving holder (``firm.serving``: itself when filled).
            serving = firm.serving
            front_eng[firm.index, :k] = staff.engagement[serving]
            front_skill[firm.index, :k] = staff.skill[serving]
            front_person[firm.index, :k] = staff.person[serving]
            sup_eng[firm.index, : staff.n_supervisors] = staff.engagement[k:]
        return n_front, front_eng, front_skill, front_person, n_sup, sup_eng

    # -- the week ------------------------------------------------------------------------------
    def customers_week(self) -> WeekTallies:
        """Choice kernel, visit reduction, experience kernel, survey kernel, slot reduction."""
        m = self.model
        seed, week, nf = m.seed, m.week, m.n_firms
        st, t, k = m.state, self.traits, m.k
        self.parallel = self.twins.pick()
        started = time.perf_counter()
        market = m.spec.market
        keys = self._keys(seed, week)
        firms = self._choice_firms()
        self._refresh_convenience(firms)
        kc.choose(
            self.convenience,
            self.places,
            st.segment,
            m.segment_need,
            t["emotion_weight"],
            t["habit"],
            st.attachment,
            st.satisfaction,
            st.aware,
            st.last_firm,
            firms,
            market.outside_option,
            market.outside_utility,
            t["outside_preference"],
            keys["need"][0],
            keys["choice"][0],
            self.choice,
            self.choice_counts,
            m.k.choice,
            st.referral_firm,
            m.k.economics,
            st.grudge,
            m.k.avoidance,
            parallel=self.parallel,
        )
        per_firm = self.choice_counts.sum(axis=0)
        m.set_visits(per_firm)
        ring = m.base_ring
        base_then = ring.then(week)
        n_front, front_eng, front_skill, front_person, n_sup, sup_eng = self._staff_tables()
        # One layer per stripe of chunks: one stripe per thread (see kx.live_week).
        stripes = numba.get_num_threads() if self.parallel else 1
        slot_shape = (stripes, nf, front_eng.shape[1])
        slot_encounters = np.zeros(slot_shape, dtype=np.int32)  # a week's visits fit in int32
        slot_delights = np.zeros(slot_shape, dtype=np.int32)
        kx.live_week(
            week,
            self.choice,
            m.network.indices,
            kx.People(
                m.segment_basket,
                t["expectation"],
                t["complaint_propensity"],
                t["patience"],
                t["perception"],
                m.lapse_table,
            ),
            st.arrays(),
            kx.Firms(self._experience_firms(), n_front, front_eng, front_skill, front_person, n_sup, sup_eng),
            kx.Coefficients(
                k.encounter,
                k.relationships,
                k.complaints,
                k.attachment,
                k.word_of_mouth,
                k.advocacy,
                k.usage,
                k.lapse,
                self._market(),
                k.failure_memory,
                k.economics,
                k.avoidance,
            ),
            kx.Keys(
                np.concatenate([keys[g] for g in FIXED_KEYS]),
                keys["wom"],
                keys["advert"],
                keys["advocacy"],
                keys["survey"],
                keys["newcomer"],
                self.person_keys,
            ),
            kx.Base(
                market.base_window_weeks,
                ring.now(week),
                base_then if base_then is not None else self._no_base,
                base_then is not None,
            ),
            kx.Survey(self.survey_guess, self.candidates, self.n_candidates),
            kx.Buffers(
                self.told,
                self.told_next,
                self.story_firm,
                self.story_sign,
                self.score,
                self.outcome,
                self.spend,
                self.problem_cost,
                self.tallies,
            ),
            slot_encounters,
            slot_delights,
            parallel=self.parallel,
        )
        base = self.tallies[:, :, COUNTS.index("base")].sum(axis=0)
        p_survey = np.array([survey_probability(market.survey_size, int(b)) for b in base])
        kx.survey(
            ring.now(week),
            self.score,
            p_survey,
            keys["survey"],
            self.tallies,
            self.candidates,
            self.n_candidates,
            bool(np.any(p_survey > self.survey_guess)),
            parallel=self.parallel,
        )
        self._guess_survey(p_survey)
        encounters = slot_encounters.sum(axis=0, dtype=np.float64)
        delights = slot_delights.sum(axis=0, dtype=np.float64)
        self.twins.record(self.parallel, time.perf_counter() - started)
        return WeekTallies(
            self.tallies.sum(axis=0),
            int(per_firm.sum()),
            base_then is not None,
            [encounters[f, : n_front[f]] for f in range(nf)],
            [delights[f, : n_front[f]] for f in range(nf)],
        )

    def _guess_survey(self, p_survey: np.ndarray) -> None:
        """Next week's upper bounds on the survey rates: twice this week's (the rate only
        exceeds it if a base halves in a week; survey then scans everybody, so results never
        depend on the guess). A rate that would overflow the candidate rows gets 0 (no
        candidates: scan)."""
        guess = np.minimum(1.0, 2.0 * p_survey)
        self.survey_guess = np.where(guess * CHUNK <= SURVEY_CANDIDATES / 2, guess, 0.0)

    def week_visits(self) -> WeekVisits:
        """The per-customer record of the week just lived (arrays reused next week)."""
        return WeekVisits(self.choice, self.spend, self.outcome, self.problem_cost)

    def staff_week(self) -> None:
        """The vectorised staff step (:func:`loyaltysim.staff.step_staff`) for every firm."""
        m = self.model
        quit_key = int(self._keys(m.seed, m.week)["quit"][0])
        for firm in m.firms:
            step_staff(firm, m.k.employees, m.seed, m.week, quit_key)

    def vacate_posts(self, staff: StaffArrays, wait: int) -> tuple[int, np.ndarray]:
        """The compiled twin of :func:`loyaltysim.mechanisms.turnover.vacate_posts`."""
        hired = np.empty(len(staff), dtype=np.int64)
        quits, n = vacate_posts(
            staff.onboarding,
            staff.vacant,
            staff.quitting,
            staff.person,
            staff.tenure,
            staff.role,
            staff.n_frontline,
            wait,
            hired,
        )
        return quits, hired[:n]

    def commit(self) -> None:
        """Swap the story buffers: this week's stories are told next week."""
        st = self.model.state
        st.story_firm, self.story_firm = self.story_firm, st.story_firm
        st.story_sign, self.story_sign = self.story_sign, st.story_sign
        self.told, self.told_next = self.told_next, self.told
