"""Is a change in times real? The two-sided Mann-Whitney U test over two sets of samples."""

from __future__ import annotations

import math
from functools import cache


def _exact_u_cdf(u: int, n1: int, n2: int) -> float:
    """P(U <= u) under the null, no ties: count the orderings with at most u inversions."""
    # ways(i, j, k): orderings of i samples of a and j of b with U = k

    @cache
    def ways(i: int, j: int, k: int) -> int:
        if k < 0:
            return 0
        if i == 0 or j == 0:
            return 1 if k == 0 else 0
        return ways(i - 1, j, k - j) + ways(i, j - 1, k)

    total = math.comb(n1 + n2, n1)
    return sum(ways(n1, n2, k) for k in range(u + 1)) / total


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided Mann-Whitney U p-value: exact for small samples without ties, else the normal
    approximation with tie correction."""
    n1, n2 = len(a), len(b)
    if len(set(a) | set(b)) == n1 + n2 and n1 * n2 <= 400:
        u = sum(1 for x in a for y in b if x > y)
        low = min(u, n1 * n2 - u)
        return min(1.0, 2 * _exact_u_cdf(low, n1, n2))
    ranked = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(ranked)
    i = 0
    ties = 0.0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    r1 = sum(r for r, (_, g) in zip(ranks, ranked, strict=True) if g == 0)
    u = r1 - n1 * (n1 + 1) / 2
    mu = n1 * n2 / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))) if n > 1 else 0.0
    if sigma == 0:
        return 1.0
    z = (abs(u - mu) - 0.5) / sigma
    return math.erfc(max(z, 0.0) / math.sqrt(2))
