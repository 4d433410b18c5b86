"""The recommender and its baselines, on arrays of interactions (no database here).

An interaction is (user, item, category, action weight, time), users/items/categories
as dense integer indexes. The product's recommender blends what simple baselines teach
(a user's own repeated and recent items), item-to-item co-occurrence and transitions
(item-kNN on scipy sparse matrices), category affinity and popularity.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

NEIGHBOURS = 50  # kept per item in the similarity matrices


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

    def __post_init__(self) -> None:
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
        """0 for each user's last event, 1 for the one before, ..."""
        counts = np.bincount(self.user, minlength=self.n_users)
        ends = np.cumsum(counts)
        return (ends[self.user] - 1 - np.arange(len(self.user))).astype(np.int64)


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


def _top_neighbours(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Each row's `keep` largest entries."""
    matrix = matrix.tocsr()
    rows, cols, vals = [], [], []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        if start == end:
            continue
        values = matrix.data[start:end]
        columns = matrix.indices[start:end]
        if end - start > keep:
            chosen = np.argpartition(-values, keep)[:keep]
            values, columns = values[chosen], columns[chosen]
        rows.append(np.full(len(values), row))
        cols.append(columns)
        vals.append(values)
    if not rows:
        return sparse.csr_matrix(matrix.shape)
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=matrix.shape
    )


def _similarity(binary: sparse.csr_matrix) -> sparse.csr_matrix:
    """Cosine co-occurrence of columns (items or categories) over users, no self-similarity."""
    co = (binary.T @ binary).tocsr().astype(np.float64)
    degree = np.sqrt(np.asarray(co.diagonal(), dtype=np.float64))
    degree[degree == 0] = 1.0
    co.setdiag(0)
    co.eliminate_zeros()
    scale = sparse.diags(1.0 / degree)
    return _top_neighbours((scale @ co @ scale).tocsr(), NEIGHBOURS)


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
    """Everything learnt about one level (items or categories) from the training events."""

    personal: sparse.csr_matrix  # decayed weighted interest, users × columns
    counts: sparse.csr_matrix  # weighted frequency (the `repeat` baseline)
    latest: sparse.csr_matrix  # last touch (the `recent` baseline)
    knn: sparse.csr_matrix  # users × columns from co-occurrence neighbours
    sequence: sparse.csr_matrix  # users × columns from what follows the last events
    popularity: FloatArray  # per column, normalised to max 1
    n_columns: int
    similar: sparse.csr_matrix  # columns × columns: co-occurrence plus transitions


def _level(data: Interactions, columns: IntArray, n_columns: int, half_life: float) -> Level:
    personal = _personal(data, columns, n_columns, half_life)
    counts = _counts(data, columns, n_columns)
    binary = counts.copy()
    binary.data[:] = 1.0
    similarity = _similarity(binary)
    transitions = _transitions(data, columns, n_columns)
    knn = _row_normalise(personal @ similarity)
    sequence = _row_normalise(_last_events(data, columns, n_columns, keep=3) @ transitions)
    popularity = np.asarray(binary.sum(axis=0), dtype=np.float64).ravel()
    popularity /= max(float(popularity.max(initial=0.0)), 1.0)
    return Level(
        personal=_row_normalise(personal),
        counts=counts,
        latest=_latest(data, columns, n_columns),
        knn=knn,
        sequence=sequence,
        popularity=popularity,
        n_columns=n_columns,
        similar=(_row_normalise(similarity) + _row_normalise(transitions)).tocsr(),
    )


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
        seen = self.items.counts.getrow(user).indices if explore else None
        return _top(self.item_scores(user, explore), k, seen)

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

    def audiences(self, keep: int) -> sparse.csr_matrix:
        """Items × users: each item's likeliest users (own interest plus neighbours')."""
        interest = (self.items.personal + 0.5 * self.items.knn + 0.5 * self.items.sequence).tocsr()
        return _top_neighbours(interest.T.tocsr(), keep)


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
