"""Realistic answers to ch11_transfer (see ../mutation.py): (task, "wrong" | "correct", why, cell source).

dlkit has no freeze / replace_head / fine_tune, so no answer here is a delegation to a dlkit reference function
(all of dlkit.np is allowed in this assignment).
"""
ANSWERS = [
    # ---------------------------------------------------------------- Task 1: freeze
    ("freeze", "wrong", "freezes the first n_frozen layers but never unfreezes the others", '''
def freeze(model, n_frozen):
    for layer in model.layers[:n_frozen]:
        layer.trainable = False
    return int(sum(layer.params[k].size for layer in model.layers for k in layer.trainable_names))
'''),
    ("freeze", "wrong", "off by one: freezes layers 0..n_frozen (i > n_frozen stays trainable)", '''
def freeze(model, n_frozen):
    for i, layer in enumerate(model.layers):
        layer.trainable = i > n_frozen
    return int(sum(layer.params[k].size for layer in model.layers for k in layer.trainable_names))
'''),
    ("freeze", "wrong", "counts with layer.parameters(), empty before the first training step", '''
def freeze(model, n_frozen):
    for i, layer in enumerate(model.layers):
        layer.trainable = i >= n_frozen
    return sum(p.size for layer in model.layers for _, p in layer.parameters())
'''),
    ("freeze", "wrong", "counts the kernels only, forgets the biases", '''
def freeze(model, n_frozen):
    for i, layer in enumerate(model.layers):
        layer.trainable = i >= n_frozen
    return sum(layer.params["kernel"].size for layer in model.layers if layer.trainable and "kernel" in layer.params)
'''),
    ("freeze", "wrong", "counts every weight of the trainable layers, BatchNormalization's moving statistics too", '''
def freeze(model, n_frozen):
    for i, layer in enumerate(model.layers):
        layer.trainable = i >= n_frozen
    return sum(layer.count_params() for layer in model.layers if layer.trainable)
'''),
    ("freeze", "wrong", "counts only layers with weights when choosing the first n_frozen (Dropout skipped)", '''
def freeze(model, n_frozen):
    weighted = [layer for layer in model.layers if layer.params]
    for i, layer in enumerate(weighted):
        layer.trainable = i >= n_frozen
    return int(sum(layer.params[k].size for layer in weighted for k in layer.trainable_names))
'''),
    ("freeze", "wrong", "leaves the flag of layers without weights (Dropout) untouched", '''
def freeze(model, n_frozen):
    total = 0
    for i, layer in enumerate(model.layers):
        if not layer.params:
            continue
        layer.trainable = i >= n_frozen
        total += sum(layer.params[k].size for k in layer.trainable_names)
    return total
'''),
    ("freeze", "wrong", "unfreezes the last len - n_frozen layers with a negative slice: layers[-0:] is all of them", '''
def freeze(model, n_frozen):
    n_train = len(model.layers) - n_frozen
    for layer in model.layers:
        layer.trainable = False
    for layer in model.layers[-n_train:]:
        layer.trainable = True
    return int(sum(w.size for w in model.trainable_weights))
'''),
    ("freeze", "correct", "Sequential.trainable setter, then two slices; counts model.trainable_weights", '''
def freeze(model, n_frozen):
    model.trainable = True
    for layer in model.layers[:n_frozen]:
        layer.trainable = False
    return sum(w.size for w in model.trainable_weights)
'''),
    ("freeze", "correct", "explicit loops, sizes as np.prod of the shapes", '''
def freeze(model, n_frozen):
    total = 0
    i = 0
    for layer in model.layers:
        layer.trainable = not (i < n_frozen)
        i += 1
        for name in layer.trainable_names:
            total += int(np.prod(layer.params[name].shape))
    return total
'''),
    # ---------------------------------------------------------------- Task 2: replace_head
    ("replace_head", "wrong", "new head without softmax (linear outputs)", '''
def replace_head(model, num_classes):
    return dnp.Sequential(model.layers[:-1] + [dnp.layers.Dense(num_classes)])
'''),
    ("replace_head", "wrong", "keeps the old head and appends the new one", '''
def replace_head(model, num_classes):
    return dnp.Sequential(model.layers + [dnp.layers.Dense(num_classes, activation="softmax")])
'''),
    ("replace_head", "wrong", "pops the old head off the pretrained model itself", '''
def replace_head(model, num_classes):
    model._layers.pop()
    model.add(dnp.layers.Dense(num_classes, activation="softmax"))
    return model
'''),
    ("replace_head", "wrong", "deep-copies the body: same weights but new layer objects", '''
import copy


def replace_head(model, num_classes):
    body = [copy.deepcopy(layer) for layer in model.layers[:-1]]
    return dnp.Sequential(body + [dnp.layers.Dense(num_classes, activation="softmax")])
'''),
    ("replace_head", "wrong", "hard-codes the pretrained network's two body layers", '''
def replace_head(model, num_classes):
    return dnp.Sequential(model.layers[:2] + [dnp.layers.Dense(num_classes, activation="softmax")])
'''),
    ("replace_head", "wrong", "also freezes the body (changes the trainable flags)", '''
def replace_head(model, num_classes):
    body = model.layers[:-1]
    for layer in body:
        layer.trainable = False
    return dnp.Sequential(body + [dnp.layers.Dense(num_classes, activation="softmax")])
'''),
    ("replace_head", "wrong", "zero-initialised head kernel", '''
def replace_head(model, num_classes):
    head = dnp.layers.Dense(num_classes, activation="softmax", kernel_initializer="zeros")
    return dnp.Sequential(model.layers[:-1] + [head])
'''),
    ("replace_head", "wrong", "builds the new model for 64 input features (the digits), whatever the model", '''
def replace_head(model, num_classes):
    new = dnp.Sequential(model.layers[:-1] + [dnp.layers.Dense(num_classes, activation="softmax")])
    new.build((64,))
    return new
'''),
    ("replace_head", "correct", "empty Sequential filled with add() in a loop", '''
def replace_head(model, num_classes):
    new = dnp.Sequential()
    for layer in model.layers[:-1]:
        new.add(layer)
    new.add(dnp.layers.Dense(num_classes, activation="softmax"))
    return new
'''),
    ("replace_head", "correct", "pops the old head from the list copy model.layers returns, then builds the new model", '''
def replace_head(model, num_classes):
    layers = model.layers  # a new list each time
    layers.pop()
    head = dnp.layers.Dense(units=num_classes, activation="softmax", name=None)
    layers.append(head)
    new = dnp.Sequential(layers)
    new.build(model.layers[0].input_shape)
    return new
'''),
    # ---------------------------------------------------------------- Task 3: fine_tune
    ("fine_tune", "wrong", "trains the same architecture from scratch (ignores the pretrained model)", '''
def fine_tune(model, x_few, y_few):
    new = make_mlp(5)
    new.compile(optimizer=dnp.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    new.fit(x_few, y_few, epochs=100, batch_size=16, verbose=0)
    return new
'''),
    ("fine_tune", "wrong", "replaces the head and freezes the body but never trains", '''
def fine_tune(model, x_few, y_few):
    new = replace_head(model, 5)
    freeze(new, len(new.layers) - 1)
    new.compile(optimizer=dnp.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return new
'''),
    ("fine_tune", "wrong", "one phase, everything trainable, learning rate 0.1: wipes out the pretrained features", '''
def fine_tune(model, x_few, y_few):
    new = replace_head(model, 5)
    new.compile(optimizer=dnp.optimizers.Adam(0.1), loss="sparse_categorical_crossentropy")
    new.fit(x_few, y_few, epochs=100, batch_size=32, verbose=0)
    return new
'''),
    ("fine_tune", "wrong", "labels as the digits 5-9 with a 10-class head", '''
def fine_tune(model, x_few, y_few):
    new = replace_head(model, 10)
    freeze(new, len(new.layers) - 1)
    new.compile(optimizer=dnp.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    new.fit(x_few, y_few + 5, epochs=100, batch_size=32, verbose=0)
    freeze(new, 0)
    new.compile(optimizer=dnp.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy")
    new.fit(x_few, y_few + 5, epochs=30, batch_size=32, verbose=0)
    return new
'''),
    ("fine_tune", "wrong", "noise augmentation added to x_few in place", '''
def fine_tune(model, x_few, y_few):
    x_few += np.random.default_rng(0).normal(0, 0.05, size=x_few.shape).astype(x_few.dtype)
    new = replace_head(model, 5)
    freeze(new, len(new.layers) - 1)
    new.compile(optimizer=dnp.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    new.fit(x_few, y_few, epochs=100, batch_size=32, verbose=0)
    freeze(new, 0)
    new.compile(optimizer=dnp.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy")
    new.fit(x_few, y_few, epochs=30, batch_size=32, verbose=0)
    return new
'''),
    ("fine_tune", "wrong", "shuffles x_few and y_few in place (same permutation)", '''
def fine_tune(model, x_few, y_few):
    order = np.random.default_rng(1).permutation(len(x_few))
    x_few[:] = x_few[order]
    y_few[:] = y_few[order]
    new = replace_head(model, 5)
    freeze(new, len(new.layers) - 1)
    new.compile(optimizer=dnp.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    new.fit(x_few, y_few, epochs=100, batch_size=32, verbose=0, shuffle=False)
    freeze(new, 0)
    new.compile(optimizer=dnp.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy")
    new.fit(x_few, y_few, epochs=30, batch_size=32, verbose=0, shuffle=False)
    return new
'''),
    ("fine_tune", "wrong", "linear head trained from logits: returns scores, not probabilities", '''
def fine_tune(model, x_few, y_few):
    loss = dnp.losses.SparseCategoricalCrossentropy(from_logits=True)
    new = dnp.Sequential(model.layers[:-1] + [dnp.layers.Dense(5)])
    freeze(new, len(new.layers) - 1)
    new.compile(optimizer=dnp.optimizers.Adam(0.01), loss=loss)
    new.fit(x_few, y_few, epochs=100, batch_size=32, verbose=0)
    freeze(new, 0)
    new.compile(optimizer=dnp.optimizers.Adam(0.001), loss=loss)
    new.fit(x_few, y_few, epochs=30, batch_size=32, verbose=0)
    return new
'''),
    ("fine_tune", "wrong", "also trains on the test images (x_test, y_test of the set-up cell)", '''
def fine_tune(model, x_few, y_few):
    x = np.concatenate([x_few, x_test])
    y = np.concatenate([y_few, y_test])
    new = replace_head(model, 5)
    freeze(new, len(new.layers) - 1)
    new.compile(optimizer=dnp.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    new.fit(x, y, epochs=5, batch_size=64, verbose=0)
    freeze(new, 0)
    new.compile(optimizer=dnp.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy")
    new.fit(x, y, epochs=5, batch_size=64, verbose=0)
    return new
'''),
    ("fine_tune", "correct", "other epochs (80 + 50) and a copy of the data", '''
def fine_tune(model, x_few, y_few):
    x, y = np.array(x_few, copy=True), np.array(y_few, copy=True)
    tuned = replace_head(model, 5)
    freeze(tuned, len(tuned.layers) - 1)
    tuned.compile(optimizer=dnp.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    tuned.fit(x, y, epochs=80, batch_size=32, verbose=0)
    freeze(tuned, 0)
    tuned.compile(optimizer=dnp.optimizers.Adam(learning_rate=0.001), loss="sparse_categorical_crossentropy")
    tuned.fit(x, y, epochs=50, batch_size=32, verbose=0)
    return tuned
'''),
    ("fine_tune", "correct", "no helper calls: flags and head by hand, 150 + 20 epochs in batches of 25", '''
def fine_tune(model, x_few, y_few):
    new = dnp.Sequential(model.layers[:-1] + [dnp.layers.Dense(5, activation="softmax")])
    for layer in new.layers[:-1]:
        layer.trainable = False
    new.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    new.optimizer.learning_rate = 0.01
    new.fit(x_few, y_few, epochs=150, batch_size=25, verbose=0)
    for layer in new.layers:
        layer.trainable = True
    new.compile(optimizer=dnp.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    new.fit(x_few, y_few, epochs=20, batch_size=25, verbose=0)
    return new
'''),
]
