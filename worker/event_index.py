"""Near-duplicate links and rollup windows for a batch: a thin shell over worker.duplicates,
worker.rollup and the store's lookups, called by ingest before and after it indexes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .duplicates import Signature, link, near
from .models import Article
from .rollup import Mention, Window
from .rollup import windows_of as rollup_windows
from .store.base import ArticleStore


def link_duplicates(store: ArticleStore, articles: Sequence[Article]) -> tuple[list[Article], dict[str, str | None]]:
    """The batch with ``duplicate_of`` set, and the stored articles whose original changed."""
    signatures = [signature_of(a) for a in articles]
    wanted = [b for s in signatures for b in s.bands]
    batch_ids = {a.id for a in articles}
    originals = [s for s in store.signatures_near(wanted) if s.id not in batch_ids] if wanted else []
    changes = link(signatures, originals)
    demoted = {k: v for k, v in changes.items() if k not in batch_ids and v is not None}
    known = {s.id: s for s in [*signatures, *originals]}
    for original, copies in store.copies_of(sorted(demoted)).items():
        changes.update(_repointed([c for c in copies if c not in batch_ids], known[demoted[original]], store))
    linked = [a.model_copy(update={"duplicate_of": changes.get(a.id, a.duplicate_of)}) for a in articles]
    return linked, {k: v for k, v in changes.items() if k not in batch_ids}


def signature_of(article: Article) -> Signature:
    return Signature.of(article.id, article.body, article.published_at, article.duplicate_of, article.figures,
                        article.entities)


def _repointed(copies: list[str], original: Signature, store: ArticleStore) -> dict[str, str | None]:
    """A demoted original's copies follow it to the older original when they are near that one
    too; the others become originals: a copy is always near its own original, never a chain."""
    out: dict[str, str | None] = {}
    for id_ in copies:
        article = store.get(id_)
        if article is not None:
            out[id_] = original.id if near(signature_of(article), original) else None
    return out


def windows_of(articles: Iterable[Article]) -> list[Window]:
    """The rollup windows these articles' events touch (new articles and the stored versions they
    replace): each group from the earliest date among them on."""
    return rollup_windows(Mention(article_id=a.id, published_at=a.published_at, event=e) for a in articles for e in a.events)
