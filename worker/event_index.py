"""Near-duplicate links and rollup windows for a batch: a thin shell over worker.duplicates,
worker.rollup and the store's lookups, called by ingest before and after it indexes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .duplicates import Signature, bands, link
from .models import Article
from .rollup import Mention, Window
from .rollup import windows_of as rollup_windows
from .store.base import ArticleStore


def link_duplicates(store: ArticleStore, articles: Sequence[Article]) -> tuple[list[Article], dict[str, str | None]]:
    """The batch with ``duplicate_of`` set, and the stored articles whose original changed."""
    signatures = [Signature(id=a.id, text=a.body, published_at=a.published_at, duplicate_of=a.duplicate_of)
                  for a in articles]
    wanted = [b for a in articles for b in bands(a.body)]
    batch_ids = {a.id for a in articles}
    originals = [s for s in store.signatures_near(wanted) if s.id not in batch_ids] if wanted else []
    changes = link(signatures, originals)
    demoted = {k: v for k, v in changes.items() if k not in batch_ids and v is not None}
    for original, copies in store.copies_of(sorted(demoted)).items():
        changes.update({c: demoted[original] for c in copies if c not in batch_ids})
    linked = [a.model_copy(update={"duplicate_of": changes.get(a.id, a.duplicate_of)}) for a in articles]
    return linked, {k: v for k, v in changes.items() if k not in batch_ids}


def windows_of(articles: Iterable[Article]) -> list[Window]:
    """The rollup windows these articles' events touch (new articles and the stored versions they
    replace): each group from the earliest date among them on."""
    return rollup_windows(Mention(article_id=a.id, published_at=a.published_at, event=e) for a in articles for e in a.events)
