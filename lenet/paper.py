"""The numbers of the paper, each in exactly one place.

LeCun, Bottou, Bengio and Haffner, "Gradient-Based Learning Applied to Document
Recognition", Proc. IEEE 86(11), 1998, doi:10.1109/5.726791.  Section numbers
below are the paper's.  The model, the trainer, the tests and the book all import
these names; nothing else types them in.
"""

from __future__ import annotations

# Appendix A: the squashing function f(a) = A tanh(S a).
SQUASH_A: float = 1.7159
SQUASH_S: float = 2.0 / 3.0

# Appendix A: weights uniform in [-INIT_RANGE / F_i, INIT_RANGE / F_i], F_i the fan-in.
INIT_RANGE: float = 2.4
# How the bound scales with the fan-in: "fan_in" is Appendix A's text (2.4/F_i);
# "fan_in_gains" is the same, except that the S2/S4 coefficients start at +2.4/F_i rather
# than anywhere in +-2.4/F_i (a coefficient drawn near 0 switches its map off for good);
# "sqrt_fan_in" (2.4/sqrt(F_i)) keeps the weighted sums' spread the same in every layer,
# Appendix A's stated aim, but trained worse.  Measured effects: README.
INIT_RULES: tuple[str, ...] = ("fan_in", "fan_in_gains", "sqrt_fan_in")

# Sections II.B and III.A: white background and black ink after scaling,
# so that the mean input is roughly 0 and the variance roughly 1.
BACKGROUND: float = -0.1
FOREGROUND: float = 1.175

# Section III.A: MNIST's digits are size-normalised into a 20x20 box, centred by centre
# of mass in a 28x28 field, which LeNet-5 reads as 32x32.
MNIST_BOX: int = 20
MNIST_SIZE: int = 28
INPUT_SIZE: int = 32

# Table I: which S2 feature maps (rows) each C3 feature map (columns) combines.
TABLE_I: tuple[str, ...] = (
    "X...XXX..XXXX.XX",
    "XX...XXX..XXXX.X",
    "XXX...XXX..X.XXX",
    ".XXX..XXXX..X.XX",
    "..XXX..XXXX.XX.X",
    "...XXX..XXXX.XXX",
)

# Appendix C: the Levenberg-Marquardt safety term mu and the 500 patterns on
# which the diagonal Hessian is re-estimated before each pass.
SDLM_MU: float = 0.02
HESSIAN_SAMPLES: int = 500

# Section III.C: the global learning rate eta, as (number of passes, eta);
# the last stage lasts until the end of training.  Five stages, not four.
ETA_SCHEDULE: tuple[tuple[int, float], ...] = (
    (2, 0.0005),
    (3, 0.0002),
    (3, 0.0001),
    (4, 0.00005),
    (8, 0.00001),
)
PASSES: int = 20

# Section III.C and Figs. 5, 8, 9: what the paper reports, in percent.
RESULTS: dict[str, float] = {
    "test_error": 0.95,
    "train_error_after_19_passes": 0.35,
    "test_error_distortions": 0.80,
    "fig8_errors": 82,
    "boosted_lenet4": 0.7,
    "lenet1": 1.7,
}


def eta_for_pass(pass_index: int) -> float:
    """Global learning rate for pass ``pass_index`` (0-based), Section III.C.

    Passes beyond the schedule keep the last stage's rate.
    """
    if pass_index < 0:
        raise ValueError(f"pass_index must be >= 0, got {pass_index}")
    start = 0
    for length, eta in ETA_SCHEDULE:
        if pass_index < start + length:
            return eta
        start += length
    return ETA_SCHEDULE[-1][1]
