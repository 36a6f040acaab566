"""Augmentation layers: invariants, gradient checks (fixed draw), Keras parity with the draw fixed, errors,
and a functional model that trains with RandomFlip and predicts deterministically."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dlkit.np as dnp  # noqa: E402
from dlkit.gradcheck import check_layer  # noqa: E402
from dlkit.np.functional import image as F  # noqa: E402
from dlkit.np.layers import Conv2D, Dense, GlobalAveragePooling2D  # noqa: E402
from dlkit.np.layers.augmentation import RandomCrop, RandomFlip, RandomRotation, RandomTranslation  # noqa: E402

FILLS = ["reflect", "wrap", "constant", "nearest"]
RNG = np.random.default_rng(0)
X = RNG.random((4, 7, 9, 2))          # float64 images


def _keras():
    keras = pytest.importorskip("keras")
    return keras


def _fixed(layer, x):
    """Draw once (training=True), then make the layer reuse that draw, as a gradient check needs."""
    layer(x, training=True)
    layer.reuse_transformation = True
    return layer


# -- invariants -----------------------------------------------------------------------------------
def test_flip_modes_and_flip_twice_is_identity():
    flips = np.array([True, False, True, False])
    t = {"flips": flips}
    h = RandomFlip("horizontal", dtype="float64").transform_images(X, t)
    np.testing.assert_array_equal(h[flips], X[flips][:, :, ::-1])        # columns mirrored
    np.testing.assert_array_equal(h[~flips], X[~flips])
    v = RandomFlip("vertical", dtype="float64").transform_images(X, t)
    np.testing.assert_array_equal(v[flips], X[flips][:, ::-1])
    hv = RandomFlip(dtype="float64").transform_images(X, t)              # Keras 3: one coin, both axes
    np.testing.assert_array_equal(hv[flips], X[flips][:, ::-1, ::-1])
    for mode in ("horizontal", "vertical", "horizontal_and_vertical"):
        layer = RandomFlip(mode, dtype="float64")
        np.testing.assert_array_equal(layer.transform_images(layer.transform_images(X, t), t), X)


def test_integer_translation_with_constant_fill_shifts_exactly():
    layer = RandomTranslation(0.5, 0.5, fill_mode="constant", fill_value=-1.0, dtype="float64")
    t = {"translations": np.array([[2.0, 1.0], [-3.0, 0.0], [0.0, -2.0], [0.0, 0.0]])}   # (dx, dy) pixels
    y = layer.transform_images(X, t)
    expected = np.full_like(X, -1.0)
    expected[0, 1:, 2:] = X[0, :-1, :-2]
    expected[1, :, :-3] = X[1, :, 3:]
    expected[2, :-2] = X[2, 2:]
    expected[3] = X[3]
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("fill_mode", FILLS)
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_rotation_by_zero_is_identity(fill_mode, interpolation):
    layer = RandomRotation(0.0, fill_mode=fill_mode, interpolation=interpolation, dtype="float64")
    np.testing.assert_array_equal(layer(X, training=True), X)


def test_rotation_by_half_turn_is_a_double_flip():
    layer = RandomRotation(0.5, interpolation="nearest", dtype="float64")
    y = layer.transform_images(X, {"angle": np.full(4, np.pi)})
    np.testing.assert_array_equal(y, X[:, ::-1, ::-1])


def test_crop_shapes_positions_and_inference():
    layer = RandomCrop(4, 5, seed=3, dtype="float64")
    y = layer(X, training=True)
    assert y.shape == (4, 4, 5, 2) and layer.compute_output_shape((None, 7, 9, 2)) == (None, 4, 5, 2)
    t = layer.last_transformation
    for i in range(4):
        h0, w0 = t["h_start"][i], t["w_start"][i]
        np.testing.assert_array_equal(y[i], X[i, h0:h0 + 4, w0:w0 + 5])
    assert layer(X).shape == (4, 4, 5, 2)                                 # inference: centre + resize
    np.testing.assert_array_equal(RandomCrop(7, 9)(X.astype("float32")), X.astype("float32"))
    assert RandomCrop(8, 10, dtype="float64")(X, training=True).shape == (4, 8, 10, 2)   # too small


@pytest.mark.parametrize("make", [lambda: RandomFlip(seed=1), lambda: RandomTranslation(0.3, 0.2, seed=1),
                                  lambda: RandomRotation(0.2, seed=1)])
def test_inference_is_identity(make):
    x = X.astype("float32")
    layer = make()
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), np.ones_like(x))


@pytest.mark.parametrize("make", [lambda s: RandomFlip(seed=s), lambda s: RandomTranslation(0.3, 0.2, seed=s),
                                  lambda s: RandomRotation(0.2, seed=s), lambda s: RandomCrop(5, 6, seed=s)])
def test_seeded_reproducibility_and_per_example_draws(make):
    x = np.repeat(X[:1], 8, axis=0).astype("float32")                  # eight copies of one image
    a, b, c = make(7), make(7), make(8)
    ya = [a(x, training=True) for _ in range(2)]
    yb = [b(x, training=True) for _ in range(2)]
    np.testing.assert_array_equal(ya[0], yb[0])
    np.testing.assert_array_equal(ya[1], yb[1])
    assert not np.array_equal(ya[0], ya[1])                            # the sequence moves on
    assert not np.array_equal(ya[0], c(x, training=True))              # another seed, other draws
    assert len({ya[0][i].tobytes() for i in range(8)}) > 1             # each example its own draw
    dnp.set_seed(5)
    y1 = make(None)(x, training=True)
    dnp.set_seed(5)
    np.testing.assert_array_equal(make(None)(x, training=True), y1)    # shared generator is seeded


# -- gradient checks (float64, the draw fixed; the maps are linear, so h = 1e-3 is exact up to rounding)
@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_flip_gradcheck(mode):
    layer = _fixed(RandomFlip(mode, seed=0, dtype="float64"), X)
    assert check_layer(layer, X, training=True, h=1e-3)["x"] < 1e-7


@pytest.mark.parametrize("fill_mode", FILLS)
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_translation_and_rotation_gradcheck(fill_mode, interpolation):
    x = X[:2, :5, :6]
    kw = dict(fill_mode=fill_mode, interpolation=interpolation, fill_value=0.5, seed=2, dtype="float64")
    for layer in (RandomTranslation(0.4, (-0.5, 0.3), **kw), RandomRotation(0.3, **kw)):
        _fixed(layer, x)
        assert check_layer(layer, x, training=True, h=1e-3)["x"] < 1e-7, type(layer).__name__


@pytest.mark.parametrize("training", [True, False])
def test_crop_gradcheck(training):
    layer = _fixed(RandomCrop(3, 4, seed=0, dtype="float64"), X[:2])
    assert check_layer(layer, X[:2], training=training, h=1e-3)["x"] < 1e-7


# -- Keras parity with the transform parameters fixed ----------------------------------------------
def test_flip_matches_keras():
    keras = _keras()
    flips = np.array([True, False, True, True])
    for mode in ("horizontal", "vertical", "horizontal_and_vertical"):
        ours = RandomFlip(mode, dtype="float64").transform_images(X, {"flips": flips})
        theirs = keras.layers.RandomFlip(mode, dtype="float64").transform_images(
            X, {"flips": flips.reshape(-1, 1, 1, 1)}, training=True)
        np.testing.assert_array_equal(ours, np.asarray(theirs))


@pytest.mark.parametrize("fill_mode", FILLS)
def test_translation_matches_keras(fill_mode):
    keras = _keras()
    x = np.round(X * 100)                       # float32-exact values: TF interpolates in float32
    t = {"translations": np.array([[2.0, 1.0], [-3.0, 4.0], [11.0, -2.0], [0.0, -9.0]])}
    theirs = keras.layers.RandomTranslation(0.5, 0.5, fill_mode=fill_mode, fill_value=3.0, dtype="float64")
    ours = RandomTranslation(0.5, 0.5, fill_mode=fill_mode, fill_value=3.0, dtype="float64")
    np.testing.assert_array_equal(ours.transform_images(x, t), np.asarray(theirs.transform_images(x, t)))
    # fractional shifts drawn by Keras itself, fed to ours
    keras_t = theirs.get_random_transformation(x, training=True)
    t = {"translations": np.asarray(keras_t["translations"], dtype=np.float64)}
    np.testing.assert_allclose(ours.transform_images(x, t), np.asarray(theirs.transform_images(x, keras_t)),
                               atol=1e-3)       # coordinates in float32 in TF, values up to 100


@pytest.mark.parametrize("fill_mode", FILLS)
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_rotation_matches_keras_affine_transform(fill_mode, interpolation):
    keras = _keras()
    ours = RandomRotation(0.5, fill_mode=fill_mode, interpolation=interpolation, fill_value=0.25,
                          dtype="float64")
    angles = np.array([0.3, -1.1, 2.5, -2.9])
    y = ours.transform_images(X, {"angle": angles})
    matrix = F.rotation_matrix(angles, 7, 9)
    ref = keras.ops.image.affine_transform(X, matrix, interpolation=interpolation, fill_mode=fill_mode,
                                           fill_value=0.25)
    np.testing.assert_allclose(y, np.asarray(ref), atol=1e-5)
    # Keras' own draw (degrees) gives the same matrix as ours (radians)
    theirs = keras.layers.RandomRotation(0.5, dtype="float64")
    keras_t = theirs.get_random_transformation(X, training=True)
    radians = np.deg2rad(np.asarray(keras_t["angle"], dtype=np.float64))
    np.testing.assert_allclose(F.rotation_matrix(radians, 7, 9)[:, :6],
                               np.asarray(keras_t["rotation_matrix"])[:, :6], atol=1e-5)


def test_crop_inference_matches_keras_resize_with_aspect_crop():
    keras = _keras()
    for h, w in ((4, 5), (5, 3), (6, 9), (3, 3)):
        ours = RandomCrop(h, w, dtype="float64")(X)
        ref = keras.ops.image.resize(X, (h, w), crop_to_aspect_ratio=True)
        np.testing.assert_allclose(ours, np.asarray(ref), atol=1e-6)


def test_tf_mirror_layers():
    _keras()
    from dlkit.tf.layers import augmentation as TA
    x = X.astype("float32")
    for layer in (TA.RandomFlip(seed=1), TA.RandomTranslation(0.2, 0.2, seed=1), TA.RandomRotation(0.1, seed=1)):
        np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
        assert np.asarray(layer(x, training=True)).shape == x.shape
    crop = TA.RandomCrop(4, 5, seed=1)
    y = np.asarray(crop(x, training=True))
    assert y.shape == (4, 4, 5, 2)
    assert any(np.array_equal(y[0], x[0, i:i + 4, j:j + 5]) for i in range(4) for j in range(5))
    np.testing.assert_allclose(np.asarray(crop(x, training=False)), RandomCrop(4, 5)(x), atol=1e-6)


# -- errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: RandomFlip("diagonal"), "mode must be one of"),
    (lambda: RandomTranslation(1.5, 0.1), "height_factor must lie in"),
    (lambda: RandomTranslation(0.1, (0.1,)), "width_factor must be a number or a tuple"),
    (lambda: RandomTranslation(0.1, "x"), "width_factor must be a number"),
    (lambda: RandomTranslation(0.1, 0.1, fill_mode="mirror"), "fill_mode must be one of"),
    (lambda: RandomRotation(0.1, interpolation="bicubic"), "interpolation must be one of"),
    (lambda: RandomRotation((-2, 0.5)), "factor must lie in"),
    (lambda: RandomRotation(0.1, fill_value="zero"), "fill_value must be a number"),
    (lambda: RandomCrop(0, 4), "height must be a positive integer"),
    (lambda: RandomCrop(4, 2.5), "width must be a positive integer"),
    (lambda: RandomFlip(seed=1.5), "seed must be an integer"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("layer", [RandomFlip(), RandomTranslation(0.1, 0.1), RandomCrop(2, 2),
                                   RandomRotation(0.1)])
def test_bad_rank(layer):
    with pytest.raises(ValueError, match=r"expected channels-last images of shape \(batch, height, width"):
        layer(np.zeros((7, 9, 2)), training=True)


def test_backward_before_call():
    with pytest.raises(RuntimeError, match="backward"):
        RandomRotation(0.1).backward(np.zeros((1, 2, 2, 1)))


# -- in a functional model ----------------------------------------------------------------------------
def test_functional_model_trains_and_predicts_deterministically():
    dnp.set_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    x = rng.normal(0, 0.3, (64, 16, 16, 3)) + (2 * y - 1).reshape(-1, 1, 1, 1) * 0.5   # brightness label
    inputs = dnp.Input((16, 16, 3))
    h = RandomFlip("horizontal", seed=0)(inputs)
    h = RandomTranslation(0.1, 0.1, seed=1)(h)
    h = Conv2D(4, 3, activation="relu")(h)
    h = GlobalAveragePooling2D()(h)
    out = Dense(1, activation="sigmoid")(h)
    model = dnp.Model(inputs, out)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    p1, p2 = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(p1, p2)
