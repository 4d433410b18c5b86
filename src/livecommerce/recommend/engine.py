"""The recommender and its baselines, on arrays of interactions (no database here).

An interaction is (user, item, category, action weight, time), users/items/categories
as dense integer indexes. The product's recommender blends what simple baselines teach
(a user's own repeated and recent items), item-to-item co-occurrence and transitions
(item-kNN on scipy sparse matrices), category affinity and popularity.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from scipy import sparse

IntArray = npt.NDArray[np.signedinteger[Any]]  # 4-byte indexes, 8-byte times
FloatArray = npt.NDArray[np.float64]
T = TypeVar("T", bound=Hashable)

NEIGHBOURS = 50  # kept per item in the similarity matrices
TOP_CATEGORIES = 10  # a user's strongest categories whose most popular items are candidates
EXPLORE_BLOCK = 10  # a viewer's list is read in blocks of this many places (a screen of picks)


@dataclass(frozen=True)
class Params:
    """The blend's settings. `evaluate` can choose them on a validation split cut from the
    training events (each user's second-to-last event), never on the test targets."""

    half_life_events: float = 4.0  # a user's interest in an item halves every 4 later events
    cat_w: tuple[float, float, float, float] = (1.0, 0.3, 0.1, 0.01)
    # personal, sequence, co-occurrence, popularity
    item_w: tuple[float, float, float, float, float] = (0.6, 0.5, 0.3, 0.02, 1.5)
    # sequence, co-occurrence, category, popularity, personal
    recency_w: tuple[float, float] = (0.0, 0.0)  # categories, items: the last touch alone
    recency_half_life: float = 1.0  # in distinct columns touched since
    # Of every EXPLORE_BLOCK places in a viewer's item list, the last `explore_slots` go to
    # the best items new to the viewer (discovery beside what they already know).
    explore_slots: int = 2


DEFAULT_PARAMS = Params()


@dataclass
class Interactions:
    user: IntArray
    item: IntArray
    category: IntArray  # per interaction
    weight: FloatArray
    ts: IntArray
    n_users: int
    n_items: int
    n_categories: int
    item_category: IntArray  # per item
    _positions: IntArray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # Indexes in 4 bytes (fewer than 2**31 users, items, categories), weights and times
        # in 8: at ten million events, 280 MB instead of 400 MB per copy.
        self.item_category = np.asarray(self.item_category, dtype=np.int32)
        for name in ("user", "item", "category"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.int32))
        # Sorted by user, then time, then original order: positions count events per user.
        order = np.lexsort((np.arange(len(self.user)), self.ts, self.user))
        for name in ("user", "item", "category", "weight", "ts"):
            setattr(self, name, getattr(self, name)[order])

    def __len__(self) -> int:
        return len(self.user)

    def subset(self, keep: npt.NDArray[np.bool_]) -> Interactions:
        return Interactions(
            self.user[keep],
            self.item[keep],
            self.category[keep],
            self.weight[keep],
            self.ts[keep],
            self.n_users,
            self.n_items,
            self.n_categories,
            self.item_category,
        )

    def positions_from_end(self) -> IntArray:
        """0 for each user's last event, 1 for the one before, ... (computed once)."""
        if self._positions is None:
            counts = np.bincount(self.user, minlength=self.n_users)
            ends = np.cumsum(counts)
            self._positions = (ends[self.user] - 1 - np.arange(len(self.user))).astype(np.int32)
        return self._positions


def _personal(
    data: Interactions, columns: IntArray, n_columns: int, half_life: float
) -> sparse.csr_matrix:
    """Users × columns: each event's action weight, halved every `half_life` later events."""
    decay = np.power(0.5, data.positions_from_end() / half_life)
    return sparse.csr_matrix(
        (data.weight * decay, (data.user, columns)), shape=(data.n_users, n_columns)
    )


def _counts(data: Interactions, columns: IntArray, n_columns: int) -> sparse.csr_matrix:
    return sparse.csr_matrix((data.weight, (data.user, columns)), shape=(data.n_users, n_columns))


def _latest(data: Interactions, columns: IntArray, n_columns: int) -> sparse.csr_matrix:
    """Users × columns: how recent each user's last touch of a column is (higher is later)."""
    stamp = (len(data) - data.positions_from_end()).astype(np.float64)
    matrix = sparse.coo_matrix((stamp, (data.user, columns)), shape=(data.n_users, n_columns))
    # Keep the maximum per cell: sort so the last written wins in a dict-free way.
    frame = np.lexsort((matrix.data, matrix.col, matrix.row))
    rows, cols, vals = matrix.row[frame], matrix.col[frame], matrix.data[frame]
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sparse.csr_matrix(
        (vals[last], (rows[last], cols[last])), shape=(data.n_users, n_columns)
    )


def _row_of_entries(matrix: sparse.csr_matrix) -> IntArray:
    return np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))


def _top_per_row(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Each row's `keep` largest entries (ties to the lower column), in one vectorised pass."""
    matrix = sparse.csr_matrix(matrix)
    matrix.sum_duplicates()
    if matrix.nnz == 0:
        return sparse.csr_matrix(matrix.shape)
    matrix = _at_least_kth(matrix, keep)
    rows = _row_of_entries(matrix)
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    rank = np.arange(len(order)) - matrix.indptr[rows[order]]
    chosen = order[rank < keep]
    return sparse.csr_matrix(
        (matrix.data[chosen], (rows[chosen], matrix.indices[chosen])), shape=matrix.shape
    )


def _top_neighbours(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Each row's `keep` largest entries (the neighbour lists): rows that are short enough
    are kept whole at once, only the longer ones are cut (argpartition, row by row)."""
    matrix = sparse.csr_matrix(matrix)
    lengths = np.diff(matrix.indptr)
    rows = _row_of_entries(matrix)
    whole = lengths[rows] <= keep
    out_rows, out_cols, out_vals = [rows[whole]], [matrix.indices[whole]], [matrix.data[whole]]
    for row in np.flatnonzero(lengths > keep):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        values = matrix.data[start:end]
        chosen = np.argpartition(-values, keep)[:keep]
        out_rows.append(np.full(keep, row))
        out_cols.append(matrix.indices[start:end][chosen])
        out_vals.append(values[chosen])
    return sparse.csr_matrix(
        (np.concatenate(out_vals), (np.concatenate(out_rows), np.concatenate(out_cols))),
        shape=matrix.shape,
    )


PARTITION_WIDTH = 4_096  # rows up to this long are cut to their k best by one partition
GRID_CELLS = 2_000_000  # cells of the padded grid partitioned at once (16 MB)


def _at_least_kth(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """The entries of each row at least as large as the row's `keep`-th largest (ties
    included): what a full sort would rank first, found by one partition of a padded grid."""
    lengths = np.diff(matrix.indptr)
    if keep <= 0 or not len(lengths) or lengths.max(initial=0) <= keep:
        return matrix
    width = int(min(lengths.max(), PARTITION_WIDTH))
    rows = _row_of_entries(matrix)
    position = np.arange(matrix.nnz) - matrix.indptr[rows]
    kth = np.full(matrix.shape[0], -np.inf)  # rows longer than the grid are kept whole
    step = max(GRID_CELLS // width, 1)
    for start in range(0, matrix.shape[0], step):
        stop = min(start + step, matrix.shape[0])
        span = slice(matrix.indptr[start], matrix.indptr[stop])
        inside = position[span] < width
        grid = np.full((stop - start, width), -np.inf)
        grid[rows[span][inside] - start, position[span][inside]] = matrix.data[span][inside]
        short = lengths[start:stop] <= width
        cut = -np.partition(-grid, keep - 1, axis=1)[:, keep - 1]
        kth[start:stop][short] = cut[short]
    chosen = matrix.data >= kth[rows]
    return sparse.csr_matrix(
        (matrix.data[chosen], (rows[chosen], matrix.indices[chosen])), shape=matrix.shape
    )


def _ranked_rows(matrix: sparse.csr_matrix, keep: int) -> list[list[int]]:
    """Each row's `keep` best columns, best first (ties to the lower column)."""
    matrix = sparse.csr_matrix(matrix)
    matrix.sum_duplicates()
    matrix = _at_least_kth(matrix, keep)
    rows = _row_of_entries(matrix)
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    rank = np.arange(len(order)) - matrix.indptr[rows[order]]
    chosen = order[rank < keep]
    chosen = chosen[np.isfinite(matrix.data[chosen]) & (matrix.data[chosen] > 0)]
    columns = matrix.indices[chosen].tolist()
    bounds = np.searchsorted(rows[chosen], np.arange(matrix.shape[0] + 1)).tolist()
    return [columns[bounds[n] : bounds[n + 1]] for n in range(matrix.shape[0])]


def _lookup(matrix: sparse.csr_matrix, rows: IntArray, columns: IntArray) -> FloatArray:
    """matrix[rows[n], columns[n]] for every n, vectorised (0 where nothing is stored)."""
    matrix = sparse.csr_matrix(matrix)
    matrix.sum_duplicates()
    width = np.int64(matrix.shape[1])
    keys = _row_of_entries(matrix) * width + matrix.indices
    wanted = rows.astype(np.int64) * width + columns
    out = np.zeros(len(wanted), dtype=np.float64)
    if not len(keys):
        return out
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    hit = keys[at] == wanted
    out[hit] = matrix.data[at[hit]]
    return out


SIMILARITY_BLOCK = 20_000  # columns whose co-occurrence is computed (and pruned) at once
SIMILARITY_PAIRS = 4_000_000  # ... unless their co-occurring pairs would be more than this


def _similarity_blocks(binary: sparse.csr_matrix, by_column: sparse.csr_matrix) -> list[int]:
    """Where blocks of columns start: at most SIMILARITY_BLOCK columns, and (but for a
    single column) at most SIMILARITY_PAIRS pairs, bounded by the sum of each column's
    users' row lengths, so a block of popular columns stays as small as a block of rare."""
    n = binary.shape[1]
    row_lengths = np.diff(binary.indptr).astype(np.float64)
    pairs = np.cumsum(by_column @ row_lengths)
    starts = [0]
    while starts[-1] < n:
        start = starts[-1]
        before = pairs[start - 1] if start else 0.0
        fit = int(np.searchsorted(pairs, before + SIMILARITY_PAIRS, side="right"))
        starts.append(min(max(fit, start + 1), start + SIMILARITY_BLOCK, n))
    return starts


def _similarity(binary: sparse.csr_matrix) -> sparse.csr_matrix:
    """Cosine co-occurrence of columns (items or categories) over users, no self-similarity;
    computed a block of columns at a time, each pruned to its NEIGHBOURS at once, so memory
    follows the kept neighbours, not every co-occurring pair."""
    binary = sparse.csr_matrix(binary, dtype=np.float64)
    n = binary.shape[1]
    degree = np.sqrt(np.asarray(binary.sum(axis=0), dtype=np.float64).ravel())
    degree[degree == 0] = 1.0
    inverse = 1.0 / degree
    by_column = binary.T.tocsr()
    parts = []
    bounds = _similarity_blocks(binary, by_column)
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        co = (by_column[start:stop] @ binary).tocoo()
        keep = co.col != co.row + start
        rows, cols = co.row[keep], co.col[keep]
        values = co.data[keep] * inverse[rows + start] * inverse[cols]
        block = sparse.csr_matrix((values, (rows, cols)), shape=(co.shape[0], n))
        parts.append(_top_neighbours(block, NEIGHBOURS))
    if not parts:
        return sparse.csr_matrix((n, n))
    return sparse.vstack(parts).tocsr()


def _transitions(data: Interactions, columns: IntArray, n_columns: int) -> sparse.csr_matrix:
    """Columns × columns: how often one follows the other in a user's stream (both ways)."""
    same_user = data.user[1:] == data.user[:-1]
    first, then = columns[:-1][same_user], columns[1:][same_user]
    moved = first != then
    first, then = first[moved], then[moved]
    ones = np.ones(len(first))
    forward = sparse.csr_matrix((ones, (first, then)), shape=(n_columns, n_columns))
    both = forward + 0.5 * forward.T
    out_degree = np.asarray(both.sum(axis=1)).ravel()
    out_degree[out_degree == 0] = 1.0
    return _top_neighbours((sparse.diags(1.0 / out_degree) @ both).tocsr(), NEIGHBOURS)


def _row_normalise(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    matrix = matrix.tocsr().astype(np.float64)
    if matrix.nnz == 0:
        return matrix
    peak = matrix.max(axis=1).toarray().ravel()
    peak[peak == 0] = 1.0
    return (sparse.diags(1.0 / peak) @ matrix).tocsr()


def _last_events(data: Interactions, columns: IntArray, n_columns: int, keep: int) -> Any:
    """Users × columns: the user's last `keep` events, the latest weighing most."""
    position = data.positions_from_end()
    recent = position < keep
    weight = np.power(0.5, position[recent].astype(np.float64))
    return sparse.csr_matrix(
        (weight, (data.user[recent], columns[recent])), shape=(data.n_users, n_columns)
    )


@dataclass
class Level:
    """Everything learnt about one level (items or categories) from the training events.

    Per-user rows from neighbours (`knn_rows`, `sequence_rows`) are computed for the users
    asked about, never for all users at once: with many users and columns they would hold
    hundreds of entries per user."""

    personal: sparse.csr_matrix  # decayed weighted interest, users × columns, row max 1
    counts: sparse.csr_matrix  # weighted frequency (the `repeat` baseline)
    latest: sparse.csr_matrix  # last touch (the `recent` baseline)
    popularity: FloatArray  # per column, normalised to max 1
    n_columns: int
    raw_personal: sparse.csr_matrix  # decayed weighted interest before normalising
    last3: sparse.csr_matrix  # the user's last three events, the latest weighing most
    similarity: sparse.csr_matrix  # columns × columns, co-occurrence neighbours
    transitions: sparse.csr_matrix  # columns × columns, what follows what

    def similar_rows(self, start: int, stop: int) -> sparse.csr_matrix:
        """Columns start..stop × columns: co-occurrence plus transitions (each row max 1)."""
        return sparse.csr_matrix(
            _row_normalise(self.similarity[start:stop])
            + _row_normalise(self.transitions[start:stop])
        )

    @cached_property
    def similar(self) -> sparse.csr_matrix:
        """`similar_rows` of every column (small data; training goes a block at a time)."""
        return self.similar_rows(0, self.n_columns)

    def knn_rows(self, users: IntArray) -> sparse.csr_matrix:
        """Users × columns from co-occurrence neighbours (row max 1)."""
        return _row_normalise(self.raw_personal[users] @ self.similarity)

    def sequence_rows(self, users: IntArray) -> sparse.csr_matrix:
        """Users × columns from what follows the user's last events (row max 1)."""
        return _row_normalise(self.last3[users] @ self.transitions)

    def recency_rows(self, users: IntArray, half_life: float) -> sparse.csr_matrix:
        """1 for the column each user touched last, halved for each later-touched one."""
        latest = sparse.csr_matrix(self.latest[users])
        if latest.nnz == 0:
            return latest
        rows = _row_of_entries(latest)
        order = np.lexsort((np.arange(latest.nnz), -latest.data, rows))
        rank = np.arange(latest.nnz) - latest.indptr[rows[order]]
        values = np.empty(latest.nnz, dtype=np.float64)
        values[order] = np.power(0.5, rank / half_life)
        return sparse.csr_matrix((values, latest.indices, latest.indptr), shape=latest.shape)

    @cached_property
    def knn(self) -> sparse.csr_matrix:
        """`knn_rows` of every user (small data: the evaluation, tests)."""
        return self.knn_rows(np.arange(self.personal.shape[0]))

    @cached_property
    def sequence(self) -> sparse.csr_matrix:
        return self.sequence_rows(np.arange(self.personal.shape[0]))


def _level(data: Interactions, columns: IntArray, n_columns: int, half_life: float) -> Level:
    personal = _personal(data, columns, n_columns, half_life)
    counts = _counts(data, columns, n_columns)
    binary = counts.copy()
    binary.data[:] = 1.0
    similarity = _similarity(binary)
    transitions = _transitions(data, columns, n_columns)
    popularity = np.asarray(binary.sum(axis=0), dtype=np.float64).ravel()
    popularity /= max(float(popularity.max(initial=0.0)), 1.0)
    return Level(
        personal=_row_normalise(personal),
        counts=counts,
        latest=_latest(data, columns, n_columns),
        popularity=popularity,
        n_columns=n_columns,
        raw_personal=personal,
        last3=_last_events(data, columns, n_columns, keep=3),
        similarity=similarity,
        transitions=transitions,
    )


def interleave(known: list[T], fresh: list[T], k: int, slots: int) -> list[T]:
    """k places: in each block of EXPLORE_BLOCK the last `slots` from `fresh`, the others
    from `known` (without what `fresh` holds); either fills in when the other runs out."""
    fresh_set = set(fresh)
    own = iter([item for item in known if item not in fresh_set])
    new = iter(fresh)
    out: list[T] = []
    for place in range(k):
        first, second = (new, own) if place % EXPLORE_BLOCK >= EXPLORE_BLOCK - slots else (own, new)
        item = next(first, None)
        if item is None:
            item = next(second, None)
        if item is None:
            break
        out.append(item)
    return out


def _top(scores: FloatArray, k: int, exclude: IntArray | None = None) -> list[int]:
    scores = scores.copy()
    if exclude is not None and len(exclude):
        scores[exclude] = -np.inf
    k = min(k, len(scores))
    if k <= 0:
        return []
    if k < len(scores):
        # Everything at least as good as the k-th best, ties included, then a stable order.
        threshold = -np.partition(-scores, k - 1)[k - 1]
        chosen = np.flatnonzero(scores >= threshold)
    else:
        chosen = np.arange(len(scores))
    chosen = chosen[np.isfinite(scores[chosen]) & (scores[chosen] > 0)]
    # Stable: ties go to the lower index, so runs repeat exactly.
    return [int(c) for c in chosen[np.lexsort((chosen, -scores[chosen]))][:k]]


class Recommender:
    """Trained on interactions; ranks items and categories for any known user."""

    def __init__(self, data: Interactions, params: Params = DEFAULT_PARAMS) -> None:
        self.data = data
        self.params = params
        self.items = _level(data, data.item, data.n_items, params.half_life_events)
        self.categories = _level(data, data.category, data.n_categories, params.half_life_events)
        self.item_category = data.item_category
        # Within a category, items by popularity: the category affinity's item pick.
        self._item_pop = self.items.popularity
        by_category = np.lexsort((np.arange(data.n_items), -self._item_pop, self.item_category))
        self._category_items = by_category  # items grouped by category, most popular first
        self._category_start = np.searchsorted(
            self.item_category[by_category], np.arange(data.n_categories + 1)
        )
        self._popular_categories = np.lexsort(
            (np.arange(data.n_categories), -self.categories.popularity)
        )
        self._popular_items = np.lexsort((np.arange(data.n_items), -self._item_pop))

    def _dense(self, matrix: sparse.csr_matrix, user: int) -> FloatArray:
        return np.asarray(matrix.getrow(user).toarray(), dtype=np.float64).ravel()

    def _recency(self, level: Level, user: int) -> FloatArray:
        """1 for the column the user touched last, halved for each later-touched one."""
        row = level.latest.getrow(user)
        out = np.zeros(level.n_columns, dtype=np.float64)
        if row.nnz:
            rank = np.argsort(np.argsort(-row.data, kind="stable"), kind="stable")
            out[row.indices] = np.power(0.5, rank / self.params.recency_half_life)
        return out

    def category_scores(self, user: int) -> FloatArray:
        level = self.categories
        CAT_W = self.params.cat_w  # noqa: N806
        if user >= self.data.n_users:
            return level.popularity.copy()
        scores = (
            CAT_W[0] * self._dense(level.personal, user)
            + CAT_W[1] * self._dense(level.sequence, user)
            + CAT_W[2] * self._dense(level.knn, user)
            + CAT_W[3] * level.popularity
        )
        if self.params.recency_w[0]:
            scores += self.params.recency_w[0] * self._recency(level, user)
        return scores

    def item_scores(self, user: int, explore: bool = False) -> FloatArray:
        level = self.items
        ITEM_W = self.params.item_w  # noqa: N806
        cats = self.category_scores(user)
        peak = float(cats.max(initial=0.0)) or 1.0
        affinity = (cats / peak)[self.item_category] * (0.2 + self._item_pop)
        if user >= self.data.n_users:
            return 0.3 * affinity + level.popularity
        scores = (
            ITEM_W[0] * self._dense(level.sequence, user)
            + ITEM_W[1] * self._dense(level.knn, user)
            + ITEM_W[2] * affinity
            + ITEM_W[3] * level.popularity
        )
        if not explore:
            scores += ITEM_W[4] * self._dense(level.personal, user)
            if self.params.recency_w[1]:
                scores += self.params.recency_w[1] * self._recency(level, user)
        return scores

    def recommend_items(self, user: int, k: int, explore: bool = False) -> list[int]:
        """A viewer's list: with `explore`, only items new to them; otherwise the blend of
        `blend_items` (their best items with places kept for discoveries)."""
        if user >= self.data.n_users:  # unknown: what is popular (one dense row)
            return _top(self.item_scores(user, explore), k)
        users = np.array([user], dtype=np.int64)
        return (self.rank_items(users, k, True) if explore else self.blend_items(users, k))[0]

    def blend_items(self, users: IntArray, k: int) -> list[list[int]]:
        """Each (known) user's list of k items: in every block of EXPLORE_BLOCK places the
        first ones follow `rank_items`, the last `explore_slots` are that user's best items
        new to them (`rank_items` exploring), each item once. When one source runs out the
        other fills the places."""
        slots = min(max(self.params.explore_slots, 0), EXPLORE_BLOCK)
        if slots == 0 or k <= 0:
            return self.rank_items(users, k)
        fresh_wanted = slots * -(-k // EXPLORE_BLOCK)
        fresh_lists = self.rank_items(users, fresh_wanted, True)
        known_lists = self.rank_items(users, k + fresh_wanted)
        return [
            interleave(known, fresh, k, slots)
            for known, fresh in zip(known_lists, fresh_lists, strict=True)
        ]

    def dense_recommend_items(self, user: int, k: int, explore: bool = False) -> list[int]:
        """`recommend_items` scoring every item (small data: what the sparse ranking must
        equal when every category's best items are candidates)."""
        seen = self.items.counts.getrow(user).indices if explore else None
        return _top(self.item_scores(user, explore), k, seen)

    def rank_items(
        self,
        users: IntArray,
        k: int,
        explore: bool = False,
        top_categories: int = TOP_CATEGORIES,
    ) -> list[list[int]]:
        """The top k items of each of these (known) users, scored as `item_scores` scores
        them, over candidates only: the items the user's own events and their neighbours
        score, the k most popular items of the user's `top_categories` strongest categories,
        and the k most popular items overall. Work and memory follow the users' events,
        never users × items. An item outside the candidates scores by category affinity and
        popularity alone, so it can only outrank them through a category weaker than the
        user's `top_categories` strongest (with every category a candidate, the ranking is
        exactly the dense one)."""
        n = len(users)
        if n == 0:
            return []
        p = self.params
        items, categories = self.items, self.categories
        cat_w, item_w = p.cat_w, p.item_w
        # Category scores: sparse part (own, sequence, neighbours), popularity everywhere.
        # (Sums are taken in `item_scores`' order, so equal scores tie exactly as there.)
        own_cats = sparse.csr_matrix(
            cat_w[0] * categories.personal[users]
            + cat_w[1] * categories.sequence_rows(users)
            + cat_w[2] * categories.knn_rows(users)
        )
        own_cats.sum_duplicates()
        recent_cats = (
            sparse.csr_matrix(p.recency_w[0] * categories.recency_rows(users, p.recency_half_life))
            if p.recency_w[0]
            else None
        )
        cat_pop = categories.popularity

        def category_score(rows: IntArray, cols: IntArray) -> FloatArray:
            score = _lookup(own_cats, rows, cols) + cat_w[3] * cat_pop[cols]
            if recent_cats is not None:
                score = score + _lookup(recent_cats, rows, cols)
            return score

        popular_cats = self._popular_categories[:top_categories]
        rows = np.concatenate(
            [_row_of_entries(own_cats), np.repeat(np.arange(n), len(popular_cats))]
        )
        cols = np.concatenate([own_cats.indices, np.tile(popular_cats, n)])
        pattern = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(n, categories.n_columns)
        )
        pattern.sum_duplicates()
        cats = sparse.csr_matrix(
            (
                category_score(_row_of_entries(pattern), pattern.indices),
                pattern.indices,
                pattern.indptr,
            ),
            shape=pattern.shape,
        )
        peak = np.asarray(cats.max(axis=1).toarray(), dtype=np.float64).ravel()
        peak[peak <= 0] = 1.0
        # Candidates: own and neighbour items, the strongest categories' best, the popular.
        neighbours = sparse.csr_matrix(
            item_w[0] * items.sequence_rows(users) + item_w[1] * items.knn_rows(users)
        )
        neighbours.sum_duplicates()
        extras: list[sparse.csr_matrix] = []
        if not explore:
            extras.append(sparse.csr_matrix(item_w[4] * items.personal[users]))
            if p.recency_w[1]:
                extras.append(
                    sparse.csr_matrix(
                        p.recency_w[1] * items.recency_rows(users, p.recency_half_life)
                    )
                )
        seen = sparse.csr_matrix(items.counts[users])
        seen.sum_duplicates()
        strongest = _top_per_row(cats, top_categories)
        strong_rows, strong_cats = _row_of_entries(strongest), strongest.indices
        starts = self._category_start[strong_cats]
        # Exploring skips the user's own items: enough of each category's best to spare them.
        wanted = k + (np.diff(seen.indptr)[strong_rows] if explore else 0)
        takes = np.minimum(self._category_start[strong_cats + 1] - starts, wanted)
        offsets = np.arange(int(takes.sum())) - np.repeat(np.cumsum(takes) - takes, takes)
        category_picks = self._category_items[np.repeat(starts, takes) + offsets]
        popular = self._popular_items[: k + (int(np.diff(seen.indptr).max()) if explore else 0)]
        rows = np.concatenate(
            [
                _row_of_entries(neighbours),
                *(_row_of_entries(extra) for extra in extras),
                np.repeat(strong_rows, takes),
                np.repeat(np.arange(n), len(popular)),
            ]
        )
        cols = np.concatenate(
            [
                neighbours.indices,
                *(extra.indices for extra in extras),
                category_picks,
                np.tile(popular, n),
            ]
        )
        pattern = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, items.n_columns))
        pattern.sum_duplicates()

        def score_at(rows: IntArray, cols: IntArray) -> FloatArray:
            affinity = (
                category_score(rows, self.item_category[cols])
                / peak[rows]
                * (0.2 + self._item_pop[cols])
            )
            scores = (
                _lookup(neighbours, rows, cols)
                + item_w[2] * affinity
                + item_w[3] * items.popularity[cols]
            )
            for extra in extras:
                scores = scores + _lookup(extra, rows, cols)
            if explore:
                scores[_lookup(seen, rows, cols) != 0] = -np.inf
            return scores

        # Every row's popular candidates bound its k-th best score from below: only the
        # candidates at least as good are ranked (ties included, so the order is unchanged).
        floor = np.full(n, -np.inf)
        if len(popular) >= k > 0:
            grid = score_at(np.repeat(np.arange(n), len(popular)), np.tile(popular, n))
            floor = -np.partition(-grid.reshape(n, len(popular)), k - 1, axis=1)[:, k - 1]
        rows, cols = _row_of_entries(pattern), pattern.indices
        scores = score_at(rows, cols)
        keep = scores >= floor[rows]
        return _ranked_rows(
            sparse.csr_matrix((scores[keep], (rows[keep], cols[keep])), shape=pattern.shape), k
        )

    def recommend_categories(self, user: int, k: int, explore: bool = False) -> list[int]:
        seen = self.categories.counts.getrow(user).indices if explore else None
        scores = self.category_scores(user)
        if explore:
            scores = scores - self.params.cat_w[0] * self._dense(self.categories.personal, user)
        return _top(scores, k, seen)

    def similar_items(self, item: int, k: int) -> list[int]:
        """People who viewed or bought this also viewed or bought (co-occurrence, transitions)."""
        row = self.items.similar.getrow(item)
        if not row.nnz:
            return []
        order = np.lexsort((row.indices, -row.data))[:k]
        return [int(i) for i in row.indices[order]]

    def all_similar_items(self, k: int) -> list[list[int]]:
        """`similar_items` of every item at once (small data)."""
        return self.similar_items_of(0, self.items.n_columns, k)

    def similar_items_of(self, start: int, stop: int, k: int) -> list[list[int]]:
        """`similar_items` of the items start..stop."""
        return _ranked_rows(self.items.similar_rows(start, stop), k)

    def audiences(
        self,
        keep: int,
        chunk: int = 20_000,
        per_user: int = 100,
        held_entries: int = 0,
    ) -> Iterator[list[tuple[int, list[int]]]]:
        """Each item's likeliest users (own interest plus neighbours'), best first (ties to
        the lower user), a range of items at a time. A user competes for the audiences of
        their `per_user` strongest items. Users are scored a chunk at a time; what they
        give each item is held as (item, user, score) arrays per range of items, a range cut
        to each item's `keep` best whenever it grows past its share of `held_entries`, so
        memory follows the kept audiences, never items × users."""
        items = self.items
        n_users, n_items = self.data.n_users, items.n_columns
        ranges = max(1, min(AUDIENCE_RANGES, n_items))
        bounds = np.linspace(0, n_items, ranges + 1).astype(np.int64)
        held: list[list[_Entries]] = [[] for _ in range(ranges)]
        sizes = [0] * ranges
        limit = max((held_entries or AUDIENCE_HELD) // ranges, keep)
        for start in range(0, n_users, chunk):
            users = np.arange(start, min(start + chunk, n_users))
            interest = _top_per_row(
                items.personal[users]
                + 0.5 * items.knn_rows(users)
                + 0.5 * items.sequence_rows(users),
                per_user,
            )
            rows = (_row_of_entries(interest) + start).astype(np.int32)
            cols = interest.indices.astype(np.int32)
            where = np.searchsorted(bounds, cols, side="right") - 1
            order = np.argsort(where, kind="stable")
            cuts = np.searchsorted(where[order], np.arange(ranges + 1))
            for part in range(ranges):
                taken = order[cuts[part] : cuts[part + 1]]
                if not len(taken):
                    continue
                held[part].append((cols[taken], rows[taken], interest.data[taken]))
                sizes[part] += len(taken)
                if sizes[part] > limit:
                    held[part] = [_best_per_item(held[part], keep)]
                    sizes[part] = len(held[part][0][0])
        for part in range(ranges):
            item, user, _score = _best_per_item(held[part], keep)
            held[part] = []
            firsts: list[int] = (
                np.flatnonzero(np.r_[True, item[1:] != item[:-1]]).tolist() if len(item) else []
            )
            ends = [*firsts[1:], len(item)]
            listed = user.tolist()
            yield [
                (int(item[first]), listed[first:end])
                for first, end in zip(firsts, ends, strict=True)
            ]


AUDIENCE_RANGES = 16  # ranges of items whose audiences are gathered (and written) apart
AUDIENCE_HELD = 40_000_000  # (item, user, score) entries held before a range is cut
_Entries = tuple[IntArray, IntArray, FloatArray]


def _best_per_item(parts: list[_Entries], keep: int) -> _Entries:
    """The entries sorted by item, score (best first) and user, each item's `keep` best."""
    if not parts:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty, np.zeros(0, dtype=np.float64)
    item = np.concatenate([part[0] for part in parts])
    user = np.concatenate([part[1] for part in parts])
    score = np.concatenate([part[2] for part in parts])
    parts.clear()
    order = np.lexsort((user, -score, item))
    item, user, score = item[order], user[order], score[order]
    del order
    firsts = np.flatnonzero(np.r_[True, item[1:] != item[:-1]])
    lengths = np.diff(np.r_[firsts, len(item)])
    rank = np.arange(len(item)) - np.repeat(firsts, lengths)
    kept = rank < keep
    return item[kept], user[kept], score[kept]


def baseline_ranking(name: str, level: Level, user: int, k: int, explore: bool) -> list[int]:
    seen = level.counts.getrow(user).indices
    exclude = seen if explore else None
    if name == "pop":
        return _top(level.popularity, k, exclude)
    matrix = level.counts if name == "repeat" else level.latest
    if explore:
        return []  # a user's own items are never new to the user
    return _top(np.asarray(matrix.getrow(user).toarray()).ravel(), k)


class AlsBaseline:
    """Implicit-feedback ALS (the `implicit` library) on a users × columns matrix."""

    def __init__(self, counts: sparse.csr_matrix, factors: int = 32, seed: int = 7) -> None:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        self.user_items = counts.tocsr().astype(np.float32)
        confidence = self.user_items.copy()
        confidence.data = 1.0 + 10.0 * confidence.data
        # implicit's advice: its own loop, one BLAS thread (it checks when the model is made)
        with threadpool_limits(1, "blas"):
            self.model = AlternatingLeastSquares(
                factors=factors,
                regularization=0.05,
                iterations=15,
                random_state=seed,
                num_threads=1,
            )
            self.model.fit(confidence, show_progress=False)

    def recommend(self, user: int, k: int, explore: bool) -> list[int]:
        ids, _scores = self.model.recommend(
            user,
            self.user_items[user],
            N=k,
            filter_already_liked_items=explore,
        )
        return [int(i) for i in ids if i >= 0]
