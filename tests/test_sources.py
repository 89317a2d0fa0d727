"""Unit tests for worker.sources: paths, decoding, file readers and provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from worker.errors import InputError
from worker.models import Failure, RawDocument
from worker.sources.decode import decode_text, looks_binary
from worker.sources.files import expand_paths, read_file
from worker.sources.html import html_to_document
from worker.sources.metadata import Overrides, read_sidecar

LIMIT = 1_000_000

ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Troop levels fall to 2,500 in Iraq</title>
<meta name="description" content="The Pentagon says the drawdown is complete.">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article>
<h1>Troop levels fall to 2,500 in Iraq</h1>
<p>The United States has completed its reduction of troops in Iraq, leaving about 2,500 service
members in the country, the Pentagon said on Friday in a statement to reporters.</p>
<p>The acting defence secretary said the drawdown reflected the increased capabilities of the
Iraqi security forces, which have taken over most of the fight against the extremist group.</p>
<p>Officials said the smaller force would continue to advise and assist partner forces, and that
the coalition would keep a counter-terrorism platform in the country for the foreseeable future.</p>
<p>Critics in Congress warned that the cuts could leave the region more vulnerable, while
supporters said the move was long overdue after nearly two decades of war.</p>
</article>
{footer}
</body></html>
"""


def read_all(path: Path, overrides: Overrides | None = None, max_bytes: int = LIMIT) -> list:
    return list(read_file(path, overrides or Overrides(), max_bytes, roots=[path.parent]))


def only_docs(items: list) -> list[RawDocument]:
    return [item for item in items if isinstance(item, RawDocument)]


def only_failures(items: list) -> list[Failure]:
    return [item for item in items if isinstance(item, Failure)]


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- expand_paths -----------------------------------------------------------------


def test_expand_paths_recurses_folder_keeping_supported_extensions_sorted(tmp_path):
    root = tmp_path / "in"
    wanted = [
        write(root / "b.txt", "b"),
        write(root / "a.json", "{}"),
        write(root / "sub" / "c.html", "<p>c</p>"),
        write(root / "sub" / "deeper" / "d.ndjson", "{}"),
        write(root / "sub" / "e.JSONL", "{}"),
    ]
    write(root / "notes.md", "not an article")
    write(root / "sub" / "picture.png", b"\x89PNG")

    files, failures = expand_paths([root])

    assert failures == []
    assert files == sorted(wanted)


def test_expand_paths_skips_sidecars_and_dotfiles(tmp_path):
    root = tmp_path / "in"
    article = write(root / "story.txt", "text")
    write(root / "story.txt.meta.json", '{"source": "X"}')
    write(root / ".hidden.txt", "hidden")
    write(root / ".git" / "inside.txt", "in a dot folder")

    files, failures = expand_paths([root])

    assert files == [article]
    assert failures == []


def test_expand_paths_missing_path_is_a_read_failure_with_reason(tmp_path):
    missing = tmp_path / "nope" / "gone.txt"

    files, failures = expand_paths([missing])

    assert files == []
    assert len(failures) == 1
    assert failures[0].origin == str(missing)
    assert failures[0].reason == "no such file or folder"
    assert failures[0].stage == "read"


def test_expand_paths_keeps_explicit_files_in_argument_order(tmp_path):
    second = write(tmp_path / "z.txt", "z")
    first = write(tmp_path / "a.txt", "a")

    files, _ = expand_paths([str(second), first])

    assert files == [second, first]


def test_expand_paths_relative_parent_folder_finds_files(tmp_path, monkeypatch):
    article = write(tmp_path / "docs" / "a.txt", "article")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")

    files, failures = expand_paths(["../docs"])

    assert [f.resolve() for f in files] == [article.resolve()]
    assert failures == []


# --- plain text -------------------------------------------------------------------


def test_read_text_file_yields_one_text_document(tmp_path):
    path = write(tmp_path / "story.txt", "Headline\n\nFirst paragraph of the story.\n")

    items = read_all(path)

    assert len(items) == 1
    doc = items[0]
    assert isinstance(doc, RawDocument)
    assert doc.kind == "text"
    assert doc.origin == str(path)
    assert "First paragraph of the story." in doc.text
    assert doc.title is None


@pytest.mark.parametrize("name", ["empty.txt", "empty.json", "empty.ndjson", "empty.html"])
def test_empty_file_is_a_failure(tmp_path, name):
    path = write(tmp_path / name, b"")

    items = read_all(path)

    assert len(items) == 1
    assert isinstance(items[0], Failure)
    assert items[0].origin == str(path)
    assert items[0].reason == "file is empty"


def test_whitespace_only_file_is_a_failure(tmp_path):
    path = write(tmp_path / "blank.txt", "  \n\n\t \n")

    [failure] = read_all(path)

    assert isinstance(failure, Failure)
    assert failure.reason == "file is empty"


def test_binary_file_with_nul_bytes_is_a_failure(tmp_path):
    path = write(tmp_path / "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" * 20)

    [failure] = read_all(path)

    assert isinstance(failure, Failure)
    assert failure.origin == str(path)
    assert "binary" in failure.reason


def test_undecodable_bytes_are_a_failure(tmp_path):
    path = write(tmp_path / "junk.txt", bytes(range(128, 256)) * 4)

    [failure] = read_all(path)

    assert isinstance(failure, Failure)
    assert failure.origin == str(path)
    assert "cannot decode" in failure.reason


FRENCH_LONG = (
    "Le président de la République a déclaré mercredi que la sécurité des citoyens était une "
    "priorité absolue. Le ministre de l'Intérieur a précisé que les effectifs seraient renforcés "
    "dans les régions côtières. "
) * 5


def test_latin1_file_decodes_with_accents_preserved(tmp_path):
    path = write(tmp_path / "latin1.txt", FRENCH_LONG.encode("latin-1"))

    [doc] = read_all(path)

    assert isinstance(doc, RawDocument)
    assert doc.text == FRENCH_LONG
    assert "président" in doc.text and "côtières" in doc.text
    assert "\ufffd" not in doc.text


def test_short_latin1_file_keeps_its_accents(tmp_path):
    text = "Le président a déclaré que la sécurité était une priorité. Ça coûte cher, a-t-il ajouté à Genève."
    path = write(tmp_path / "short_latin1.txt", text.encode("latin-1"))

    [doc] = read_all(path)

    assert isinstance(doc, RawDocument)
    assert doc.text == text


def test_utf16_file_with_bom_decodes(tmp_path):
    text = "Troops leave the base on Friday, officials said."
    path = write(tmp_path / "utf16.txt", text.encode("utf-16"))

    [doc] = read_all(path)

    assert isinstance(doc, RawDocument)
    assert doc.text == text


def test_html_declared_charset_is_used_when_not_utf8(tmp_path):
    html = ARTICLE_HTML.replace('charset="utf-8"', 'charset="iso-8859-1"').replace(
        "Critics in Congress", "Critics in the Assemblée and Congress"
    ).format(footer="")
    path = write(tmp_path / "page.html", html.encode("latin-1"))

    [doc] = read_all(path)

    assert isinstance(doc, RawDocument)
    assert "Assemblée" in doc.text


def test_file_over_max_bytes_is_a_failure(tmp_path):
    path = write(tmp_path / "big.txt", "x" * 101)

    [failure] = read_all(path, max_bytes=100)

    assert isinstance(failure, Failure)
    assert failure.origin == str(path)
    assert "over the 100-byte limit" in failure.reason


def test_file_exactly_max_bytes_is_read(tmp_path):
    path = write(tmp_path / "fits.txt", "x" * 100)

    [doc] = read_all(path, max_bytes=100)

    assert isinstance(doc, RawDocument)
    assert doc.text == "x" * 100


# --- decode helpers ---------------------------------------------------------------


def test_looks_binary_detects_nul_and_control_bytes_but_not_text():
    assert looks_binary(b"hello\x00world")
    assert looks_binary(b"\x01\x02\x03\x04" * 10 + b"abc")
    assert not looks_binary(b"plain text\twith tab\r\nand\x0cform feed")
    assert not looks_binary("text".encode("utf-16"))


def test_decode_text_strips_utf8_bom():
    assert decode_text("x", "\ufeffHello".encode("utf-8")) == "Hello"


def test_decode_text_error_names_origin():
    with pytest.raises(InputError) as info:
        decode_text("some/file.txt", b"")
    assert info.value.origin == "some/file.txt"
    assert str(info.value) == "some/file.txt: file is empty"


# --- HTML -------------------------------------------------------------------------


def test_read_html_page_gives_title_description_and_main_text(tmp_path):
    path = write(tmp_path / "page.html", ARTICLE_HTML.format(footer=""))

    [doc] = read_all(path)

    assert isinstance(doc, RawDocument)
    assert doc.kind == "html"
    assert doc.origin == str(path)
    assert doc.title == "Troop levels fall to 2,500 in Iraq"
    assert doc.standfirst == "The Pentagon says the drawdown is complete."
    assert "leaving about 2,500 service" in doc.text
    assert "nearly two decades of war" in doc.text
    assert "Home" not in doc.text


def test_html_without_main_text_is_an_input_error():
    with pytest.raises(InputError) as info:
        html_to_document("empty.html", "<html><head><title>Nothing</title></head><body></body></html>")
    assert info.value.origin == "empty.html"


def test_html_copyright_year_is_not_a_publication_date():
    html = ARTICLE_HTML.format(footer="<footer>Copyright 2021 Example News</footer>")

    doc = html_to_document("page.html", html)

    assert doc.published is None


# --- JSON -------------------------------------------------------------------------


def test_json_object_is_one_document_with_its_fields(tmp_path):
    record = {
        "title": "Pentagon cuts troops",
        "body": "There are now 2,500 US service members in Iraq.",
        "url": "https://example.com/a",
        "source": "Example News",
        "published": "2021-01-15T10:00:00Z",
        "authors": ["Jane Doe", 7, " "],
        "description": "A summary.",
    }
    path = write(tmp_path / "one.json", json.dumps(record))

    [doc] = read_all(path)

    assert isinstance(doc, RawDocument)
    assert doc.kind == "json"
    assert doc.origin == f"{path}#1"
    assert doc.text == record["body"]
    assert doc.title == "Pentagon cuts troops"
    assert doc.standfirst == "A summary."
    assert doc.url == "https://example.com/a"
    assert doc.source == "Example News"
    assert doc.published == "2021-01-15T10:00:00Z"
    assert doc.authors == ["Jane Doe"]


def test_json_list_accepts_body_text_and_content_keys(tmp_path):
    records = [{"body": "from body"}, {"text": "from text"}, {"content": "from content"}]
    path = write(tmp_path / "list.json", json.dumps(records))

    docs = read_all(path)

    assert [d.text for d in docs] == ["from body", "from text", "from content"]
    assert [d.origin for d in docs] == [f"{path}#1", f"{path}#2", f"{path}#3"]


def test_json_articles_wrapper_is_unpacked(tmp_path):
    path = write(tmp_path / "wrapped.json", json.dumps({"articles": [{"body": "one"}, {"body": "two"}]}))

    docs = read_all(path)

    assert [d.text for d in docs] == ["one", "two"]


def test_json_numeric_published_becomes_string(tmp_path):
    path = write(tmp_path / "epoch.json", json.dumps({"body": "x", "date": 1610704800}))

    [doc] = read_all(path)

    assert doc.published == "1610704800"


def test_json_record_without_text_is_a_failure_naming_the_record(tmp_path):
    records = [{"body": "good one"}, {"title": "no text here", "body": "   "}, {"body": "good two"}]
    path = write(tmp_path / "mixed.json", json.dumps(records))

    items = read_all(path)

    assert [d.text for d in only_docs(items)] == ["good one", "good two"]
    [failure] = only_failures(items)
    assert failure.origin == f"{path}#2"
    assert "no article text" in failure.reason
    assert failure.stage == "read"


def test_json_non_object_record_is_a_failure(tmp_path):
    path = write(tmp_path / "odd.json", json.dumps([{"body": "ok"}, "just a string"]))

    items = read_all(path)

    [failure] = only_failures(items)
    assert failure.origin == f"{path}#2"
    assert "expected a JSON object" in failure.reason
    assert len(only_docs(items)) == 1


def test_malformed_json_is_one_failure_naming_the_file(tmp_path):
    path = write(tmp_path / "broken.json", '[{"body": "ok"}, {"body": ')

    items = read_all(path)

    assert len(items) == 1
    assert isinstance(items[0], Failure)
    assert items[0].origin == str(path)
    assert "malformed JSON" in items[0].reason


def test_json_empty_list_is_a_failure(tmp_path):
    path = write(tmp_path / "none.json", "[]")

    [failure] = read_all(path)

    assert isinstance(failure, Failure)
    assert failure.reason == "contains no articles"


def test_json_scalar_top_level_is_a_failure(tmp_path):
    path = write(tmp_path / "scalar.json", "42")

    [failure] = read_all(path)

    assert isinstance(failure, Failure)
    assert "expected an object or a list of objects" in failure.reason


# --- NDJSON -----------------------------------------------------------------------


def test_ndjson_bad_line_is_a_failure_and_other_lines_still_read(tmp_path):
    lines = ['{"body": "first"}', '{"body": oops}', "", '{"body": "fourth"}']
    path = write(tmp_path / "feed.ndjson", "\n".join(lines) + "\n")

    items = read_all(path)

    docs = only_docs(items)
    assert [d.text for d in docs] == ["first", "fourth"]
    assert [d.origin for d in docs] == [f"{path}:1", f"{path}:4"]
    [failure] = only_failures(items)
    assert failure.origin == f"{path}:2"
    assert "malformed JSON" in failure.reason


def test_ndjson_record_without_text_is_a_failure_for_its_line(tmp_path):
    path = write(tmp_path / "feed.jsonl", '{"body": "ok"}\n{"title": "no body"}\n')

    items = read_all(path)

    [failure] = only_failures(items)
    assert failure.origin == f"{path}:2"
    assert "no article text" in failure.reason


def test_ndjson_line_with_unicode_line_separator_in_a_string_is_one_record(tmp_path):
    record = {"title": "T", "body": "Part one\u2028part two of the same paragraph"}
    path = write(tmp_path / "u2028.ndjson", json.dumps(record, ensure_ascii=False) + "\n")

    items = read_all(path)

    assert only_failures(items) == []
    assert [d.text for d in only_docs(items)] == [record["body"]]


# --- provenance: sidecar and CLI overrides ----------------------------------------


def test_cli_overrides_fill_gaps_of_a_text_document(tmp_path):
    path = write(tmp_path / "story.txt", "Some article text.")

    [doc] = read_all(path, Overrides(source="CLI News", published="2021-01-15"))

    assert doc.source == "CLI News"
    assert doc.published == "2021-01-15"


def test_sidecar_overrides_source_and_published(tmp_path):
    path = write(tmp_path / "story.txt", "Some article text.")
    write(tmp_path / "story.txt.meta.json", json.dumps({"source": "Sidecar News", "published": "2021-01-15"}))

    [doc] = read_all(path, Overrides(source="CLI News", published="1999-01-01"))

    assert doc.source == "Sidecar News"
    assert doc.published == "2021-01-15"


def test_json_record_source_beats_cli_default(tmp_path):
    records = [{"body": "a", "source": "Record News"}, {"body": "b"}]
    path = write(tmp_path / "recs.json", json.dumps(records))

    docs = read_all(path, Overrides(source="CLI News"))

    assert [d.source for d in docs] == ["Record News", "CLI News"]


def test_sidecar_beats_json_record_and_cli(tmp_path):
    records = [{"body": "a", "source": "Record News", "published": "2020-05-05"}, {"body": "b"}]
    path = write(tmp_path / "recs.json", json.dumps(records))
    write(tmp_path / "recs.json.meta.json", json.dumps({"source": "Sidecar News"}))

    docs = read_all(path, Overrides(source="CLI News", published="1999-01-01"))

    assert [d.source for d in docs] == ["Sidecar News", "Sidecar News"]
    # the sidecar says nothing about dates: the record's own date beats the CLI default
    assert [d.published for d in docs] == ["2020-05-05", "1999-01-01"]


def test_sidecar_single_author_string_becomes_list(tmp_path):
    path = write(tmp_path / "story.txt", "text")
    write(tmp_path / "story.txt.meta.json", json.dumps({"authors": "Jane Doe", "unknown_key": 1}))

    sidecar = read_sidecar(path, [tmp_path], 1 << 20)

    assert sidecar is not None
    assert sidecar.authors == ["Jane Doe"]
    assert sidecar.authoritative is True


def test_unreadable_sidecar_is_a_failure_naming_the_sidecar(tmp_path):
    path = write(tmp_path / "story.txt", "text")
    meta = write(tmp_path / "story.txt.meta.json", "{not json")

    [failure] = read_all(path)

    assert isinstance(failure, Failure)
    assert failure.origin == str(meta)
    assert "unreadable sidecar metadata" in failure.reason


def test_sidecar_that_is_not_an_object_is_a_failure(tmp_path):
    path = write(tmp_path / "story.txt", "text")
    meta = write(tmp_path / "story.txt.meta.json", '["source"]')

    [failure] = read_all(path)

    assert isinstance(failure, Failure)
    assert failure.origin == str(meta)
    assert failure.reason == "sidecar must be a JSON object"
