"""The model registry: every fitted model kept in the lake in an inspectable format, with its card.

A model is two files under `_meta/models/<pipeline>/<training_id>/`:

- `<name>.skops`: the model's state (numpy arrays, plain values and scikit-learn estimators) in skops' format,
  which stores objects as a schema of known types instead of pickle's arbitrary code; loading lists the types the
  file needs and refuses any outside the allowlist below, so a file swapped in the lake cannot run code.
- `<name>.json`: its card: what it forecasts (measure, unit, step, horizon), its signature (the series in order and
  the input features), the training data versions, parameters, backtest metrics and the code version.

Why skops rather than MLflow's model format: the models are scikit-learn estimators plus a few arrays, skops is
made for exactly that without pickle, needs no tracking server or run store, and keeps the package small;
MLflow's `sklearn` flavour stores pickles (cloudpickle) by default, which is what this registry must not load.

Loading checks the card against what the caller is about to feed the model and refuses a mismatch (another
measure, step or horizon, other series, other features) with `ModelMismatch` naming the difference.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.lake.storage import Lake

FORMAT = "skops"
# the only types a stored model may need beyond skops' own defaults (builtins, numpy arrays, scikit-learn estimators)
TRUSTED_TYPES = (
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
)


class ModelMismatch(ValueError):
    """A stored model asked to forecast something it was not trained for."""


class UntrustedModel(ValueError):
    """A stored model file that needs types outside the registry's allowlist."""


@dataclass(frozen=True)
class Signature:
    """What a model takes and gives: compared field by field when it is loaded."""

    measure: str
    unit: str
    step_min: int
    horizon_min: int
    series: tuple[str, ...]  # the series it forecasts, in the order its arrays are laid out
    features: tuple[str, ...] | None = ()  # a learned model's input columns in order; None: checked when it predicts

    def differences(self, other: Signature) -> list[str]:
        """What differs, as `field: stored != asked` (series and features summarised)."""
        found = []
        for name in ("measure", "unit", "step_min", "horizon_min"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                found.append(f"{name}: trained for {mine!r}, asked for {theirs!r}")
        for name in ("series", "features"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if theirs is not None and mine != theirs:
                missing, extra = sorted(set(mine) - set(theirs)), sorted(set(theirs) - set(mine))
                found.append(
                    f"{name}: {len(mine)} trained, {len(theirs)} asked"
                    + (f"; not given: {missing[:5]}" if missing else "")
                    + (f"; unknown to the model: {extra[:5]}" if extra else "")
                    + ("; same set, another order" if not missing and not extra else "")
                )
        return found


@dataclass(frozen=True)
class ModelCard:
    """A stored model's identity and provenance."""

    model: str
    signature: Signature
    training_id: str
    trained_until_utc: str
    input_versions: dict[str, int]
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    code_version: str = ""
    format: str = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        values = json.loads(text)
        signature = values.pop("signature")
        signature["series"] = tuple(signature["series"])
        signature["features"] = tuple(signature["features"])
        return cls(signature=Signature(**signature), **values)


def save(lake: Lake, folder: str, card: ModelCard, state: dict[str, Any]) -> str:
    """Store a model's state and card; the URI of the state file (the card sits beside it)."""
    import skops.io as sio

    name = f"h{card.signature.horizon_min:04d}_{card.model}"
    uri = f"{folder}/{name}.skops"
    lake.write_bytes(uri, sio.dumps(state))
    lake.write_bytes(f"{folder}/{name}.json", card.to_json().encode())
    return uri


def card_of(lake: Lake, uri: str) -> ModelCard:
    """The card of a stored model."""
    return ModelCard.from_json(lake.read_bytes(uri.removesuffix(".skops") + ".json").decode())


def load(lake: Lake, uri: str, expected: Signature) -> tuple[ModelCard, dict[str, Any]]:
    """A stored model's card and state, after checking that it was trained for `expected` and needs no type
    outside the allowlist."""
    import skops.io as sio

    if not uri.endswith(".skops"):
        raise UntrustedModel(f"{uri} is not a registry model (.skops): models are never loaded from pickles")
    card = card_of(lake, uri)
    differences = card.signature.differences(expected)
    if differences:
        raise ModelMismatch(f"{card.model} ({uri}) does not fit this data: " + "; ".join(differences) + ": retrain it")
    data = lake.read_bytes(uri)
    untrusted = sorted(set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES))
    if untrusted:
        raise UntrustedModel(f"{uri} needs types outside the registry's allowlist, refused: {', '.join(untrusted)}")
    state: dict[str, Any] = sio.loads(data, trusted=list(TRUSTED_TYPES))
    return card, state
