"""Analytic Hierarchy Process: weights and consistency of a pairwise-comparison matrix.

For a positive reciprocal matrix :math:`A` (:math:`a_{ji} = 1 / a_{ij}`, :math:`a_{ii} = 1`)
the weights are the principal right eigenvector :math:`w` of :math:`A w = \\lambda_{max} w`,
normalised to sum 1. The consistency index is
:math:`CI = (\\lambda_{max} - n) / (n - 1)` and the consistency ratio is
:math:`CR = CI / RI_n` with Saaty's random indices :math:`RI_n`; a matrix is accepted when
:math:`CR < 0.1`. Matrices of order 1 and 2 are always consistent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Saaty's random consistency indices, by matrix order.
RANDOM_INDEX: dict[int, float] = {
    1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
    10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59,
}
CR_LIMIT = 0.1


@dataclass(frozen=True)
class AhpResult:
    weights: tuple[float, ...]
    lambda_max: float
    consistency_index: float
    consistency_ratio: float

    @property
    def consistent(self) -> bool:
        return self.consistency_ratio < CR_LIMIT


def check_pairwise(matrix: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The matrix as an array; ValueError if it is not square, positive and reciprocal."""
    array = np.asarray(matrix, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] == 0:
        raise ValueError(f"pairwise matrix must be square, got shape {array.shape}")
    if not np.all(array > 0):
        raise ValueError("pairwise matrix entries must be positive")
    if not np.allclose(np.diag(array), 1.0):
        raise ValueError("pairwise matrix diagonal must be 1")
    if not np.allclose(array * array.T, 1.0, rtol=1e-3):
        i, j = np.argwhere(~np.isclose(array * array.T, 1.0, rtol=1e-3))[0]
        raise ValueError(
            f"pairwise matrix is not reciprocal: a[{i}][{j}]={array[i, j]:g} "
            f"but a[{j}][{i}]={array[j, i]:g}"
        )
    return array


def ahp(matrix: npt.ArrayLike) -> AhpResult:
    """Principal-eigenvector weights and the consistency ratio of ``matrix``."""
    array = check_pairwise(matrix)
    n = array.shape[0]
    eigenvalues, eigenvectors = np.linalg.eig(array)
    principal = int(np.argmax(eigenvalues.real))
    vector = np.abs(eigenvectors[:, principal].real)
    weights = vector / vector.sum()
    lambda_max = float(eigenvalues[principal].real)
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    ri = RANDOM_INDEX.get(n, RANDOM_INDEX[max(RANDOM_INDEX)])
    cr = ci / ri if ri > 0 else 0.0
    return AhpResult(tuple(float(w) for w in weights), lambda_max, ci, max(cr, 0.0))
