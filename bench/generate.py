"""A deterministic generator of synthetic BibTeX bibliographies for the index benchmark.

`python -m bench.generate --size 10000 --out DIR` writes DIR/refs-0001.bib, refs-0002.bib, ... (5,000
entries a file). The same size and seed always give byte-identical files.

What the entries look like (every number below is a constant in this module):

- Language: 75 % English entries, 25 % Norwegian (`language = {norwegian}`); a fifth of the Norwegian
  entries end their abstract with a short English summary, as Norwegian reports often do.
- Title: 8 to 16 words (uniform, mean 12); abstract: 100 to 200 words (uniform, mean 150) in sentences
  of 8 to 24 words.
- Words: 40 % of the words are function words of the entry's language (`the`, `of`, `og`, `i`, ...);
  the rest are drawn from a ranked content vocabulary with Zipf-Mandelbrot weights 1 / (rank + 10) ^ 1.05.
  The vocabulary starts with the domain words in `EN_DOMAIN` / `NB_DOMAIN` (music therapy, substance
  use, recovery, ... and musikkterapi, rusbehandling, avhengighet, ...) and continues with 12,000 English
  and 8,000 Norwegian pseudo-words built from syllables, for a realistic long tail of rare terms.
- Authors: 1 to 6 (weights 20, 30, 20, 15, 10, 5) from ~380 family names with Norwegian letters
  (`Ødegaard`, `Bræin`, `Løvlie`, `Kielland`, synthetic `Fjellsæter` ...) and given names (`Jörg`, `Åse`,
  `Øystein` ...), Zipf-weighted so a few names are prolific; 5 % of entries write the letters as LaTeX
  (`{\\O}degaard`), as older .bib files do.
- Years 1980 to 2026, weight growing linearly from 1 (1980) to 47 (2026), as publication counts grow.
- Entry types: article 70 %, incollection 8 %, book 8 %, techreport 8 %, misc 6 %, each with the venue
  field its type wants; half the entries have a DOI.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def _split(words: str) -> list[str]:
    return words.split()


SEED = 20_260_101
EN_SHARE = 0.75
NB_WITH_ENGLISH_SUMMARY = 0.2
TITLE_WORDS = (8, 16)
ABSTRACT_WORDS = (100, 200)
SENTENCE_WORDS = (8, 24)
FUNCTION_WORD_SHARE = 0.4
ZIPF_S, ZIPF_Q = 1.05, 10
EN_PSEUDO_WORDS, NB_PSEUDO_WORDS = 12_000, 8_000
AUTHOR_COUNT_WEIGHTS = (20, 30, 20, 15, 10, 5)
LATEX_SHARE = 0.05
DOI_SHARE = 0.5
YEARS = (1980, 2026)
ENTRY_TYPES = {"article": 70, "incollection": 8, "book": 8, "techreport": 8, "misc": 6}
PER_FILE = 5000

EN_FUNCTION = _split(
    "the of and in to a for with on among by from as at is are was were that this these their an or "
    "after during between into over than which who its be has have been not but also both more most"
)
NB_FUNCTION = _split(
    "og i for med på av som til er en et det den de at fra om ved hos etter under mellom over enn "
    "har var ble blir ikke men også både mer mest sin sine seg når der kan skal"
)
EN_DOMAIN = _split(
    "music therapy therapist treatment substance use disorder addiction recovery patients clients group "
    "session sessions songwriting improvisation listening singing drumming craving motivation relapse "
    "depression anxiety alcohol drug drugs detoxification withdrawal outcomes randomised controlled trial "
    "review systematic qualitative study effects community clinical mental health service services users "
    "experience experiences wellbeing emotion emotions identity engagement rehabilitation inpatient "
    "outpatient residential programme intervention interventions evidence participants coping mastery "
    "dependence abstinence harm reduction peer support family youth adolescents adults women veterans "
    "psychosis schizophrenia trauma stress self-esteem social inclusion employment housing prison "
    "municipal care staff collaboration implementation evaluation measures scale effect size meta-analysis"
)
NB_DOMAIN = _split(
    "musikkterapi musikkterapeut musikkterapien rusbehandling rusbehandlingen rusmiddel rusmidler "
    "rusmiddelbruk avhengighet pasienter brukere bruker gruppe gruppen samtale låtskriving improvisasjon "
    "lytting sang trommer sug motivasjon tilbakefall depresjon angst alkohol narkotika avrusning "
    "abstinens utfall studie studier oversikt systematisk kvalitativ effekt effekter kommune kommunal "
    "kommunale tjenester tjenesten psykisk helse erfaringer brukererfaringer mestring livskvalitet "
    "identitet følelser fellesskap behandling behandlingen døgnbehandling poliklinisk institusjon "
    "tiltak kunnskap kunnskapsgrunnlag deltakere skadereduksjon likepersoner familie ungdom voksne "
    "kvinner psykose schizofreni traume stress selvfølelse inkludering arbeid bolig fengsel "
    "kriminalomsorg ansatte samarbeid implementering evaluering rapport retningslinje anbefaling"
)
EN_SYLLABLES = _split(
    "ca ther ment pro li gra tion ve sta ro di ble ic al con ex re ta per mo tri ven dal cor lu "
    "sen par tem ory ine ous ar fa mi nel bor gen ist ism pha sis"
)
NB_SYLLABLES = _split(
    "be hand ling tje nes te før skå ning lig het kjæ rø sam ar beid ut vik kling må ler sø ke gå "
    "ende lse ord sted fjell år hø ring gjen stå bry del vir ke tø"
)
FAMILY_NAMES = _split(
    "Ødegaard Bræin Løvlie Aasgaard Håkonsen Sæther Kielland Stige Tuastad Dale Trondalen Trzebinski "
    "Selbekk Fjellheim Kjærnes Bjørnstad Haugen Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen "
    "Kristiansen Jensen Karlsen Johnsen Pettersen Eriksen Berg Haugland Lie Strøm Sørensen Moe Næss "
    "Grønvold Brænd Åsheim Østby Müller Jörgensen Gold Ghetti Mays Hohmann Geretsegger Aldridge Bode "
    "Rolvsjord Solli Ruud Gjerstad Tønsberg Ekeberg Rønning Skånland Brøndbo Vågen"
)
SYNTHETIC_PREFIXES = _split(
    "Bjørn Løv Ås Hauk Stor Lille Vest Nord Sør Øst Grøn Fjell Dal Berg Hol Strand Bråt Myr Rød Kvål"
)
SYNTHETIC_SUFFIXES = _split("heim stad land dal vik rud set lie bakken haug nes sæter gård bø li mo")
GIVEN_NAMES = _split(
    "Jörg Åse Bjørn Øystein Kåre Ingebjørg Sølvi Trond Ragnhild Marte Sigrún Torhild Reidar Brynjulf "
    "Gro Lars Marcus Christian Randi Even Karette Hanne Kari Ola Nils Siri Ståle Tor Ørjan Æsa John "
    "Anna Maria Emily James Peter Wolfgang Zoë Chloé René Monika Jessica David Sarah Felicity"
)
JOURNALS = (
    "Nordic Journal of Music Therapy",
    "Musikkterapi",
    "Rusfag",
    "Tidsskrift for Den norske legeforening",
    "Journal of Substance Abuse Treatment",
    "The Arts in Psychotherapy",
    "Addiction",
    "Music Therapy Perspectives",
    "Nordisk alkohol- & narkotikatidskrift",
    "Journal of Music Therapy",
)
PUBLISHERS = (
    "Universitetsforlaget",
    "Jessica Kingsley Publishers",
    "Routledge",
    "Fagbokforlaget",
    "Gyldendal",
)
INSTITUTIONS = ("KoRus-Øst", "KoRus-Vest Bergen", "Helsedirektoratet", "NTNU", "Universitetet i Bergen")
LATEX = {"ø": "{\\o}", "Ø": "{\\O}", "æ": "{\\ae}", "Æ": "{\\AE}", "å": "{\\aa}", "Å": "{\\AA}"}
LATEX |= {"ö": '{\\"o}', "ü": '{\\"u}', "é": "{\\'e}", "ë": '{\\"e}', "ú": "{\\'u}"}


def _pseudo_words(rng: random.Random, syllables: list[str], count: int, taken: set[str]) -> list[str]:
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


def _cumulative(count: int) -> list[float]:
    return list(itertools.accumulate(1 / (rank + ZIPF_Q) ** ZIPF_S for rank in range(count)))


@dataclass(frozen=True)
class Language:
    function: list[str]
    content: list[str]
    cumulative: list[float]


@dataclass(frozen=True)
class Vocabulary:
    en: Language
    nb: Language
    families: list[str]
    family_weights: list[float]


def vocabulary(seed: int = SEED) -> Vocabulary:
    """The word lists for `seed` (the benchmark uses them to pick its queries)."""
    rng = random.Random(seed)
    taken = set(EN_DOMAIN) | set(NB_DOMAIN) | set(EN_FUNCTION) | set(NB_FUNCTION)
    en_content = [*dict.fromkeys(EN_DOMAIN), *_pseudo_words(rng, EN_SYLLABLES, EN_PSEUDO_WORDS, taken)]
    nb_content = [*dict.fromkeys(NB_DOMAIN), *_pseudo_words(rng, NB_SYLLABLES, NB_PSEUDO_WORDS, taken)]
    synthetic = [p + s.lower() for p in SYNTHETIC_PREFIXES for s in SYNTHETIC_SUFFIXES]
    families = [*FAMILY_NAMES, *synthetic]
    return Vocabulary(
        Language(EN_FUNCTION, en_content, _cumulative(len(en_content))),
        Language(NB_FUNCTION, nb_content, _cumulative(len(nb_content))),
        families,
        _cumulative(len(families)),
    )


def _words(rng: random.Random, lang: Language, count: int) -> list[str]:
    n_function = round(count * FUNCTION_WORD_SHARE)
    words = rng.choices(lang.content, cum_weights=lang.cumulative, k=count - n_function)
    for _ in range(n_function):
        words.insert(rng.randrange(len(words) + 1), rng.choice(lang.function))
    return words


def _sentences(rng: random.Random, words: list[str]) -> str:
    out, i = [], 0
    while i < len(words):
        n = rng.randint(*SENTENCE_WORDS)
        chunk = words[i : i + n]
        out.append(" ".join([chunk[0].capitalize(), *chunk[1:]]) + ".")
        i += n
    return " ".join(out)


def _person(rng: random.Random, vocab: Vocabulary) -> str:
    family = rng.choices(vocab.families, cum_weights=vocab.family_weights)[0]
    return f"{family}, {rng.choice(GIVEN_NAMES)}"


def _latex(text: str) -> str:
    return "".join(LATEX.get(ch, ch) for ch in text)


def _ascii_key(text: str) -> str:
    table = str.maketrans({"ø": "o", "æ": "ae", "å": "aa", "ö": "o", "ü": "u", "é": "e"})
    return "".join(ch for ch in text.lower().translate(table) if ch.isascii() and ch.isalnum())


@dataclass(frozen=True)
class Entry:
    entry_type: str
    key: str
    fields: dict[str, str]

    def bibtex(self) -> str:
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in self.fields.items())
        return f"@{self.entry_type}{{{self.key},\n{body}\n}}\n"


def records(size: int, seed: int = SEED) -> Iterator[Entry]:
    """`size` entries, the same ones every time for the same seed (a prefix of a larger size's entries)."""
    vocab = vocabulary(seed)
    rng = random.Random(seed + 1)
    years = list(range(YEARS[0], YEARS[1] + 1))
    year_weights = list(itertools.accumulate(range(1, len(years) + 1)))
    types, type_weights = list(ENTRY_TYPES), list(itertools.accumulate(ENTRY_TYPES.values()))
    counts, count_weights = [1, 2, 3, 4, 5, 6], list(itertools.accumulate(AUTHOR_COUNT_WEIGHTS))
    for n in range(size):
        english = rng.random() < EN_SHARE
        lang = vocab.en if english else vocab.nb
        title_words = _words(rng, lang, rng.randint(*TITLE_WORDS))
        title = " ".join([title_words[0].capitalize(), *title_words[1:]])
        abstract = _sentences(rng, _words(rng, lang, rng.randint(*ABSTRACT_WORDS)))
        if not english and rng.random() < NB_WITH_ENGLISH_SUMMARY:
            abstract += " Summary: " + _sentences(rng, _words(rng, vocab.en, rng.randint(15, 30)))
        year = rng.choices(years, cum_weights=year_weights)[0]
        entry_type = rng.choices(types, cum_weights=type_weights)[0]
        people = [_person(rng, vocab) for _ in range(rng.choices(counts, cum_weights=count_weights)[0])]
        authors = " and ".join(people)
        if rng.random() < LATEX_SHARE:
            authors = _latex(authors)
        fields = {"author": authors, "title": title, "year": str(year)}
        if entry_type == "article":
            fields["journal"] = rng.choice(JOURNALS)
            fields["volume"], fields["pages"] = (
                str(rng.randint(1, 60)),
                f"{rng.randint(1, 300)}--{rng.randint(301, 400)}",
            )
        elif entry_type == "incollection":
            fields["booktitle"] = " ".join(_words(rng, lang, 6)).capitalize()
            fields["publisher"] = rng.choice(PUBLISHERS)
        elif entry_type == "book":
            fields["publisher"] = rng.choice(PUBLISHERS)
        elif entry_type == "techreport":
            fields["institution"] = rng.choice(INSTITUTIONS)
        else:
            fields["howpublished"] = "Nettdokument" if not english else "Web page"
        fields["abstract"] = abstract
        if not english:
            fields["language"] = "norwegian"
        if rng.random() < DOI_SHARE:
            fields["doi"] = f"10.5555/mtkb.bench.{n:07d}"
        yield Entry(entry_type, f"{_ascii_key(people[0].split(',')[0])}{year}n{n}", fields)


def write(size: int, out: Path, seed: int = SEED) -> list[Path]:
    """Write `size` entries as .bib files under `out` (created; old refs-*.bib there are removed)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("refs-*.bib"):
        old.unlink()
    files: list[Path] = []
    stream = (entry.bibtex() for entry in records(size, seed))
    for number in itertools.count(1):
        chunk = list(itertools.islice(stream, PER_FILE))
        if not chunk:
            break
        path = out / f"refs-{number:04d}.bib"
        header = f"% Synthetic bibliography for the mtkb benchmark (bench/generate.py, seed {seed}).\n\n"
        path.write_text(header + "\n".join(chunk), encoding="utf-8")
        files.append(path)
    return files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, required=True, help="number of entries")
    parser.add_argument("--out", type=Path, required=True, help="folder for the .bib files")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    files = write(args.size, args.out, args.seed)
    total = sum(f.stat().st_size for f in files)
    print(
        f"wrote {args.size} entries in {len(files)} file(s), {total / 1e6:.1f} MB, to {args.out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
