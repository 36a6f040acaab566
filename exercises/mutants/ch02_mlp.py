"""Realistic answers to ch02_mlp (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
_TANH = '''

def tanh(x):
    """Hyperbolic tangent, element-wise."""
    return np.tanh(x)
'''
_RELU = '''

def relu(x):
    """max(0, x), element-wise."""
    return np.maximum(np.asarray(x, dtype=float), 0.0)
'''
_SIGMOID = '''
def sigmoid(x):
    """Logistic sigmoid, element-wise, without overflow."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
'''
_TANH_GRAD = '''

def tanh_grad(x):
    """d tanh / dx, element-wise."""
    return 1.0 - np.tanh(x) ** 2
'''
_RELU_GRAD = '''

def relu_grad(x):
    """d relu / dx, element-wise (0 at x = 0)."""
    return (np.asarray(x) > 0).astype(float)
'''
_SIGMOID_GRAD = '''
def sigmoid_grad(x):
    """d sigmoid / dx, element-wise."""
    s = sigmoid(x)
    return s * (1 - s)
'''

ANSWERS = [
    # ---- Task 1: activations --------------------------------------------------------------------------------
    ("activations", "wrong", "naive sigmoid 1 / (1 + exp(-x)): overflows for x < -709", '''
def sigmoid(x):
    """Logistic sigmoid, element-wise, without overflow."""
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))
''' + _TANH + _RELU),
    ("activations", "wrong", "np.where over both forms: np.where evaluates both, so exp still overflows", '''
def sigmoid(x):
    """Logistic sigmoid, element-wise, without overflow."""
    x = np.asarray(x, dtype=float)
    return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
''' + _TANH + _RELU),
    ("activations", "wrong", "sigmoid(x) = 1 - sigmoid(-x) for x < 0: loses all relative precision in the tail", '''
def sigmoid(x):
    """Logistic sigmoid, element-wise, without overflow."""
    x = np.asarray(x, dtype=float)
    s = 1 / (1 + np.exp(-np.abs(x)))
    return np.where(x >= 0, s, 1 - s)
''' + _TANH + _RELU),
    ("activations", "wrong", "sigmoid by masks into np.empty_like(x): integer x gives an integer result", '''
def sigmoid(x):
    """Logistic sigmoid, element-wise, without overflow."""
    x = np.asarray(x)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1 + e)
    return out
''' + _TANH + _RELU),
    ("activations", "wrong", "sigmoid by boolean masks on x itself: fails for a Python number", '''
def sigmoid(x):
    """Logistic sigmoid, element-wise, without overflow."""
    out = np.zeros(np.shape(x))
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1 + e)
    return out
''' + _TANH + _RELU),
    ("activations", "wrong", "tanh from its exp definition: inf / inf = nan for |x| > 355", _SIGMOID + '''

def tanh(x):
    """Hyperbolic tangent, element-wise."""
    x = np.asarray(x, dtype=float)
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
''' + _RELU),
    ("activations", "wrong", "tanh = 2 / (1 + exp(-2x)) - 1: exp overflows (RuntimeWarning) for x < -355", _SIGMOID + '''

def tanh(x):
    """Hyperbolic tangent, element-wise."""
    return 2 / (1 + np.exp(-2 * np.asarray(x, dtype=float))) - 1
''' + _RELU),
    ("activations", "wrong", "relu sets the negative entries of x to 0 in place", _SIGMOID + _TANH + '''

def relu(x):
    """max(0, x), element-wise."""
    x = np.asarray(x)
    x[x < 0] = 0
    return x
'''),
    ("activations", "wrong", "delegates to dlkit.np.activations", '''
def sigmoid(x):
    """Logistic sigmoid, element-wise, without overflow."""
    return dnp.activations.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent, element-wise."""
    return dnp.activations.tanh(x)


def relu(x):
    """max(0, x), element-wise."""
    return dnp.activations.relu(x)
'''),
    ("activations", "wrong", "delegates through dlkit.np.activations.get", '''
def sigmoid(x):
    """Logistic sigmoid, element-wise, without overflow."""
    return dnp.activations.get("sigmoid")(x)


def tanh(x):
    """Hyperbolic tangent, element-wise."""
    return np.tanh(x)


def relu(x):
    """max(0, x), element-wise."""
    return dnp.activations.get("relu")(x)
'''),
    ("activations", "correct", "sigmoid via logaddexp, tanh via 2 sigmoid(2x) - 1, relu via np.where", '''
def sigmoid(x):
    """Logistic sigmoid, element-wise, without overflow."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def tanh(x):
    """Hyperbolic tangent, element-wise."""
    return 2 * sigmoid(2 * np.asarray(x, dtype=float)) - 1


def relu(x):
    """max(0, x), element-wise."""
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, 0.0)
'''),
    ("activations", "correct", "naive sigmoid with overflow silenced (1 / (1 + inf) = 0 is right), np.clip for relu", '''
def sigmoid(x):
    """Logistic sigmoid, element-wise, without overflow."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def tanh(x):
    """Hyperbolic tangent, element-wise."""
    return np.tanh(np.asarray(x, dtype=np.float64))


def relu(x):
    """max(0, x), element-wise."""
    return np.clip(x, 0, None)
'''),
    # ---- Task 2: derivatives --------------------------------------------------------------------------------
    ("derivatives", "wrong", "relu_grad with x >= 0: 1 at the kink", _SIGMOID_GRAD + _TANH_GRAD + '''

def relu_grad(x):
    """d relu / dx, element-wise (0 at x = 0)."""
    return (np.asarray(x) >= 0).astype(float)
'''),
    ("derivatives", "wrong", "sigmoid_grad = exp(-x) / (1 + exp(-x))**2: inf / inf = nan for x < -709", '''
def sigmoid_grad(x):
    """d sigmoid / dx, element-wise."""
    e = np.exp(-np.asarray(x, dtype=float))
    return e / (1 + e) ** 2
''' + _TANH_GRAD + _RELU_GRAD),
    ("derivatives", "wrong", "sigmoid_grad recomputes a naive sigmoid: overflow warning for x < -709", '''
def sigmoid_grad(x):
    """d sigmoid / dx, element-wise."""
    s = 1 / (1 + np.exp(-np.asarray(x, dtype=float)))
    return s * (1 - s)
''' + _TANH_GRAD + _RELU_GRAD),
    ("derivatives", "wrong", "sigmoid_grad by masks into np.empty_like(x): integer x gives 0", '''
def sigmoid_grad(x):
    """d sigmoid / dx, element-wise."""
    x = np.asarray(x)
    out = np.empty_like(x)
    e = np.exp(-np.abs(x))
    out[...] = e / (1 + e) ** 2
    return out
''' + _TANH_GRAD + _RELU_GRAD),
    ("derivatives", "wrong", "tanh_grad = 1 / cosh(x)**2: cosh overflows (RuntimeWarning) for |x| > 710", _SIGMOID_GRAD + '''

def tanh_grad(x):
    """d tanh / dx, element-wise."""
    return 1 / np.cosh(x) ** 2
''' + _RELU_GRAD),
    ("derivatives", "wrong", "tanh_grad = 1 - tanh(x**2): squares in the wrong place", _SIGMOID_GRAD + '''

def tanh_grad(x):
    """d tanh / dx, element-wise."""
    return 1 - np.tanh(np.asarray(x) ** 2)
''' + _RELU_GRAD),
    ("derivatives", "wrong", "relu_grad overwrites x in place with 0s and 1s", _SIGMOID_GRAD + _TANH_GRAD + '''

def relu_grad(x):
    """d relu / dx, element-wise (0 at x = 0)."""
    x = np.asarray(x, dtype=float)
    x[x <= 0] = 0.0
    x[x > 0] = 1.0
    return x
'''),
    ("derivatives", "wrong", "relu_grad calls .astype on x > 0: fails for a Python number", _SIGMOID_GRAD + _TANH_GRAD + '''

def relu_grad(x):
    """d relu / dx, element-wise (0 at x = 0)."""
    return (x > 0).astype(float)
'''),
    ("derivatives", "wrong", "delegates to dlkit.np.activations", '''
def sigmoid_grad(x):
    """d sigmoid / dx, element-wise."""
    return dnp.activations.sigmoid_grad(x)


def tanh_grad(x):
    """d tanh / dx, element-wise."""
    return dnp.activations.tanh_grad(x)


def relu_grad(x):
    """d relu / dx, element-wise (0 at x = 0)."""
    return dnp.activations.relu_grad(x)
'''),
    ("derivatives", "wrong", "takes relu's derivative from dlkit.np.activations.get", _SIGMOID_GRAD + _TANH_GRAD + '''

def relu_grad(x):
    """d relu / dx, element-wise (0 at x = 0)."""
    return dnp.activations.get("relu").grad(np.asarray(x, dtype=float))
'''),
    ("derivatives", "correct", "calls the Task 1 functions; (1 - t)(1 + t); np.heaviside", '''
def sigmoid_grad(x):
    """d sigmoid / dx, element-wise."""
    s = sigmoid(x)
    return s - s * s


def tanh_grad(x):
    """d tanh / dx, element-wise."""
    t = tanh(x)
    return (1 - t) * (1 + t)


def relu_grad(x):
    """d relu / dx, element-wise (0 at x = 0)."""
    return np.heaviside(np.asarray(x, dtype=float), 0.0)
'''),
    ("derivatives", "correct", "sigmoid' is even: e / (1 + e)^2 with e = exp(-|x|); np.where for relu_grad", '''
def sigmoid_grad(x):
    """d sigmoid / dx, element-wise."""
    e = np.exp(-np.abs(np.asarray(x, dtype=float)))
    return e / (1.0 + e) ** 2


def tanh_grad(x):
    """d tanh / dx, element-wise."""
    return 1.0 - np.square(np.tanh(np.asarray(x, dtype=float)))


def relu_grad(x):
    """d relu / dx, element-wise (0 at x = 0)."""
    return np.where(np.asarray(x) > 0, 1.0, 0.0)
'''),
    # ---- Task 3: mlp_forward --------------------------------------------------------------------------------
    ("mlp_forward", "wrong", "applies the activation after the last layer too", '''
def mlp_forward(X, params, activation="relu"):
    """Forward pass of an MLP with linear output layer."""
    act = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}[activation]
    h = np.asarray(X, dtype=float)
    for W, b in params:
        h = act(h @ W + b)
    return h
'''),
    ("mlp_forward", "wrong", "ignores the activation argument: always ReLU", '''
def mlp_forward(X, params, activation="relu"):
    """Forward pass of an MLP with linear output layer."""
    h = np.asarray(X, dtype=float)
    for i, (W, b) in enumerate(params):
        h = h @ W + b
        if i < len(params) - 1:
            h = relu(h)
    return h
'''),
    ("mlp_forward", "wrong", "hard-codes two layers", '''
def mlp_forward(X, params, activation="relu"):
    """Forward pass of an MLP with linear output layer."""
    act = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}[activation]
    (W1, b1), (W2, b2) = params
    return act(np.asarray(X) @ W1 + b1) @ W2 + b2
'''),
    ("mlp_forward", "wrong", "activation before every layer (also on the input), none after the last hidden one", '''
def mlp_forward(X, params, activation="relu"):
    """Forward pass of an MLP with linear output layer."""
    act = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}[activation]
    h = np.asarray(X, dtype=float)
    for W, b in params:
        h = act(h) @ W + b
    return h
'''),
    ("mlp_forward", "wrong", "forgets the activation altogether", '''
def mlp_forward(X, params, activation="relu"):
    """Forward pass of an MLP with linear output layer."""
    h = np.asarray(X, dtype=float)
    for W, b in params:
        h = h @ W + b
    return h
'''),
    ("mlp_forward", "wrong", "transposed weights (W as (units, inputs))", '''
def mlp_forward(X, params, activation="relu"):
    """Forward pass of an MLP with linear output layer."""
    act = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}[activation]
    h = np.asarray(X, dtype=float)
    for i, (W, b) in enumerate(params):
        h = h @ W.T + b
        if i < len(params) - 1:
            h = act(h)
    return h
'''),
    ("mlp_forward", "wrong", "delegates the Dense layers to dlkit.np.functional.dense_forward", '''
def mlp_forward(X, params, activation="relu"):
    """Forward pass of an MLP with linear output layer."""
    act = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}[activation]
    h = np.asarray(X, dtype=float)
    for i, (W, b) in enumerate(params):
        h = dnp.functional.dense_forward(h, W, b)[0]
        if i < len(params) - 1:
            h = act(h)
    return h
'''),
    ("mlp_forward", "correct", "float32, hidden layers in a loop and the output layer apart", '''
def mlp_forward(X, params, activation="relu"):
    """Forward pass of an MLP with linear output layer."""
    act = globals()[activation]
    h = np.asarray(X, dtype=np.float32)
    for W, b in params[:-1]:
        h = act(h @ W.astype(np.float32) + b.astype(np.float32))
    W, b = params[-1]
    return h @ W.astype(np.float32) + b.astype(np.float32)
'''),
    ("mlp_forward", "correct", "einsum and an if/elif chain for the activation", '''
def mlp_forward(X, params, activation="relu"):
    """Forward pass of an MLP with linear output layer."""
    h = np.array(X, dtype=float)
    for k, (W, b) in enumerate(params):
        h = np.einsum("ni,iu->nu", h, W) + b
        if k == len(params) - 1:
            break
        if activation == "relu":
            h = relu(h)
        elif activation == "tanh":
            h = tanh(h)
        elif activation == "sigmoid":
            h = sigmoid(h)
        else:
            raise ValueError(activation)
    return h
'''),
]
