"""Canonical names (countries, demonyms, aliases, misspellings) and events from figures."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from worker.extract.canonical import Canonicalizer, key, one_edit
from worker.extract.events import Hint, bucket, build_events
from worker.models import Figure
from worker.settings import DEFAULT_CONFIG_DIR

JAN_15 = datetime(2021, 1, 15, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def canon() -> Canonicalizer:
    return Canonicalizer.from_files(DEFAULT_CONFIG_DIR / "aliases.toml", DEFAULT_CONFIG_DIR / "countries.toml")


@pytest.mark.parametrize("name, label", [("US", "GPE"), ("U.S.", "GPE"), ("the United States", "GPE"), ("America", "GPE"),
                                         ("American", "NORP"), ("United States of America", "GPE")])
def test_us_forms_are_one_country(canon, name, label):
    resolved = canon.resolve(name, label)
    assert (resolved.canonical, resolved.iso_code, resolved.label) == ("United States", "US", "GPE")


@pytest.mark.parametrize("name, expected", [("Iraqi", "Iraq"), ("Afghan", "Afghanistan"), ("Russian Federation", "Russia"),
                                            ("UK", "United Kingdom"), ("Syrian Arab Republic", "Syria")])
def test_demonyms_and_formal_names(canon, name, expected):
    assert canon.resolve(name, "NORP" if name.endswith(("i", "n")) else "GPE").canonical == expected


@pytest.mark.parametrize("form", ["ISIS", "ISIL", "Daesh", "Islamic State", "the Islamic State"])
def test_isis_aliases(canon, form):
    assert canon.resolve(form, "ORG").canonical == "ISIS"


def test_pentagon_is_the_defense_department(canon):
    assert canon.resolve("Pentagon", "FAC").canonical == "US Department of Defense"


def test_one_edit_misspelling_of_a_country(canon):
    assert canon.resolve("Aghanistan", "GPE").iso_code == "AF"
    assert canon.resolve("Irak", "GPE").canonical == "Irak"  # too short to guess
    assert canon.resolve("Aghanistan", "PERSON").canonical == "Aghanistan"


def test_unknown_names_pass_through(canon):
    resolved = canon.resolve("Baghdad", "GPE")
    assert (resolved.canonical, resolved.iso_code) == ("Baghdad", None)


def test_one_edit_and_key():
    assert one_edit("afghanistan", "aghanistan") and one_edit("iraq", "iraqs") and one_edit("cat", "cut")
    assert not one_edit("iraq", "iraq") and not one_edit("iran", "iraq ") and not one_edit("abc", "xyz")
    assert key("The U.S.") == "us"


def _fig(value, category="troops", role="level", location="Iraq", counts="US troops", sentence="s") -> Figure:
    return Figure(value=value, text=f"{value:,}", counts=counts, category=category, role=role,
                  location=location, sentence=sentence, start=0, end=1)


def test_cut_to_from_is_one_change(canon):
    s = "The US cut troop levels in Iraq to 2,500 from about 3,000."
    events = build_events([_fig(2500, sentence=s, counts="troop levels"),
                           _fig(3000, role="previous_level", sentence=s, counts="troop levels")], JAN_15, canon)
    [change] = events
    assert change.type == "troop_level_change" and change.actor == "United States"
    # value is the amount the text states; none is stated here, so only the delta says it
    assert (change.from_value, change.to_value, change.delta, change.value) == (3000, 2500, -500, None)


def test_level_down_from_and_a_separate_level(canon):
    s = "The US now has 2,500 troops in Afghanistan, down from roughly 4,500, and 2,500 in Iraq."
    events = build_events([_fig(2500, location="Afghanistan", sentence=s),
                           _fig(4500, role="previous_level", location=None, sentence=s),
                           _fig(2500, location="Iraq", sentence=s)], JAN_15, canon)
    got = {(e.type, e.location, e.from_value, e.to_value, e.value) for e in events}
    assert got == {("troop_level_change", "Afghanistan", 4500, 2500, None), ("troop_level", "Iraq", None, None, 2500)}


def test_changes_of_two_countries_stay_apart(canon):
    s = "America will double its troops in the Philippines to about 1,000, while Australia will send 250 more."
    events = build_events([_fig(1000, location="Philippines", sentence=s), _fig(250, role="change", location="Philippines", sentence=s)],
                          JAN_15, canon, [Hint("America"), Hint("Australia")])
    got = {(e.actor, e.from_value, e.to_value, e.value) for e in events}
    assert got == {("United States", 500, 1000, None), ("Australia", None, None, 250)}


def test_amount_and_new_level_in_neighbouring_sentences_are_one_change(canon):
    a = "About 500 additional US troops will be stationed in Germany."
    b = "That will raise the number of US troops in Germany to about 35,500."
    events = build_events([_fig(500, role="change", location="Germany", sentence=a),
                           _fig(35500, location="Germany", sentence=b)], JAN_15, canon)
    assert [(e.value, e.from_value, e.to_value, e.delta) for e in events] == [(500, 35000, 35500, 500)]


def test_all_of_its_troops_out_goes_to_zero(canon):
    s = "The United States will pull all of its roughly 1,000 military personnel out of Niger."
    [event] = build_events([_fig(1000, role="change", location="Niger", sentence=s)], JAN_15, canon)
    assert (event.value, event.from_value, event.to_value) == (1000, 1000, 0)


def test_casualty_actor_is_the_victims_not_the_speakers(canon):
    s = "Iraq's defence ministry said 150 militants had been killed."
    [event] = build_events([_fig(150, "killed", "other", None, "militants", s)], JAN_15, canon, [Hint("Iraq", None)])
    assert event.actor is None
    [event] = build_events([_fig(11, "killed", "other", None, "soldiers", s)], JAN_15, canon, [Hint(None, "Malian")])
    assert event.actor == "Mali"


def test_capitals_and_aliases_act_for_their_country(canon):
    assert canon.actor_country("Kyiv").canonical == "Ukraine"
    assert canon.actor_country("the Pentagon").canonical == "United States"
    assert canon.actor_country("Reuters") is None
    assert canon.place("Niger").iso_code == "NE" and canon.place("Nigerian") is None


def test_cut_by_computes_the_previous_level(canon):
    s = "The Pentagon reduced US troops in Iraq by 500 to 2,500."
    events = build_events([_fig(500, role="change", sentence=s), _fig(2500, sentence=s)], JAN_15, canon)
    change = next(e for e in events if e.type == "troop_level_change")
    assert (change.from_value, change.to_value, change.delta) == (3000, 2500, -500)


def test_halved_and_withdrawal(canon):
    halved = build_events([_fig(2500, sentence="US troops in Iraq were halved to 2,500.")], JAN_15, canon)
    assert next(e for e in halved if e.type == "troop_level_change").from_value == 5000
    s = "The US will withdraw 12,000 troops from Germany."
    out = build_events([_fig(12000, role="change", location="Germany", sentence=s)], JAN_15, canon)
    assert [(e.type, e.value, e.delta, e.location) for e in out] == [("troop_level_change", 12000, -12000, "Germany")]


def test_same_fact_same_key_different_place_different_key(canon):
    a = build_events([_fig(2500, sentence="There are now 2,500 US service members in Iraq.")], JAN_15, canon)
    b = build_events([_fig(2480, sentence="Some 2,480 US troops remain in Iraq.")], JAN_15, canon)
    c = build_events([_fig(2500, location="Afghanistan", sentence="2,500 US troops in Afghanistan.")], JAN_15, canon)
    assert a[0].key == b[0].key
    assert a[0].key != c[0].key


def test_casualties_carry_their_measure(canon):
    s = "Almost 4,500 American troops have been killed and more than 32,000 injured."
    out = build_events([_fig(4500, "killed", "other", None, "American troops", s),
                        _fig(32000, "injured", "other", None, "American troops", s)], JAN_15, canon)
    assert {(e.measure, e.value, e.actor) for e in out} == {("killed", 4500, "United States"), ("injured", 32000, "United States")}


def test_sentence_dates():
    from worker.extract.timex import resolve_time

    assert resolve_time("On January 3, 2020 it happened.", JAN_15).date == datetime(2020, 1, 3, tzinfo=timezone.utc)
    assert resolve_time("At a high point in 2011 there were 98,000.", JAN_15).key() == "2011"
    since = resolve_time("Since the invasion in 2003, 4,500 died.", JAN_15)
    assert (since.precision, since.date.year, since.end.date()) == ("period", 2003, JAN_15.date())
    assert resolve_time("It happened on March 3, 2030.", JAN_15).date.date() == JAN_15.date()  # after publication: not the date


@pytest.mark.parametrize("value, expected", [(2500, "2500"), (2480, "2500"), (3000, "3000"), (98000, "98000"), (12, "12"), (0.5, "0.5"), (None, "-")])
def test_value_bucket(value, expected):
    assert bucket(value) == expected


def test_the_last_of_a_force_leaving_is_a_change_to_zero(canon):
    s = "The last of the roughly 200 American service members at the base flew out on Monday."
    [gone] = build_events([_fig(200, sentence=s, counts="American service members", location="Niger")], JAN_15, canon)
    assert (gone.type, gone.from_value, gone.to_value, gone.delta) == ("troop_level_change", 200, 0, -200)
    stayed = "The last of the roughly 200 American service members at the base guards the runway."
    [level] = build_events([_fig(200, sentence=stayed, counts="American service members", location="Niger")], JAN_15, canon)
    assert level.type == "troop_level"


def test_a_force_whose_last_members_left_ends_at_zero(canon):
    s = "About 150 French soldiers had been stationed in Timbuktu; the last of them flew out after the ceremony."
    [change] = build_events([_fig(150, role="previous_level", sentence=s, counts="French soldiers", location="Timbuktu")],
                            JAN_15, canon)
    assert (change.from_value, change.to_value) == (150, 0)


def test_an_organisation_that_owns_the_force_is_its_actor(canon):
    s = "The UN peacekeeping mission in Mali, whose roughly 12,000 troops remain, faces an uncertain future."
    [level] = build_events([_fig(12000, sentence=s, counts="troops", location="Mali")], JAN_15, canon)
    assert level.actor == "United Nations"
    wagner = "The Wagner Group has an estimated 1,500 fighters in Mali."
    [fighters] = build_events([_fig(1500, sentence=wagner, counts="fighters", location="Mali")], JAN_15,
                              canon, [Hint(actor="The Wagner Group")])
    assert fighters.actor == "Wagner Group"


def test_an_arrival_is_a_change_and_a_pledge_no_level(canon):
    landed = "About 400 Kenyan police officers landed in Haiti on Tuesday."
    [arrival] = build_events([_fig(400, sentence=landed, counts="Kenyan police officers", location="Haiti")], JAN_15, canon)
    assert (arrival.type, arrival.value, arrival.delta, arrival.actor) == ("troop_level_change", 400, 400, "Kenya")
    pledged = "Kenya has pledged 1,000 officers for the mission."
    assert build_events([_fig(1000, sentence=pledged, counts="officers", location="Haiti")], JAN_15, canon) == []


def test_where_troops_go_is_not_whose_they_are(canon):
    s = "The plan cuts the force in the region to 2,500, concentrating the remaining troops in neighbouring Chad."
    [cut] = build_events([_fig(2500, sentence=s, counts="force", location="Mali")], JAN_15, canon)
    assert cut.actor != "Chad"


def test_a_misspelling_keeps_its_first_letter_and_a_known_city_is_itself(canon):
    assert canon.resolve("Isreal", "GPE").iso_code == "IL"
    assert canon.resolve("Kerman", "GPE").canonical == "Kerman"  # one edit from "German", but a city
    assert canon.resolve("Jkraine", "GPE").canonical == "Jkraine"  # one edit from "Ukraine", but its first letter


def test_regions_are_places_of_their_own(canon):
    assert canon.place("the Sahel") == canon.place("Sahel") and canon.place("Sahel").label == "LOC"
    assert canon.place("Horn of Africa").canonical == "Horn of Africa"


def test_a_gazetteer_city_knows_its_country(canon):
    assert canon.country_of_city("Port-au-Prince").canonical == "Haiti"
    assert canon.country_of_city("Kramatorsk").iso_code == "UA"
    assert canon.country_of_city("Atlantis of the Deep") is None
