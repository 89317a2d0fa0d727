"""Figures whose sentence left their noun out (worker/extract/ellipsis.py): pure."""

from __future__ import annotations

from worker.extract.ellipsis import classify, fill_ellipses
from worker.models import Figure


def fig(value: float, sentence: str, text: str, counts: str = "", category="other", role="other") -> Figure:
    start = sentence.find(text)
    return Figure(value=value, text=text, counts=counts, category=category, role=role, sentence=sentence,
                  start=start, end=start + len(text))


def test_the_of_the_phrase_names_what_the_bare_numbers_count():
    s = "Of the troops leaving Germany, about 6,400 will be brought home and about 5,600 will be repositioned."
    home, moved = fill_ellipses([fig(6400, s, "6,400"), fig(5600, s, "5,600")])
    assert (home.category, home.counts) == ("troops", "troops") and (moved.category, moved.counts) == ("troops", "troops")
    passengers = "Of the passengers, 173 were Korean nationals."
    [korean] = fill_ellipses([fig(173, passengers, "173")])
    assert (korean.category, korean.counts) == ("people", "passengers")


def test_a_bare_number_continuing_a_count_counts_the_same():
    first = fig(4100, "About 4,100 Marines will go to Guam.", "4,100", counts="Marines", category="troops", role="level")
    another = fig(1300, "Another 1,300 are to move to Darwin.", "1,300")
    small = fig(23, "Ryan Knauss, 23, of Tennessee, was among them.", "23")
    _, more, age = fill_ellipses([first, another, small])
    assert (more.category, more.counts) == ("troops", "Marines")
    assert age.category == "other"  # a small bare number is an age, not more Marines


def test_names_and_populations_are_not_continued_counts():
    first = fig(181, "The jet carried 181 people.", "181", counts="people", category="people", role="level")
    model = fig(737, "It was a Boeing 737-800 operated by Jeju Air.", "737")
    town = fig(154000, "The island has a population of about 154,000.", "154,000")
    _, plane, island = fill_ellipses([first, model, town])
    assert plane.category == "other" and island.category == "other"


def test_people_among_the_dead_were_killed():
    s = "Four children were among the dead, the governor said."
    [children] = fill_ellipses([fig(4, s, "Four", counts="children", category="people")])
    assert children.category == "killed"


def test_classify_by_head_noun():
    assert classify("Kenyan police officers") == "troops"
    assert classify("bodies") == "killed"
    assert classify("refugees") == "people"
    assert classify("lorries") == "other"


def test_a_part_of_a_force_that_moves_is_a_change_and_the_force_the_level_before():
    s = "About 3,000 of the roughly 8,000 sailors now based in Naples are to be moved to Rota."
    part, whole = fill_ellipses([fig(3000, s, "3,000", counts="sailors", category="troops", role="level"),
                                 fig(8000, s, "8,000", counts="sailors", category="troops", role="level")])
    assert (part.role, whole.role) == ("change", "previous_level")
    stay = "About 3,000 of the roughly 8,000 sailors in Naples live on the base."
    part, whole = fill_ellipses([fig(3000, stay, "3,000", counts="sailors", category="troops", role="level"),
                                 fig(8000, stay, "8,000", counts="sailors", category="troops", role="level")])
    assert (part.role, whole.role) == ("level", "level")


def test_the_pieces_of_a_movement_are_changes():
    s = "Of the 2,000 marines leaving, about 1,200 will go home and some 800 will move to Cyprus."
    _, home, cyprus = fill_ellipses([fig(2000, s, "2,000", counts="marines", category="troops", role="level"),
                                     fig(1200, s, "1,200"), fig(800, s, "800")])
    assert (home.category, home.role) == ("troops", "change") and cyprus.role == "change"


def test_a_bare_count_of_troops_is_a_level_and_of_people_keeps_its_role():
    uganda = fig(6200, "Uganda has about 6,200 troops there.", "6,200", counts="troops", category="troops", role="level")
    burundi = fig(3000, "Burundi contributes about 3,000.", "3,000")
    [_, more] = fill_ellipses([uganda, burundi])
    assert (more.category, more.role) == ("troops", "level")
    crowd = fig(500, "About 500 people marched.", "500", counts="people", category="people", role="other")
    later = fig(300, "Another 300 joined them later.", "300")
    [_, joined] = fill_ellipses([crowd, later])
    assert (joined.category, joined.role) == ("people", "other")
