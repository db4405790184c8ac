"""Threads whose parts arrive out of order: link replies to parents that came later.

Archives mostly list a parent before its replies, but not always (WordPress
sorts by post, Disqus by time, hand-edited files anyhow). Ingest writes such a
reply as if it started a thread and remembers ``(reply, parent)`` here; the
fix-up then links it, moves its descendants into the parent's thread and
refuses links that would make a loop (hostile files can contain them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from django.db.models import Q

from rapport.accounts.models import Workspace
from rapport.inbox.models import Item
from rapport.publish.models import Post

if TYPE_CHECKING:
    from rapport.inbox.ingest import IngestSummary


class ItemRef(NamedTuple):
    """What a reply needs to know about its parent: ids of the row, its thread, its post."""

    id: int
    root_id: int
    post_id: int | None


def link_batch(
    *,
    parents: dict[str, str],
    ids: dict[str, int],
    posts: dict[str, int | None],
    known: Callable[[str], ItemRef | None],
    deferred: DeferredParents,
) -> dict[str, tuple[int | None, ItemRef]]:
    """Parent id and thread of every item of a batch whose ids are already reserved.

    ``parents`` maps each item to its parent's source id ("" for none); a parent
    in the batch may come before or after its reply; ``known`` finds parents
    written earlier. A parent not found yet, or a loop, is left to ``deferred``.
    Iterative, so a hostile thousand-deep chain cannot exhaust the stack.
    """
    done: dict[str, tuple[int | None, ItemRef]] = {}
    for start in parents:
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        above: ItemRef | None = None
        node = start
        while True:
            path.append(node)
            on_path.add(node)
            parent = parents[node]
            if not parent or parent == node:
                break
            if parent in done:
                above = done[parent][1]
                break
            if parent in parents:
                if parent in on_path:
                    deferred.add(node, parent)
                    break
                node = parent
                continue
            above = known(parent)
            if above is None:
                deferred.add(node, parent)
            break
        for node in reversed(path):
            pk = ids[node]
            if above is None:
                ref = ItemRef(pk, pk, posts[node])
                done[node] = (None, ref)
            else:
                post = posts[node] if posts[node] is not None else above.post_id
                ref = ItemRef(pk, above.root_id, post)
                done[node] = (above.id, ref)
            above = ref
    return done


class DeferredParents:
    def __init__(self, *, workspace: Workspace, source: str, summary: IngestSummary) -> None:
        self.workspace = workspace
        self.source = source
        self.summary = summary
        self._pairs: list[tuple[str, str]] = []
        self._posts: list[tuple[str, str]] = []

    def __len__(self) -> int:
        return len(self._pairs) + len(self._posts)

    def add_post(self, item_source_id: str, post_source_id: str) -> None:
        self._posts.append((item_source_id, post_source_id))

    def add(self, child_source_id: str, parent_source_id: str) -> None:
        self._pairs.append((child_source_id, parent_source_id))

    def fix(self, *, final: bool) -> int:
        """Link every reply whose parent now exists; return how many were linked.

        With ``final`` the replies whose parent never came stay thread starts and
        are counted as orphans; otherwise they wait for a later call.
        """
        self._fix_posts(final=final)
        pairs, self._pairs = self._pairs, []
        linked = 0
        for child_sid, parent_sid in pairs:
            child = self._ref(child_sid)
            parent = self._ref(parent_sid)
            if child is None:
                continue
            if parent is None:
                if final:
                    self.summary.orphans += 1
                else:
                    self._pairs.append((child_sid, parent_sid))
                continue
            if parent.root_id == child.id:  # the parent sits below the reply: a loop
                self.summary.orphans += 1
                continue
            Item.objects.filter(pk=child.id).update(
                parent_id=parent.id,
                root_id=parent.root_id,
                post_id=child.post_id if child.post_id is not None else parent.post_id,
            )
            Item.objects.filter(root_id=child.id).update(root_id=parent.root_id)
            if parent.post_id is not None:
                Item.objects.filter(Q(root_id=parent.root_id), post__isnull=True).update(
                    post_id=parent.post_id
                )
            linked += 1
        return linked

    def _fix_posts(self, *, final: bool) -> None:
        """Attach items to posts that came after them; their threads follow."""
        pairs, self._posts = self._posts, []
        for item_sid, post_sid in pairs:
            post_id = (
                Post.objects.filter(
                    workspace=self.workspace, source=self.source, source_id=post_sid
                )
                .values_list("id", flat=True)
                .first()
            )
            if post_id is None:
                if not final:
                    self._posts.append((item_sid, post_sid))
                continue
            child = self._ref(item_sid)
            if child is not None:
                Item.objects.filter(pk=child.id).update(post_id=post_id)
                Item.objects.filter(root_id=child.id, post__isnull=True).update(post_id=post_id)

    def _ref(self, source_id: str) -> ItemRef | None:
        row = (
            Item.objects.filter(workspace=self.workspace, source=self.source, source_id=source_id)
            .values_list("id", "root_id", "post_id")
            .first()
        )
        if row is None:
            return None
        return ItemRef(row[0], row[1] or row[0], row[2])
