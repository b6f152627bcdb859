"""Small integer codes shared by the state arrays, the mechanisms and both engines."""

from __future__ import annotations

#: ``last_firm``/``choice`` code: no purchase (yet / this week).
NO_PURCHASE = -1

#: ``last_purchase_week`` of "never purchased" (int16).
NEVER = -32768

#: Outcome codes of one visit (``TickScratch.outcome``).
OK, ON_SPOT, ESCALATED, UNRESOLVED, SILENT = 0, 1, 2, 3, 4

#: Classes of the answer to "would you recommend us?" (0-6, 7-8, 9-10; NPS).
DETRACTOR, PASSIVE, PROMOTER = 0, 1, 2

#: Staff roles (``StaffArrays.role``).
FRONTLINE, SUPERVISOR = 0, 1

#: Most firms a scenario may have (firm codes are int8; a person id keeps the firm in its low
#: five bits, :class:`loyaltysim.staff.Hiring`).
MAX_FIRMS = 32
