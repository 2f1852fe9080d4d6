"""The exact types a `.skops` file may hold without the user's say-so (docs/design.md §9).

skops trusts its own defaults (primitives, containers, numpy arrays and dtypes, ufuncs, every
class in scikit-learn's `all_estimators()` and a few loss classes). A fitted model also holds
internal objects skops does not trust by default: the tree of a forest, the predictors of a
histogram booster, a KD-tree, an optimizer. Those are listed here by exact name, reviewed one by
one: each is a class whose construction only stores data, or a function that only computes on
arrays (scikit-learn calls it on the eval frame, as the estimator's parameter says).

Nothing is trusted by prefix: `numpy.testing._private.utils.runstring` is an `exec`, and
`sklearn.utils._testing` starts Python subprocesses. tests/load/test_skops_trust.py regenerates
the list from the installed scikit-learn and fails when an estimator needs a type missing here,
or when an entry is not a class or function of scikit-learn, numpy, scipy or functools.
"""

from __future__ import annotations

# Classes: calling them with any arguments (a skops reduce node may) only builds an object.
CLASSES = frozenset(
    {
        "functools.partial",  # its function and arguments are audited as nodes of their own
        "numpy.dtype",
        "scipy.interpolate._bsplines.BSpline",
        "sklearn._loss.loss.HalfTweedieLoss",
        "sklearn._loss.loss.HalfTweedieLossIdentity",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        # a crafted tree can index out of bounds at predict time: models._check_trees checks them
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",
        "sklearn.gaussian_process.kernels.CompoundKernel",
        "sklearn.gaussian_process.kernels.ConstantKernel",
        "sklearn.gaussian_process.kernels.DotProduct",
        "sklearn.gaussian_process.kernels.ExpSineSquared",
        "sklearn.gaussian_process.kernels.Exponentiation",
        "sklearn.gaussian_process.kernels.Matern",
        "sklearn.gaussian_process.kernels.PairwiseKernel",
        "sklearn.gaussian_process.kernels.Product",
        "sklearn.gaussian_process.kernels.RBF",
        "sklearn.gaussian_process.kernels.RationalQuadratic",
        "sklearn.gaussian_process.kernels.Sum",
        "sklearn.gaussian_process.kernels.WhiteKernel",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.metrics._dist_metrics.ManhattanDistance64",
        "sklearn.metrics._dist_metrics.MinkowskiDistance64",
        "sklearn.metrics._scorer._CurveScorer",
        "sklearn.metrics._scorer._PassthroughScorer",
        "sklearn.metrics._scorer._Scorer",
        "sklearn.model_selection._split.KFold",
        "sklearn.model_selection._split.StratifiedKFold",
        "sklearn.multiclass._ConstantPredictor",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        # a crafted tree can index out of bounds at predict time: models._check_trees checks them
        "sklearn.tree._tree.Tree",
        "sklearn.utils._bunch.Bunch",
        "sklearn.utils._metadata_requests.MetadataRequest",
        "sklearn.utils._metadata_requests.MethodMetadataRequest",
    }
)

# Functions held as estimator parameters (score_func, pooling_func, a preprocessing step):
# pure computations on arrays, whatever arguments they get.
FUNCTIONS = frozenset(
    {
        "numpy.mean",
        "numpy.median",
        "scipy._lib.array_api_compat.numpy._aliases.asarray",
        "sklearn.feature_selection._univariate_selection.chi2",
        "sklearn.feature_selection._univariate_selection.f_classif",
        "sklearn.feature_selection._univariate_selection.f_regression",
        "sklearn.metrics._classification.balanced_accuracy_score",
        "sklearn.utils.validation.check_array",
    }
)

TRUSTED = CLASSES | FUNCTIONS


def untrusted(types: list[str], extra: tuple[str, ...] = ()) -> list[str]:
    """The names among `types` (what skops does not trust) that mlgate does not trust either."""
    allowed = TRUSTED | set(extra)
    return sorted(t for t in types if t not in allowed)
