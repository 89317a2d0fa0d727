"""Roles, places, actors and events read from the clause around a figure (real spaCy model).

Sentences here are worded unlike the dev set on purpose: they check the rules, not the items.
"""

from __future__ import annotations

import pytest

from worker.extract.figures import find_figures
from worker.extract.places import merge_entities, missed_spans
from worker.models import Article


@pytest.fixture(scope="module")
def found(nlp, extractor):
    def run(text):
        doc = nlp(text)
        doc.ents = merge_entities(doc.ents, missed_spans(doc, extractor.canon))  # as the Extractor does
        return {f.figure.value: f for f in find_figures(doc)}

    return run


def _events(extractor, text):
    article = Article(id="t", title="", body=text, content_hash="h", origin="test:t")
    return {(e.type, e.actor, e.location, e.value, e.from_value, e.to_value, e.measure) for e in extractor.extract(article).events}


@pytest.mark.parametrize("text, value, role", [
    ("Washington trimmed its garrison in Syria from 2,000 to 900 over the summer.", 2000, "previous_level"),
    ("Washington trimmed its garrison in Syria from 2,000 to 900 over the summer.", 900, "level"),
    ("Canada will deploy another 400 soldiers to Latvia.", 400, "change"),
    ("About 1,200 Spanish troops are deployed in Lebanon.", 1200, "level"),
    ("Some 3,000 soldiers will leave Mali by the end of the year.", 3000, "change"),
    ("The pullout of 1,500 marines from Okinawa begins in March.", 1500, "change"),
    ("Italy has 800 troops in Iraq, up from 500 last year.", 500, "previous_level"),
    ("Italy has 800 troops in Iraq, up from 500 last year.", 800, "level"),
    # posted somewhere is a level, also one yet to come (outlets tell it as the level it will be);
    # sent there is troops added
    ("Berlin will station 600 soldiers in Lithuania.", 600, "level"),
    ("Germany is ready to permanently station a brigade of about 4,000 soldiers in Lithuania.", 4000, "level"),
    ("Germany already stations around 1,500 soldiers in Lithuania.", 1500, "level"),
    # what is already there, when the sentence moves the total, is the level it moves from
    ("Some 4,500 US troops are already in Poland, and the addition would raise the total to 5,500.", 4500, "previous_level"),
    ("They will join 4,500 troops who already rotate through Poland, taking the total to about 5,500.", 4500, "previous_level"),
    ("About 28,500 US troops are stationed in South Korea.", 28500, "level"),
    ("Roughly 900 Danish troops are based in Latvia.", 900, "level"),
    # what held before the news: the past perfect, "once"
    ("Some 300 Belgian soldiers had been stationed at the airfield before the pullout.", 300, "previous_level"),
    ("Portugal once had 1,100 troops in the Central African Republic.", 1100, "previous_level"),
    # troops that go somewhere themselves, also once they have begun to
    ("Around 250 Swedish troops will relocate to Finland next spring.", 250, "change"),
    ("Some 150 Polish soldiers have begun moving to Romania, the ministry said.", 150, "change"),
])
def test_roles(found, text, value, role):
    assert found(text)[value].figure.role == role


@pytest.mark.parametrize("text, value, location", [
    # the speaker's place is not where it happened
    ("Roughly 700 Dutch troops serve in Lithuania, ministers said in Brussels on Monday.", 700, "Lithuania"),
    ("Nine soldiers were killed when their patrol hit a roadside bomb south of Kandahar.", 9, "Kandahar"),
    # the owner's country is not the place
    ("France keeps 900 soldiers in Chad and 600 in Niger.", 900, "Chad"),
    ("France keeps 900 soldiers in Chad and 600 in Niger.", 600, "Niger"),
    # a base that hosts them, also as the second verb of its sentence
    ("Ramstein Air Base lies near Kaiserslautern and hosts about 9,000 American troops.", 9000, "Ramstein Air Base"),
    # money with no place in its clause has none
    ("The Treasury announced $2bn for the programme on Friday.", 2_000_000_000, None),
])
def test_locations(found, text, value, location):
    assert found(text)[value].figure.location == location


def test_actor_is_the_subject_that_has_the_troops(found):
    got = found("Turkey, which has about 3,000 soldiers in Qatar, denied the report.")
    assert got[3000].actor == "Turkey"


def test_casualty_nationality_only_from_the_victims(found):
    got = found("Syria's health ministry said 40 fighters were killed and 18 Syrian soldiers were wounded.")
    assert got[40].nationality is None
    assert got[18].nationality == "Syrian"


def test_words_right_after_a_number_say_what_happened(found):
    got = found("Officials said 12 died and 30 wounded in the blast.")
    assert (got[12].figure.category, got[30].figure.category) == ("killed", "injured")


def test_people_nouns_and_nationalities_are_people(found):
    got = found("More than 400 Afghans and 60 reporters were evacuated from the city.")
    assert got[400].figure.category == "people" and got[60].figure.category == "people"


def test_events_trim_from_to(extractor):
    events = _events(extractor, "The United States trimmed its garrison in Syria from 2,000 to 900 over the summer.")
    assert ("troop_level_change", "United States", "Syria", None, 2000, 900, None) in events
    assert not any(e[0] == "troop_level" for e in events)


def test_events_by_amount_to_level(extractor):
    events = _events(extractor, "Britain will reduce its contingent in Estonia by 300 to 1,100 next year.")
    assert ("troop_level_change", "United Kingdom", "Estonia", 300, 1400, 1100, None) in events


def test_events_capital_acts_for_its_country(extractor):
    events = _events(extractor, "Moscow has sent 2,000 more troops to Belarus, the ministry said.")
    assert ("troop_level_change", "Russia", "Belarus", 2000, None, None, None) in events


def test_events_casualty_place_after_near(extractor):
    events = _events(extractor, "Six Nigerian soldiers were killed in an ambush near Maiduguri on Sunday.")
    assert ("casualties", "Nigeria", "Maiduguri", 6, None, None, "killed") in events


@pytest.mark.parametrize("text, value, location", [
    # NER takes these cities for a person or an organisation, or misses them; the gazetteer knows them
    ("M23 rebels have seized Goma, and at least 700 people have been killed in the city since Sunday.", 700, "Goma"),
    ("Twenty-three soldiers were killed when jihadists attacked an army post near Djibo on Sunday.", 23, "Djibo"),
])
def test_gazetteer_cities_where_a_place_goes(extractor, text, value, location):
    article = Article(id="t", title="", body=text, content_hash="h", origin="test:t")
    figures = {f.value: f for f in extractor.extract(article).figures}
    assert figures[value].location == location


def test_gazetteer_does_not_turn_months_or_words_into_places(found):
    got = found("In March, 40 soldiers were killed in fighting, officials said.")
    assert got[40].figure.location is None


def test_a_figure_said_to_hold_for_each_place_gives_an_event_per_place(extractor):
    each = _events(extractor, "US troop levels in Afghanistan and Iraq have each been reduced to 2,500, officials said.")
    assert {(e[0], e[2], e[5]) for e in each} == {("troop_level_change", "Afghanistan", 2500), ("troop_level_change", "Iraq", 2500)}
    total = _events(extractor, "The US has 2,500 troops in Afghanistan and Iraq, officials said.")
    assert len({e[2] for e in total}) == 1  # without "each" it may be a total: one place only


def test_a_fraction_of_a_force_is_no_troop_level(extractor):
    events = _events(extractor, "The battlegroup, based in Rukla, currently has about 1,600 troops, more than half of them German.")
    assert {e[3] for e in events if e[0] == "troop_level"} == {1600}


def test_an_amount_then_the_total_it_takes_the_force_to_is_one_change(extractor):
    events = _events(extractor, "Washington agreed to send about 1,000 more troops to Poland. They will join some 4,500 US "
                                "troops who already rotate through the country, taking the total to about 5,500.")
    assert ("troop_level_change", "United States", "Poland", 1000, 4500, 5500, None) in events
    assert not any(e[0] == "troop_level" for e in events)


@pytest.mark.parametrize("text, value, place", [
    # a place named only to say how far away something is, is not where it is
    ("Gunmen killed 12 villagers in Djibo, about 200 km north of Ouagadougou, on Sunday.", 200, "Djibo"),
    ("The 850 soldiers reached the camp at Tapa, some 80 kilometres east of Tallinn.", 80, "Tapa"),
    # a unit is no place
    ("Earlier this month 350 Royal Marines from 45 Commando flew to Poland.", 350, "Poland"),
])
def test_distances_and_units_are_no_place(extractor, text, value, place):
    article = Article(id="t", title="", body=text, content_hash="h", origin="test:t")
    [figure] = [f for f in extractor.extract(article).figures if f.value == value]
    assert figure.location == place


@pytest.mark.parametrize("text, value, place", [
    # little-known places the model tags as people or organisations, read from where they stand
    ("About 300 Marines remain at Kasbi, a small outpost near the border, officials said.", 300, "Kasbi"),
    ("The garrison at Dobo still holds about 450 soldiers.", 450, "Dobo"),
    # a region wider than a country (config/countries.toml [regions]), tagged as a product
    ("Some 4,000 European troops are deployed across the Sahel.", 4000, "Sahel"),
    # the appositive only says where the city lies
    ("A missile struck the station in Lozova, a city in Kharkiv Oblast, killing 12 people.", 12, "Lozova"),
    # the place an appositive holding the figure describes
    ("Latvia, a country of 1.9 million people that borders Russia's Kaliningrad exclave, wants more allied troops.",
     1_900_000, "Latvia"),
    # a gazetteer city is no misspelt country ("Kerman" is one letter from "German")
    ("The bombing in Kerman killed 95 people.", 95, "Kerman"),
])
def test_places_read_from_where_they_stand(extractor, text, value, place):
    article = Article(id="t", title="", body=text, content_hash="h", origin="test:t")
    [figure] = [f for f in extractor.extract(article).figures if f.value == value]
    assert figure.location == place


def test_a_person_one_hears_from_is_no_place(extractor):
    article = Article(id="t", title="", body="He received a call from Biden on Monday about the 30 hostages.",
                      content_hash="h", origin="test:t")
    out = extractor.extract(article)
    assert [f.location for f in out.figures] == [None]
    assert not [e for e in out.entities if e.label in ("GPE", "LOC")]


def test_a_named_site_is_a_place_and_the_number_in_its_name_is_no_figure(extractor):
    article = Article(id="t", title="", body="A drone struck Outpost 14 on Sunday, killing three soldiers.",
                      content_hash="h", origin="test:t")
    figures = extractor.extract(article).figures
    assert [(f.value, f.location) for f in figures] == [(3, "Outpost 14")]


def test_the_level_a_change_starts_from_is_part_of_the_change(extractor):
    events = _events(extractor, "The Pentagon now keeps about 11,000 troops in Italy, meaning the force would be cut "
                                "by 3,000 to 8,000.")
    assert events == {("troop_level_change", "United States", "Italy", 3000, 11000, 8000, None)}


def test_a_count_larger_than_any_army_is_no_troop_level(extractor):
    events = _events(extractor, 'The army has 2,000 troops on the island, and the general said the upgrade would cost '
                                '"in the single-digit billions" in the end.')
    assert {e[3] for e in events if e[0] == "troop_level"} == {2000}


def test_the_number_of_troops_a_participle_places_is_what_a_bare_new_level_counts(extractor):
    article = Article(id="t", title="", content_hash="h", origin="test:t",
                      body="The minister said he would cut the number of British soldiers based in Cyprus to 1,800.")
    [figure] = extractor.extract(article).figures
    assert (figure.category, figure.counts, figure.location) == ("troops", "British soldiers", "Cyprus")
    assert _events(extractor, article.body) == {("troop_level_change", "United Kingdom", "Cyprus", None, None, 1800, None)}


@pytest.mark.parametrize("text, value, role", [
    # troops on their way: being or about to be posted, or travelling somewhere
    ("Roughly 1,200 soldiers are being deployed, along with their armoured vehicles.", 1200, "change"),
    ("Some 600 paratroopers flew to Romania on Thursday.", 600, "change"),
    # posted somewhere, with no movement, is where they are
    ("About 2,500 US troops are deployed in Iraq.", 2500, "level"),
])
def test_troops_on_their_way_are_a_change(found, text, value, role):
    assert found(text)[value].figure.role == role


def test_a_units_number_is_no_figure(found):
    got = found("Last week 120 Royal Marines from 40 Commando sailed to Norway.")
    assert set(got) == {120}


@pytest.mark.parametrize("text, actor", [
    # a force named as its own actor, and an alliance named with a possessive
    ('The council voted to replace the mission in Haiti with a larger "Gang Suppression Force" of up to '
     '5,550 personnel.', "Gang Suppression Force"),
    ("NATO's battlegroup in Rukla has about 1,600 troops.", "NATO"),
    # a country's own service is the country's, and "its mission" names nothing
    ("The Australian Defence Force had 1,500 personnel in the Middle East.", "Australia"),
])
def test_forces_that_are_their_own_actor(extractor, text, actor):
    [event] = _events(extractor, text)
    assert event[1] == actor


def test_a_region_names_where_its_force_is_and_another_clauses_object_keeps_its_place(extractor):
    events = _events(extractor, "Paris cut its Sahel force by about 1,500 to roughly 2,000 last year and moved its "
                                "regional command to Dakar.")
    assert events == {("troop_level_change", "France", "Sahel", 1500, 3500, 2000, None)}


@pytest.mark.parametrize("text, value, place", [
    # a place and the wider place it lies in: the more specific one
    ("Spain leads the battlegroup at Adazi in central Latvia with about 600 of its own soldiers.", 600, "Adazi"),
    ("In 2019 the battlegroup at Rukla, in central Lithuania, numbered about 1,200 troops.", 1200, "Rukla"),
])
def test_a_place_named_as_lying_in_a_wider_one_is_the_figures(found, text, value, place):
    assert found(text)[value].figure.location == place
