"""The life cycle of a pasture management and use plan: states, steps, who may take them.

The Land Code (Art. 17 пп.8-1, Art. 15 п.1 пп.2-1; docs/domain.md, "The law the outputs
must serve") has the district akimat draft the plan with the rural akims and local
self-government and the district maslikhat approve it by a registered decision. Here:

- ``draft``: the akimat builds the plan from the store (a version, frozen as it was read);
- ``discussion``: rural akims, unions and the district pasture council comment on its
  sections and plots; the akimat answers each comment;
- ``submitted``: sent to the maslikhat; allowed only when every comment is answered;
- ``approved``: the maslikhat's decision (number and date) is recorded; that version is
  frozen and in force;
- ``amended``: a new version of an approved plan is being prepared (the approved one stays
  in force until the amendment is approved in its turn);
- ``expired``: the term is over.

Roles are plain names (``akimat``, ``union``, ``maslikhat``): the web layer maps its
accounts onto them; the command line acts as the akimat unless told otherwise. Only the
maslikhat (its secretariat) records adoption, as the law has the maslikhat approve: the
akimat drafts and submits but does not adopt its own plan. Either may send a submitted
plan back (the maslikhat returns it; the akimat withdraws it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput, PlanStateConflict

__all__ = [
    "COMMENT_STATES",
    "ROLES",
    "SECTIONS",
    "STATES",
    "STEPS",
    "NotAllowed",
    "Step",
    "check_comment",
    "check_step",
]


class NotAllowed(InvalidInput):
    """The role may not take this step (403 over HTTP; exit code 3 on the command line)."""


STATES: tuple[str, ...] = ("draft", "discussion", "submitted", "approved", "amended", "expired")
#: The plan's sections: Art. 13's items, one annex each, and ``general`` for the whole plan.
SECTIONS: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "7-1", "8", "general")
#: Who takes part. ``maslikhat``: its secretariat, which records the adoption.
ROLES: tuple[str, ...] = ("akimat", "maslikhat", "union", "rural_akim", "council")
#: States in which the plan is open to comments.
COMMENT_STATES: tuple[str, ...] = ("draft", "discussion", "amended")


@dataclass(frozen=True)
class Step:
    """One step of the cycle: from which states, to which, and who may take it."""

    action: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    description: str


STEPS: dict[str, Step] = {
    s.action: s
    for s in (
        Step(
            "discuss",
            ("draft", "amended"),
            "discussion",
            ("akimat",),
            "open the draft to comments of rural akims, unions and the pasture council",
        ),
        Step(
            "submit",
            ("draft", "discussion", "amended"),
            "submitted",
            ("akimat",),
            "submit the plan to the district maslikhat (every comment answered)",
        ),
        Step(
            "adopt",
            ("submitted",),
            "approved",
            ("maslikhat",),
            "record the maslikhat's decision (number and date): the version is frozen",
        ),
        Step(
            "return",
            ("submitted",),
            "discussion",
            ("akimat", "maslikhat"),
            "send a submitted plan back for changes",
        ),
        Step(
            "amend",
            ("approved",),
            "amended",
            ("akimat",),
            "start an amendment: a new version read from the store, with its diff",
        ),
        Step(
            "expire",
            ("approved", "amended"),
            "expired",
            ("akimat",),
            "close a plan whose term is over",
        ),
    )
}


def check_step(action: str, state: str, role: str, *, plan: str) -> Step:
    """The step ``action`` if ``role`` may take it from ``state``.

    Raises
    ------
    InvalidInput
        For an unknown action or role.
    PlanStateConflict
        When the plan's state does not allow the step (409 over HTTP).
    NotAllowed
        When the role may not take the step (the web layer answers 403).
    """
    step = STEPS.get(action)
    if step is None:
        raise InvalidInput(plan, [f"unknown step {action!r}; steps are {', '.join(STEPS)}"])
    if role not in ROLES:
        raise InvalidInput(plan, [f"unknown role {role!r}; roles are {', '.join(ROLES)}"])
    if state not in step.sources:
        raise PlanStateConflict(
            plan,
            [
                f"cannot {action} a plan that is {state}; "
                f"{action} needs a plan that is {' or '.join(step.sources)}"
            ],
        )
    if role not in step.roles:
        raise NotAllowed(plan, [f"only {' or '.join(step.roles)} may {action} a plan, not {role}"])
    return step


def check_comment(state: str, section: str, body: str, *, plan: str) -> None:
    """Whether a comment on ``section`` may be made now; InvalidInput says what is wrong."""
    if state not in COMMENT_STATES:
        raise PlanStateConflict(
            plan,
            [
                f"a plan that is {state} takes no comments; it takes them while "
                f"{', '.join(COMMENT_STATES)}"
            ],
        )
    problems = []
    if section not in SECTIONS:
        problems.append(f"unknown section {section!r}; sections are {', '.join(SECTIONS)}")
    if not body.strip():
        problems.append("the comment is empty: write what should change and why")
    if problems:
        raise InvalidInput(plan, problems)
