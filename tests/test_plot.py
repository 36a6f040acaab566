"""dlkit.plot with the Agg backend: each function draws the expected artists and never shows."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from dlkit.plot import plot_decision_boundary, plot_history, show_images  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures(monkeypatch):
    def no_show(*args, **kwargs):
        raise AssertionError("dlkit.plot must not call plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    yield
    plt.close("all")


class FakeHistory:  # what keras.Model.fit returns: an object with a .history dict
    def __init__(self, history):
        self.history = history


HIST = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "accuracy": [0.5, 0.7, 0.8]}


def test_plot_history_dict_and_object():
    ax = plot_history(HIST)
    lines = ax.get_lines()
    assert len(lines) == 2  # train + validation
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[1].get_ydata(), HIST["val_loss"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]
    axes = plot_history(FakeHistory(HIST), metrics=("loss", "accuracy"))
    assert len(axes) == 2 and len(axes[0].figure.axes) == 2
    assert len(axes[1].get_lines()) == 1  # no val_accuracy in the history
    np.testing.assert_array_equal(axes[1].get_lines()[0].get_ydata(), HIST["accuracy"])


def test_plot_history_on_given_ax_and_errors():
    fig, ax = plt.subplots()
    assert plot_history(HIST, metrics="loss", ax=ax) is ax
    with pytest.raises(KeyError, match="available"):
        plot_history(HIST, metrics=("mae",))
    with pytest.raises(TypeError, match="History"):
        plot_history([1, 2, 3])
    with pytest.raises(ValueError, match="2 metrics"):
        plot_history(HIST, metrics=("loss", "accuracy"), ax=ax)


@pytest.mark.parametrize("kind", ["ids", "prob_column", "prob_vector", "logit", "softmax"])
def test_decision_boundary_binary_outputs(kind):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    calls = []

    def predict(g):
        calls.append(g.shape)
        s = g[:, 0]  # boundary x0 = 0
        p = 1 / (1 + np.exp(-5 * s))
        return {"ids": (s > 0).astype(int), "prob_column": p[:, None], "prob_vector": p,
                "logit": 5 * s, "softmax": np.stack([1 - p, p], axis=1)}[kind]

    from dlkit.plot import _to_class_ids

    np.testing.assert_array_equal(_to_class_ids(predict(X), len(X)), y)  # each output kind decoded right
    calls.clear()
    ax = plot_decision_boundary(predict, X, y, resolution=50)
    assert calls == [(2500, 2)]
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contours) == 1
    # the filled regions are the predicted classes: left of x0 = 0 is class 0, right is class 1
    assert len(contours[0].levels) == 3  # boundaries -0.5, 0.5, 1.5 for 2 classes
    scatter = [c for c in ax.collections if not isinstance(c, ContourSet)]
    assert len(scatter) == 1 and len(scatter[0].get_offsets()) == 40
    lo, hi = ax.get_xlim()
    assert lo == pytest.approx(X[:, 0].min() - 0.5) and hi == pytest.approx(X[:, 0].max() + 0.5)


def test_decision_boundary_multiclass_regions():
    from dlkit.plot import _to_class_ids

    X = np.array([[-1, -1], [1, -1], [0, 1]], dtype=np.float32)
    y = np.array([0, 1, 2])
    centers = X.copy()

    def nearest_center(g):  # scores (m, 3)
        return -((g[:, None, :] - centers[None]) ** 2).sum(-1)

    fig, ax = plt.subplots()
    assert plot_decision_boundary(nearest_center, X, np.eye(3)[y], ax=ax, resolution=30) is ax
    contour = [c for c in ax.collections if isinstance(c, ContourSet)][0]
    assert len(contour.levels) == 4  # 3 classes
    np.testing.assert_array_equal(_to_class_ids(nearest_center(X), 3), y)
    np.testing.assert_array_equal(_to_class_ids(np.array([0.2, 0.9]), 2), [0, 1])
    np.testing.assert_array_equal(_to_class_ids(np.array([-3.0, 2.5]), 2), [0, 1])
    np.testing.assert_array_equal(_to_class_ids(np.array([2.0, 1.0]), 2), [2, 1])
    with pytest.raises(ValueError, match="predict_fn must return"):
        plot_decision_boundary(lambda g: np.zeros(5), X, y, resolution=10)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plot_decision_boundary(nearest_center, np.zeros((3, 3)), y)


def test_show_images_grid_and_titles():
    rng = np.random.default_rng(0)
    imgs = rng.random((10, 8, 8, 1))
    fig = show_images(imgs, labels=np.arange(10), ncols=4)
    assert len(fig.axes) == 10  # 3x4 grid, the 2 unused cells removed
    assert [a.get_title() for a in fig.axes] == [str(i) for i in range(10)]
    assert all(len(a.get_images()) == 1 for a in fig.axes)
    assert fig.axes[0].get_images()[0].get_cmap().name == "gray"
    np.testing.assert_allclose(fig.axes[3].get_images()[0].get_array(), imgs[3, :, :, 0])


def test_show_images_flat_onehot_titles_rgb():
    fig = show_images(np.zeros((3, 64)), labels=np.eye(3)[[2, 0, 1]])
    assert [a.get_title() for a in fig.axes] == ["2", "0", "1"]
    assert fig.axes[0].get_images()[0].get_array().shape == (8, 8)
    fig = show_images(np.zeros((2, 5, 5, 3)), titles=["a", "b"], ncols=8)
    assert len(fig.axes) == 2 and fig.axes[1].get_title() == "b"
    with pytest.raises(ValueError, match="squares"):
        show_images(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="titles"):
        show_images(np.zeros((2, 4, 4)), titles=["only one"])
