"""The facilitation vocabularies, as `StrEnum`s stored by value (`app.db.StrEnumType`).

Values are stable identifiers (ASCII, kebab-case, French as the content's ids are); the web layer
gives each its translated label.
"""

from __future__ import annotations

from enum import StrEnum


class UserRole(StrEnum):
    """What an account may do: a facilitator runs their accompaniments, a coordinator sees all."""

    FACILITATOR = "facilitator"
    COORDINATOR = "coordinator"


class LinkKind(StrEnum):
    """What a one-time account link is for."""

    INVITATION = "invitation"
    PASSWORD_RESET = "password-reset"


class Stage(StrEnum):
    """The lifecycle of an accompaniment, in order."""

    CALL = "appel"  # call for expressions of interest
    CHOSEN = "choisi"
    PREPARATION = "preparation"
    VISIT = "visite"
    AFTER_VISIT = "apres-visite"
    CAPITALISED = "capitalise"


class MeetingKind(StrEnum):
    """The kinds of session an accompaniment holds (the `type_seance` of protocol templates)."""

    LEARNING_VISIT = "visite-apprenante"
    ACCOMPANIMENT_VISIT = "visite-accompagnement"
    REFLEXIVE_SEMINAR = "seminaire-reflexif"
    STEERING_MEETING = "comite-pilotage"
    ACTORS_RESEARCHERS_DAY = "journee-acteurs-chercheurs"


class MeetingStatus(StrEnum):
    """Where a session stands: planned, running live, or closed (join code dead)."""

    PLANNED = "planned"
    LIVE = "live"
    CLOSED = "closed"


class TimerState(StrEnum):
    """The countdown of the current step."""

    STOPPED = "stopped"
    RUNNING = "running"
    PAUSED = "paused"


class PersonRole(StrEnum):
    """The role a person plays in an accompaniment or a session."""

    VISITOR = "visiteur"
    HOST = "accueil"
    ELECTED = "elu"
    INHABITANT = "habitant"
    FUNDER = "financeur"
    RESEARCHER = "chercheur"
    FACILITATOR = "animateur"
    COORDINATOR = "coordinateur"


class CommunitySide(StrEnum):
    """Which side of a community-to-community accompaniment a community is on."""

    ASKING = "demandeuse"
    OFFERING = "accompagnatrice"


# -- after the session (issue 12): synthesis, validation, capitalisation ------------------------------


class Regard(StrEnum):
    """The four regards a synthesis note keeps apart, in the order the note shows them."""

    STRUCTURE = "structure"  # on the accompanying structure
    INITIATIVE = "initiative"  # on the chosen cooperation initiative
    TRANSITION = "transition"  # on the impact on the transition
    METHODS = "methodes"  # on what is specific to the accompaniment methods


class ValidationParty(StrEnum):
    """Who validates a synthesis note: both communities and the visiting group."""

    ASKING = "demandeuse"
    OFFERING = "accompagnatrice"  # the offering community, or the host structure
    VISITING_GROUP = "groupe-visite"


class ValidationDecision(StrEnum):
    """What an approver answered for a version of the synthesis."""

    APPROVED = "approuve"
    CHANGES_REQUESTED = "modifications"


class ProposalKind(StrEnum):
    """What a capitalisation proposal adds to the kit."""

    TERRITORY_STORY = "recit-territoire"
    INITIATIVE = "initiative"
    FICHE_EXAMPLE = "exemple-fiche"


class ProposalStatus(StrEnum):
    """Where a capitalisation proposal stands."""

    DRAFT = "brouillon"
    PUBLISHED = "publiee"
    REJECTED = "refusee"
