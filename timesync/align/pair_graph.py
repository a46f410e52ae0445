"""Graph helpers of :mod:`timesync.align.pairs`: union-find, rooted spanning forests, and
the greedy choice of pairs that put forest pairs on cycles (:func:`cover`).

Sources are vertices named by strings, pairs ``(a, b)`` edges. A forest pair is named by
its end farther from the root of its tree (each tree rooted at its first name).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

__all__ = ["Forest", "Pair", "child", "cover", "rooted", "tree_path"]

Pair = tuple[str, str]


class Forest:
    """Union-find over names."""

    def __init__(self, names: Sequence[str]) -> None:
        self.parent = {n: n for n in names}

    def find(self, n: str) -> str:
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def join(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[rb] = ra
        return True


def tree_path(parent: Mapping[str, str | None], depth: Mapping[str, int], a: str, b: str) -> tuple[str, ...]:
    """The forest pairs on the path from ``a`` to ``b`` (of one tree), each named by its end
    farther from the root."""
    out = []
    while a != b:
        if depth[a] < depth[b]:
            a, b = b, a
        out.append(a)
        a = parent[a]
    return tuple(out)


def child(pair: Pair, parent: Mapping[str, str | None]) -> str:
    """The end of a forest pair farther from the root (its name in :func:`tree_path`)."""
    return pair[0] if parent[pair[0]] == pair[1] else pair[1]


def cover(names: Sequence[str], tree: Sequence[Pair], candidates: Sequence[Pair],
         wanted: set[str] | None = None) -> list[tuple[Pair, tuple[str, ...]]]:
    """Pairs of ``candidates`` (strongest first, none in the forest ``tree``) that put the
    forest pairs ``wanted`` (named as in :func:`tree_path`; default all) on a cycle, with
    the wanted pairs each one covers: greedily, the candidate whose forest path holds the
    most wanted pairs not yet on a cycle first (the earlier candidate among equals), until
    no candidate adds one. Candidates joining two trees are skipped."""
    parent, depth = rooted(names, tree)
    root: dict[str, str] = {}
    for n in names:
        r = n
        while parent[r] is not None:
            r = parent[r]
        root[n] = r
    heap = []
    for rank, (a, b) in enumerate(candidates):
        if root[a] != root[b]:
            continue
        pa = tuple(e for e in tree_path(parent, depth, a, b) if wanted is None or e in wanted)
        if pa:
            heap.append((-len(pa), rank, (a, b), pa))
    heapq.heapify(heap)
    on_cycle: set[str] = set()
    goal = len(tree) if wanted is None else len(wanted)
    out = []
    while heap and len(on_cycle) < goal:
        neg, rank, pair, pa = heapq.heappop(heap)
        gain = sum(1 for e in pa if e not in on_cycle)
        if gain < -neg:  # some of its path was put on a cycle since: queue it again
            if gain:
                heapq.heappush(heap, (-gain, rank, pair, pa))
            continue
        out.append((pair, tuple(e for e in pa if e not in on_cycle)))
        on_cycle.update(pa)
    return out


def rooted(names: Sequence[str], tree: Sequence[Pair]) -> tuple[dict[str, str | None], dict[str, int]]:
    """Parent and depth of every name in the forest ``tree``, each tree rooted at its
    first name in ``names``."""
    near: dict[str, list[str]] = {n: [] for n in names}
    for a, b in tree:
        near[a].append(b)
        near[b].append(a)
    parent: dict[str, str | None] = {}
    depth: dict[str, int] = {}
    for root in names:
        if root in depth:
            continue
        parent[root], depth[root], todo = None, 0, [root]
        while todo:
            n = todo.pop()
            for m in near[n]:
                if m not in depth:
                    parent[m], depth[m] = n, depth[n] + 1
                    todo.append(m)
    return parent, depth
