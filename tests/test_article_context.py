"""The article-level context: a figure's clause wins, the previous sentence of its paragraph
and then the scene (headline, standfirst, lead) fill what it leaves open, and the figure
says where its place came from (worker/extract/context.py, through the real extractor)."""

from __future__ import annotations

import pytest

from worker.models import Article, Figure
from worker.normalize import normalize
from worker.models import RawDocument

AIRPORT = "Hamid Karzai International Airport"

ARTICLE = """\
KABUL — Two suicide bombers and a gunman attacked crowds outside Kabul airport on Thursday, \
in the deadliest day for American forces in Afghanistan in a decade, officials said.

The Pentagon said 13 US service members were among the dead. The blast also wounded 18 \
service members, a spokesman added.

Afghan health officials said at least 170 civilians were killed. Hospitals in the city were \
overwhelmed, and doctors appealed for blood donors.

In Germany, where many of the evacuees were flown, some 3,000 troops helped run the \
processing centre at Ramstein air base.

The evacuation has cost an estimated $1.2 billion so far, according to congressional aides. \
Mr Biden vowed to finish the operation by the end of the month.
"""


@pytest.fixture(scope="module")
def figures(extractor) -> dict[float, Figure]:
    raw = RawDocument(kind="text", origin="kabul.txt", title="Suicide attack at Kabul airport kills 13 US troops",
                      text=ARTICLE, published="2021-08-27T08:00:00Z")
    article = extractor.extract(normalize(raw))
    assert isinstance(article, Article)
    return {f.value: f for f in article.figures if f.field == "body"}


def test_the_clause_wins_and_says_so(figures):
    assert figures[3000].location_from == "clause"
    assert figures[3000].location.startswith("Ramstein")  # not Germany, not Kabul


def test_the_wounded_are_where_the_attack_was(figures):
    wounded = figures[18]
    assert wounded.category == "injured"
    # the dateline and lead set the scene at the airport; the dead and wounded want the most
    # specific place it names (a facility, else the city)
    # "Kabul airport" is an alias of its canonical name (config/aliases.toml)
    assert wounded.location in (AIRPORT, "Kabul") and wounded.location_from in ("previous_sentence", "scene")
    assert figures[170].location in (AIRPORT, "Kabul")


def test_forces_and_money_take_the_scenes_country_never_their_own(figures):
    assert figures[13].location == "Afghanistan" and figures[13].location_from == "scene"
    assert figures[1.2e9].category == "money" and figures[1.2e9].location == "Afghanistan"


def test_a_pointer_takes_the_last_place_of_its_kind(extractor):
    text = ("BAGHDAD — Rockets hit Ain al-Asad air base in western Iraq on Tuesday, officials said.\n\n"
            "The attack came a day after talks in Baghdad. Washington has said it will keep its forces "
            "in the country. Officials in Erbil said they were on alert.\n\n"
            "About 2,500 US troops remain in the country, and some 800 are stationed at the base.")
    raw = RawDocument(kind="text", origin="asad.txt", title="Rockets hit base", text=text, published="2024-01-10T08:00:00Z")
    found = {f.value: f for f in extractor.extract(normalize(raw)).figures if f.field == "body"}
    assert found[2500].location == "Iraq"
    assert found[800].location == "Ain al-Asad air base" and found[800].location_from == "previous_sentence"


def test_short_items_keep_clause_places_only(extractor):
    raw = RawDocument(kind="text", origin="brief.txt", title="Brief", text="KABUL — A blast at the airport. "
                      "It wounded 18 service members, officials said.", published="2021-08-27T08:00:00Z")
    [wounded] = [f for f in extractor.extract(normalize(raw)).figures if f.value == 18]
    assert wounded.location is None and wounded.location_from is None


def test_a_dateline_holding_an_alias_is_one_place_and_does_not_break_extraction(extractor):
    # "AU" (African Union) inside "PORT-AU-PRINCE" made two overlapping entity spans: the
    # whole article failed to extract.
    text = ("PORT-AU-PRINCE, Haiti (AP) — About 400 Kenyan police officers landed in the capital on Tuesday. "
            "Kenya has pledged 1,000 officers, officials said.")
    raw = RawDocument(kind="text", origin="haiti.txt", title="Kenyan police land in Haiti", text=text,
                      published="2024-06-25T21:40:00Z")
    article = extractor.extract(normalize(raw))
    assert "Port-au-Prince" in {e.canonical for e in article.entities}
    assert "African Union" not in {e.canonical for e in article.entities}


def test_a_body_past_the_parse_cap_is_read_in_part_said_and_kept_whole(nlp):
    """Issue 18 item 13: a 5 MB paragraph needed 12 GB to parse; only a bounded part is parsed."""
    from worker.extract import Extractor

    capped = Extractor(nlp, max_parse_chars=2_000)
    first = "About 2,500 US troops remain in Iraq, officials said. "
    later = "Some 7,000 British troops were sent to Estonia. " * 300
    article = capped.extract(normalize(RawDocument(kind="text", origin="long.txt", title="A long one", text=first + later,
                                                   published="2021-01-15T08:00:00Z")))
    values = {f.value for f in article.figures if f.field == "body"}
    assert 2500 in values and max(f.start for f in article.figures if f.field == "body") < 2_000
    assert article.body.endswith("Estonia.") and len(article.body) > 10_000
    assert article.notes and "first 2,000" in article.notes[0] and "NEWSWORKER_MAX_PARSE_CHARS" in article.notes[0]


def test_a_sentence_of_numbers_keeps_a_bounded_figure_list(nlp):
    """Issue 18 item 7: 20,000 figures each storing their whole sentence made a 5.4 GB row."""
    from worker.extract import Extractor
    from worker.extract.pipeline import MAX_FIGURES, MAX_SENTENCE_CHARS

    numbers = ", ".join(f"{5_000 + 7 * i:,} troops" for i in range(1_500))
    article = Extractor(nlp, max_parse_chars=100_000).extract(normalize(RawDocument(
        kind="text", origin="numbers.txt", title="Numbers", text=f"The lists: {numbers}.", published="2021-01-15")))
    body = [f for f in article.figures if f.field == "body"]
    assert len(body) <= MAX_FIGURES and all(len(f.sentence) <= MAX_SENTENCE_CHARS for f in body)
    assert any("figures found" in n for n in article.notes)


# A second whole article (written for these tests, not taken from the dev sets): places a
# figure's own sentence gives when its clause does not, and changes told in pieces.
BUDGETS = """\
AMMAN — Two soldiers were killed and 11 others were wounded on Monday when a rocket hit \
the gate of Prince Hassan Air Base in eastern Jordan, the army said.

The base houses foreign trainers. Officials said the attack would not change the mission. \
A medic said three civilians were also hurt.

Poland plans to spend about 4% of its GDP on defence this year, more than any other ally. \
Seoul will pay 1.4 trillion won toward the cost of US forces next year under a new deal.

Britain will withdraw nearly 900 troops from Estonia, with about 500 returning to Britain \
and 400 moving to Latvia. The force there will fall from about 1,700 to 800 by the summer.
"""


@pytest.fixture(scope="module")
def budgets(extractor) -> Article:
    raw = RawDocument(kind="text", origin="budgets.txt", title="Rocket hits Jordan base", text=BUDGETS,
                      published="2024-03-05T08:00:00Z")
    article = extractor.extract(normalize(raw))
    assert isinstance(article, Article)
    return article


def _body(article: Article) -> dict[float, Figure]:
    return {f.value: f for f in article.figures if f.field == "body"}


def test_a_share_or_sum_belongs_to_the_country_of_its_sentence(budgets):
    figures = _body(budgets)
    assert (figures[4].location, figures[4].location_from) == ("Poland", "sentence")
    # a capital that pays is its country's government
    assert (figures[1.4e12].location, figures[1.4e12].location_from) == ("South Korea", "sentence")


def test_the_dead_and_wounded_are_at_the_facility_their_sentence_names(budgets):
    figures = _body(budgets)
    assert figures[2].category == "killed" and figures[2].location.startswith("Prince Hassan")
    assert figures[11].location == figures[2].location


def test_a_withdrawal_told_with_its_pieces_and_its_levels_is_one_change(budgets):
    changes = [e for e in budgets.events if e.type == "troop_level_change" and e.location == "Estonia"]
    # the whole change, and its amount alone (what outlets telling only the amount share with it)
    [change] = [e for e in changes if e.to_value is not None]
    assert (change.value, change.from_value, change.to_value, change.actor) == (900, 1700, 800, "United Kingdom")
    assert sorted(p.value for p in change.parts) == [400, 500]
    assert [(e.value, e.to_value) for e in changes if e is not change] == [(900, None)]
    # going home is no arrival: no increase in Britain
    assert not [e for e in budgets.events if e.location == "United Kingdom"]


def test_the_dead_and_wounded_a_later_sentence_counts_are_of_the_day_the_lead_says(budgets):
    [hurt] = [e for e in budgets.events if e.type == "casualties" and e.value == 3]
    # published Tuesday 5 March 2024; the lead's attack was "on Monday"
    assert hurt.date.date().isoformat() == "2024-03-04" and hurt.date_precision == "day"


def test_the_airport_is_the_airport_not_the_last_facility_named(extractor):
    text = ("KABUL — A bomb exploded on Thursday near Hamid Karzai International Airport, officials said. "
            "The blast hit crowds outside the Baron Hotel and near Abbey Gate, witnesses said.\n\n"
            "About 5,000 American troops are guarding the airport, a Pentagon spokesman said. The evacuation "
            "continues. Flights resumed in the evening. Officials expect more crowds on Friday.")
    raw = RawDocument(kind="text", origin="gate.txt", title="Blast at Kabul airport", text=text,
                      published="2021-08-27T08:00:00Z")
    article = extractor.extract(normalize(raw))
    [troops] = [f for f in article.figures if f.value == 5000]
    assert troops.location == AIRPORT and troops.location_from == "previous_sentence"


SPLIT = """\
NAPLES — The navy will move about 5,000 sailors out of Italy over the next two years, officials said on Monday.

Of those leaving, about 3,000 are slated for Spain and some 2,000 for Greece. Denmark has pledged 300 \
engineers, and Norway and Finland have also promised soldiers. The fleet's flagship, a Boeing 737-800 \
converted for patrols, will stay behind. Two crew members were hurt on board the aircraft.

Officials said the move would be complete by next summer. Local businesses expect to lose trade.
"""


def test_a_place_tied_by_a_preposition_after_the_figure_is_its_own_and_senders_are_not_where(extractor):
    raw = RawDocument(kind="text", origin="split.txt", title="Navy moves sailors", text=SPLIT,
                      published="2024-05-06T08:00:00Z")
    figures = _body(extractor.extract(normalize(raw)))
    assert (figures[3000].location, figures[2000].location) == ("Spain", "Greece")
    # the countries that send forces are not where they go; an aircraft model is no place
    assert figures[300].location not in ("Denmark", "Norway", "Finland")
    assert figures[2].location != "Boeing"


CONCERT = """\
KRASNOGORSK, Russia — Gunmen opened fire on concertgoers at the Crocus City Hall music venue \
outside Moscow on Friday evening before setting the building ablaze, officials said.

Investigators said at least 60 people were killed. Another 145 were taken to hospital with \
gunshot wounds and burns, the health ministry added.

The regional governor declared a day of mourning. Flags flew at half mast across the region, \
and concerts were cancelled for the weekend in several cities.

Officials said the building's roof had collapsed and rescuers were still searching the rubble. \
The emergencies ministry said fires had been put out by Saturday morning.

Security was tightened at airports, railway stations and other crowded places.
"""


def test_the_dead_of_an_attack_on_a_venue_are_at_the_venue(extractor):
    raw = RawDocument(kind="text", origin="concert.txt", title="Gunmen kill dozens at Moscow concert hall",
                      text=CONCERT, published="2024-03-23T06:00:00Z")
    article = extractor.extract(normalize(raw))
    dead = {f.value: f for f in article.figures if f.field == "body"}
    assert (dead[60].location, dead[60].location_from) == ("Crocus City Hall", "scene")
    assert dead[145].location == "Crocus City Hall"


ANNIVERSARY = """\
MOGADISHU, Somalia — A year after the deadliest bombing in the country's history, the junction \
where it happened is busy again, and the families of the dead are still waiting for help.

On Oct. 14, 2017, a truck packed with explosives blew up outside a hotel on a busy Saturday \
afternoon. A government committee later put the death toll at 587. More than 300 people were wounded.

Traders have reopened their kiosks along the road, and a memorial wall was painted in the spring.

Officials say the government has little money for the victims' families, most of whom were never \
compensated, and donors have been slow to help.

The city has been hit by smaller attacks since, and checkpoints have multiplied.
"""


def test_the_dead_of_a_day_the_paragraph_names_before_them_are_of_that_day(extractor):
    raw = RawDocument(kind="text", origin="anniversary.txt", title="A year after the bombing",
                      text=ANNIVERSARY, published="2018-10-14T09:00:00Z")
    article = extractor.extract(normalize(raw))
    [wounded] = [e for e in article.events if e.type == "casualties" and e.value == 300]
    assert (wounded.date.date().isoformat(), wounded.date_precision) == ("2017-10-14", "day")


def test_the_country_after_a_city_is_the_citys_country_when_the_article_names_it(extractor):
    body = ("BAMAKO — Mali's military government said on Monday that it would not talk to the rebels.\n\n"
            "Neighbouring Algeria closed its border last year and has refused to reopen it.\n\n"
            "Jihadists besieged Timbuktu for much of the summer. More than 30,000 people have fled across the country "
            "since then, aid groups said. The United Nations has asked donors for more money. Talks are due to "
            "resume in March.")
    article = extractor.extract(Article(id="t", title="", body=body, content_hash="h", origin="test:t"))
    [figure] = [f for f in article.figures if f.value == 30000]
    # Algeria is the last country named, but Timbuktu, named since, is in Mali
    assert (figure.location, figure.location_from) == ("Mali", "previous_sentence")
