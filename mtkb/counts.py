"""What an evidence summary's counts cover, said in words generated from its data, so that no view can
show "17 studier, 863 deltakere" when the 863 belong to the 11 controlled studies."""

from __future__ import annotations

WORDS = {
    "nb": {
        "studies": "studier",
        "controlled": "kontrollerte",
        "participants": "deltakere",
        "with": "med",
        "in_controlled": "i de {n} kontrollerte studiene",
        "in_controlled_unknown": "i de kontrollerte studiene",
    },
    "nn": {
        "studies": "studiar",
        "controlled": "kontrollerte",
        "participants": "deltakarar",
        "with": "med",
        "in_controlled": "i dei {n} kontrollerte studiane",
        "in_controlled_unknown": "i dei kontrollerte studiane",
    },
    "en": {
        "studies": "studies",
        "controlled": "controlled",
        "participants": "participants",
        "with": "with",
        "in_controlled": "in the {n} controlled studies",
        "in_controlled_unknown": "in the controlled studies",
    },
}
"""The words of each language the counts are stated in."""


def _number(value: int, lang: str) -> str:
    """1,984 in English; 1984 and 12 345 (a no-break space) in Norwegian."""
    if lang == "en":
        return f"{value:,}"
    return f"{value:,}".replace(",", "\u00a0") if value >= 10_000 else str(value)


def describe_counts(
    studies: int | None, controlled: int | None, participants: int | None, scope: str | None, lang: str
) -> str | None:
    """The counts with the scope of the participants, in `lang` (nb, nn, en); None when there are none.

    "17 studier; 863 deltakere i de 11 kontrollerte studiene" (scope controlled, a subset),
    "21 studier med 1984 deltakere" (scope all, or every study controlled),
    "17 studier (11 kontrollerte) med 863 deltakere" (scope all, some controlled)."""
    words = WORDS[lang]
    if studies is None and participants is None:
        return None
    some_controlled = controlled is not None and controlled != studies
    parts = []
    if studies is not None:
        parts.append(f"{_number(studies, lang)} {words['studies']}")
        if some_controlled and scope != "controlled":
            parts[-1] += f" ({_number(controlled, lang)} {words['controlled']})"  # type: ignore[arg-type]
    if participants is None:
        return parts[0]
    people = f"{_number(participants, lang)} {words['participants']}"
    if scope == "controlled" and controlled != studies:  # a subset, or one of unknown size
        where = (
            words["in_controlled"].format(n=_number(controlled, lang))
            if controlled is not None
            else words["in_controlled_unknown"]
        )
        return "; ".join([*parts, f"{people} {where}"])
    return f"{parts[0]} {words['with']} {people}" if parts else people


def counts_text(
    studies: int | None, controlled: int | None, participants: int | None, scope: str | None
) -> dict[str, str]:
    """`describe_counts` in every language, by language code; empty when there are no counts."""
    texts = {lang: describe_counts(studies, controlled, participants, scope, lang) for lang in WORDS}
    return {lang: text for lang, text in texts.items() if text}
