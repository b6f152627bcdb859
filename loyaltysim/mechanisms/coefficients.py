"""Every mechanism's coefficients packed for its formulas, in one object per week.

The reference engine reads ``model.k.<mechanism>[INDEX]`` through the formulas; the numba engine
passes the same tuples to its kernels (tuples of floats live in registers, and numba reads a
constant index of one at no cost). Repacked every week (:meth:`LoyaltyModel.step`), so a changed
scenario - an event, the UI - takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from loyaltysim.mechanisms import (
    advocacy,
    attachment,
    avoidance,
    back_of_house,
    choice,
    complaints,
    economics,
    employees,
    encounter,
    failure_memory,
    lapse,
    managers,
    policy,
    relationships,
    turnover,
    usage,
    word_of_mouth,
)
from loyaltysim.parameters import pack

if TYPE_CHECKING:
    from loyaltysim.schema import Scenario


@dataclass(frozen=True)
class Coefficients:
    """The packed coefficient tuple of each mechanism (see each module's index constants)."""

    choice: tuple[float, ...]
    encounter: tuple[float, ...]
    relationships: tuple[float, ...]
    complaints: tuple[float, ...]
    attachment: tuple[float, ...]
    word_of_mouth: tuple[float, ...]
    advocacy: tuple[float, ...]
    employees: tuple[float, ...]
    managers: tuple[float, ...]
    usage: tuple[float, ...]
    lapse: tuple[float, ...]
    failure_memory: tuple[float, ...]
    avoidance: tuple[float, ...]
    back_of_house: tuple[float, ...]
    economics: tuple[float, ...]
    turnover: tuple[float, ...]
    policy: tuple[float, ...]

    @classmethod
    def of(cls, spec: Scenario) -> Coefficients:
        """Pack the coefficients of scenario ``spec``."""
        beh = spec.behaviour
        return cls(
            choice=pack(beh, choice.ChoiceCoefficients),
            encounter=pack(beh, encounter.EncounterCoefficients),
            relationships=pack(beh, relationships.RelationshipCoefficients),
            complaints=pack(beh, complaints.ComplaintCoefficients),
            attachment=pack(beh, attachment.AttachmentCoefficients),
            word_of_mouth=word_of_mouth.coefficients(spec.network),
            advocacy=pack(beh, advocacy.AdvocacyCoefficients),
            employees=pack(beh, employees.EmployeeCoefficients),
            managers=pack(beh, managers.ManagerCoefficients),
            usage=usage.coefficients(
                beh, spec.customers.segments.regular.share, spec.customers.segments.heavy.share
            ),
            lapse=pack(beh, lapse.LapseCoefficients),
            failure_memory=pack(beh, failure_memory.FailureMemoryCoefficients),
            avoidance=pack(beh, avoidance.AvoidanceCoefficients),
            back_of_house=pack(beh, back_of_house.BackOfHouseCoefficients),
            economics=pack(beh, economics.EconomicsCoefficients),
            turnover=pack(beh, turnover.TurnoverCoefficients),
            policy=pack(beh, policy.PolicyCoefficients),
        )
