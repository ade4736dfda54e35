"""The account profile: who the client is, who serves it, what it needs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import attrs

from kamcore.model import _validators as v

__all__ = [
    "CHANNELS",
    "Account",
    "Contact",
    "FactValue",
    "PersonalNote",
]

FactValue: TypeAlias = str | int | float | bool
"""A value of an account fact: text, a number or a yes/no."""

CHANNELS: Final = frozenset({"call", "meeting", "visit", "email", "message", "demo"})
"""Ways to reach a client; also the channels of recorded interactions."""


def _freeze_facts(value: Mapping[str, FactValue]) -> Mapping[str, FactValue]:
    return MappingProxyType(dict(value))


def _valid_facts(instance: Any, attribute: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
    for key, fact in value.items():
        if not isinstance(key, str) or not key.strip():
            v.fail(instance, attribute.name, f"fact name {key!r} must be a non-blank string")
        if not isinstance(fact, str | int | float | bool):
            v.fail(
                instance,
                f"{attribute.name}.{key}",
                f"expected text, a number or true/false, got {type(fact).__name__}",
            )
        if isinstance(fact, float) and not math.isfinite(fact):
            v.fail(instance, f"{attribute.name}.{key}", "must be a finite number")


@attrs.frozen(kw_only=True)
class Contact:
    """A person at the client.

    Attributes:
        id: stable id, unique within the account; interactions refer to it.
        name: full name as the client writes it.
        position: role at the client (buyer, CFO…), ``None`` when unknown.
        channel: preferred channel, one of :data:`CHANNELS`, ``None`` when unknown.
        language: preferred language as a BCP 47 tag (``en``, ``zh``, ``ru``, ``uk``, ``bg``…).
        email: e-mail address, if known.
        phone: phone number, if known.
    """

    id: str = attrs.field(validator=v.text)
    name: str = attrs.field(validator=v.text)
    position: str | None = attrs.field(default=None, validator=v.optional_text)
    channel: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(v.one_of(CHANNELS))
    )
    language: str | None = attrs.field(default=None, validator=v.optional_text)
    email: str | None = attrs.field(default=None, validator=v.optional_text)
    phone: str | None = attrs.field(default=None, validator=v.optional_text)


@attrs.frozen(kw_only=True)
class PersonalNote:
    """Something personal that builds rapport: a hometown, a favourite team, a success story.

    Attributes:
        text: the note itself.
        topic: a short label (``hometown``, ``sport``, ``success_story``, ``family``…).
        contact_id: the contact it is about, ``None`` when it is about the company.
    """

    text: str = attrs.field(validator=v.text)
    topic: str | None = attrs.field(default=None, validator=v.optional_text)
    contact_id: str | None = attrs.field(default=None, validator=v.optional_text)


@attrs.frozen(kw_only=True)
class Account:
    """A client's profile: the static part of its client file.

    Attributes:
        id: stable id of the account, unique in a portfolio.
        name: the client's name as it writes it.
        owner: the account manager who owns the relationship.
        tier: the tier recorded in the source (``strategic``, ``key``, ``VIP``…),
            ``None`` when unknown; classification computes its own.
        client_since: the day the relationship started, if known.
        facts: free facts that classification rules read, e.g. ``brand_recognition``,
            ``annual_potential``, ``segment``, ``new_segment``, ``new_territory``, ``media_active``,
            ``uses_competitor``, ``competitor_unsatisfied``, ``strategic_list``, ``field_sales_reps``.
        contacts: the people at the client.
        needs: products or services of interest, buying patterns.
        preferences: how the client likes to be served.
        personal_notes: notes that build rapport.
    """

    id: str = attrs.field(validator=v.text)
    name: str = attrs.field(validator=v.text)
    owner: str = attrs.field(validator=v.text)
    tier: str | None = attrs.field(default=None, validator=v.optional_text)
    client_since: date | None = attrs.field(default=None, validator=v.optional_instance(date))
    facts: Mapping[str, FactValue] = attrs.field(
        factory=dict, converter=_freeze_facts, validator=_valid_facts
    )
    contacts: tuple[Contact, ...] = attrs.field(
        factory=tuple, converter=v.frozen_tuple, validator=v.instances_of(Contact)
    )
    needs: tuple[str, ...] = attrs.field(factory=tuple, converter=v.frozen_tuple, validator=v.texts)
    preferences: tuple[str, ...] = attrs.field(
        factory=tuple, converter=v.frozen_tuple, validator=v.texts
    )
    personal_notes: tuple[PersonalNote, ...] = attrs.field(
        factory=tuple, converter=v.frozen_tuple, validator=v.instances_of(PersonalNote)
    )

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for index, contact in enumerate(self.contacts):
            if contact.id in seen:
                v.fail(self, f"contacts[{index}].id", f"duplicate contact id {contact.id!r}")
            seen.add(contact.id)
        for index, note in enumerate(self.personal_notes):
            if note.contact_id is not None and note.contact_id not in seen:
                v.fail(
                    self,
                    f"personal_notes[{index}].contact_id",
                    f"no contact with id {note.contact_id!r} in this account",
                )

    def contact(self, contact_id: str) -> Contact | None:
        """The contact with *contact_id*, or ``None``."""
        return next((c for c in self.contacts if c.id == contact_id), None)
