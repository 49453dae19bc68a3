"""Leaf module: the reasons an officer can give for a denial, a preliminary determination or a revocation, each
with the plain words the traveler reads in the letter and the rule it rests on. Imports only the standard library."""

from __future__ import annotations

from dataclasses import dataclass, field


def N_(message: str) -> str:
    """Marks the traveler's words for translation; casework.letters translates them into the letter's language."""
    return message


GE = "global_entry"
PC = "precheck"
LETTER_KINDS = frozenset({"denial", "preliminary_ineligible", "revocation"})


@dataclass(frozen=True)
class Reason:
    """One reason, with the rule it rests on in each program it applies to: a PreCheck letter cites TSA's rules (49
    CFR 1540, 1572), a Global Entry letter CBP's (8 CFR 235.12), never the other program's."""

    code: str
    label: str  # what the officer picks
    letter: str  # what the traveler reads (plain language)
    citations: dict[str, str] = field(hash=False)  # program code -> the rule it rests on there
    kinds: frozenset[str] = LETTER_KINDS  # the letters it can be given in (DecisionLetter.kind)
    needs_unanswered: bool = False  # only when the case waits on an answer the traveler owes (its due date passed)
    needs_membership: bool = False  # only about a member: a revocation, or the renewal of a membership

    @property
    def programs(self) -> frozenset[str]:
        return frozenset(self.citations)

    def citation_for(self, program_code: str) -> str:
        """The rule this reason rests on in `program_code` (KeyError for a program it does not apply to)."""
        return self.citations[program_code]

    @property
    def citation(self) -> str:
        """Every program's citation, for a reader that does not know the program; a letter uses citation_for."""
        return "; ".join(self.citations.values())


REASONS: tuple[Reason, ...] = (
    Reason(
        "false_information",
        "False or incomplete information",
        N_("Some information on your application was false or incomplete."),
        {GE: "8 CFR 235.12(b)(2)(i)", PC: "49 CFR 1540.103"},
    ),
    Reason(
        "criminal_history",
        "Criminal history (arrest, conviction, pending charge or warrant)",
        N_(
            "Our records show an arrest, a conviction, a pending charge or a warrant, in the United States or another "
            "country."
        ),
        {GE: "8 CFR 235.12(b)(2)(ii)"},
    ),
    Reason(
        "disqualifying_offense",
        "Disqualifying criminal offense",
        N_("Our records show a criminal offense that disqualifies a person from TSA PreCheck."),
        {PC: "49 CFR 1572.103"},
    ),
    Reason(
        "customs_immigration",
        "Customs, immigration or agriculture violation",
        N_(
            "Our records show a violation of customs, immigration or agriculture rules in the United States or another "
            "country."
        ),
        {GE: "8 CFR 235.12(b)(2)(iii)"},
    ),
    Reason(
        "under_investigation",
        "Subject of a law-enforcement investigation",
        N_("You are the subject of an investigation by a law-enforcement agency."),
        {GE: "8 CFR 235.12(b)(2)(iv)"},
    ),
    Reason(
        "inadmissible",
        "Inadmissible, or granted a waiver or parole",
        N_(
            "You cannot be admitted to the United States, or you were once given a waiver of inadmissibility or parole."
        ),
        {GE: "8 CFR 235.12(b)(2)(v)"},
    ),
    Reason(
        "security_threat",
        "Security threat assessment not passed",
        N_("The security threat assessment found that you may pose a risk to transportation security."),
        {PC: "49 CFR 1560.1; 49 U.S.C. 114(f)"},
    ),
    Reason(
        "citizenship_not_established",
        "Citizenship or residence not shown",
        N_("We could not confirm that you are a U.S. citizen, a U.S. national or a lawful permanent resident."),
        {PC: "49 U.S.C. 44919"},
    ),
    Reason(
        "not_low_risk",
        "Could not establish low-risk status",
        N_("We could not confirm that you are a low-risk traveler."),
        {GE: "8 CFR 235.12(b)(2)(vii)"},
    ),
    Reason(
        "no_response",
        "No answer by the due date",
        N_("You did not answer our request by the date we gave you."),
        {GE: "8 CFR 235.12(b)(2)(vii)", PC: "49 CFR 1572.15"},
        kinds=frozenset({"denial", "preliminary_ineligible"}),
        needs_unanswered=True,
    ),
    Reason(
        "program_violation",
        "Broke the program's rules as a member",
        N_("You did not follow the program's rules, for example by carrying goods you did not declare."),
        # PreCheck: TSA's rules for passengers and others (weapons, screening, interference), 49 CFR 1540 subpart B.
        {GE: "8 CFR 235.12(j)", PC: "49 CFR 1540, subpart B"},
        needs_membership=True,
    ),
)

BY_CODE = {r.code: r for r in REASONS}


def reasons_for(
    program_code: str, kind: str | None = None, *, unanswered: bool = False, member: bool = False
) -> list[Reason]:
    """The reasons that apply in `program_code`; with `kind`, those a letter of that kind can give: "no answer by the
    due date" only when an answer is owed (`unanswered`), "broke the program's rules as a member" only about a
    member (`member`: a revocation, or a renewal), never to deny a first application."""
    return [
        r
        for r in REASONS
        if program_code in r.programs
        and (
            kind is None
            or (
                kind in r.kinds
                and (unanswered or not r.needs_unanswered)
                and (member or kind == "revocation" or not r.needs_membership)
            )
        )
    ]
