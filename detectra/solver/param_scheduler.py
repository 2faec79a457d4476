"""Parameter schedules as functions of training progress ``where`` in [0, 1].

Same classes and values as ``fvcore.common.param_scheduler`` (which Detectron2's LR schedules are built from);
written here because fvcore is not a dependency. ``where = iteration / max_iter``.
"""
from __future__ import annotations

import abc
import bisect
import math
from typing import Optional, Sequence

_FVCORE_MODULE = "fvcore.common.param_scheduler"

__all__ = [
    "ParamScheduler",
    "ConstantParamScheduler",
    "LinearParamScheduler",
    "CosineParamScheduler",
    "ExponentialParamScheduler",
    "PolynomialDecayParamScheduler",
    "MultiStepParamScheduler",
    "StepParamScheduler",
    "StepWithFixedGammaParamScheduler",
    "CompositeParamScheduler",
]


class ParamScheduler(metaclass=abc.ABCMeta):
    """A schedule: ``scheduler(where) -> value`` for ``where`` in [0, 1].

    fvcore's schedulers (``fvcore.common.param_scheduler``, which Detectron2 configs import) count as instances,
    so they are accepted wherever detectra's are (``WarmupParamScheduler``, ``LRMultiplier``, LazyConfig's
    ``lr_multiplier``).
    """

    # Guards int(where * n) against where = k / n landing just below k / n in floating point.
    WHERE_EPSILON = 1e-6

    def __call__(self, where: float) -> float:
        raise NotImplementedError

    @classmethod
    def __subclasshook__(cls, subclass: type) -> bool:
        # Only the base class adopts fvcore's: an fvcore scheduler is not, say, detectra's MultiStepParamScheduler.
        if cls is ParamScheduler and any(
            base.__module__ == _FVCORE_MODULE and base.__name__ == "ParamScheduler" for base in subclass.__mro__
        ):
            return True
        return NotImplemented


class ConstantParamScheduler(ParamScheduler):
    """Always ``value``."""

    def __init__(self, value: float) -> None:
        self._value = value

    def __call__(self, where: float) -> float:
        if where >= 1.0:
            raise RuntimeError(f"where in ParamScheduler must be in [0, 1): got {where}")
        return self._value


class LinearParamScheduler(ParamScheduler):
    """``start_value + where * (end_value - start_value)``."""

    def __init__(self, start_value: float, end_value: float) -> None:
        self._start_value = start_value
        self._end_value = end_value

    def __call__(self, where: float) -> float:
        return self._end_value * where + self._start_value * (1 - where)


class CosineParamScheduler(ParamScheduler):
    """Half cosine from ``start_value`` (where=0) to ``end_value`` (where=1)."""

    def __init__(self, start_value: float, end_value: float) -> None:
        self._start_value = start_value
        self._end_value = end_value

    def __call__(self, where: float) -> float:
        return self._end_value + 0.5 * (self._start_value - self._end_value) * (1 + math.cos(math.pi * where))


class ExponentialParamScheduler(ParamScheduler):
    """``start_value * decay ** where``."""

    def __init__(self, start_value: float, decay: float) -> None:
        self._start_value = start_value
        self._decay = decay

    def __call__(self, where: float) -> float:
        return self._start_value * (self._decay**where)


class PolynomialDecayParamScheduler(ParamScheduler):
    """``base_value * (1 - where) ** power``."""

    def __init__(self, base_value: float, power: float) -> None:
        self._base_value = base_value
        self._power = power

    def __call__(self, where: float) -> float:
        return self._base_value * (1 - where) ** self._power


class MultiStepParamScheduler(ParamScheduler):
    """Piecewise constant: ``values[i]`` between ``milestones[i-1]`` and ``milestones[i]`` (in updates).

    Example: ``MultiStepParamScheduler([1, 0.1, 0.01], milestones=[60, 80], num_updates=90)`` gives 1 for
    updates 0-59, 0.1 for 60-79 and 0.01 for 80-89.
    """

    def __init__(
        self,
        values: Sequence[float],
        num_updates: Optional[int] = None,
        milestones: Optional[Sequence[int]] = None,
    ) -> None:
        """
        Args:
            values: the value of each segment.
            num_updates: the total number of updates; may be omitted if ``milestones`` has ``len(values)``
                entries, the last being the total.
            milestones: update indices where the value changes; default: equally spaced.
        """
        if num_updates is None and milestones is None:
            raise ValueError("MultiStepParamScheduler needs num_updates, milestones, or both.")
        if milestones is None:
            width = math.ceil(num_updates / float(len(values)))
            milestones = [width * (i + 1) for i in range(len(values) - 1)]
        elif len(milestones) != len(values) - int(num_updates is not None):
            raise ValueError(
                f"MultiStepParamScheduler: {len(values)} values need {len(values) - int(num_updates is not None)} "
                f"milestones (with num_updates={num_updates}), got {list(milestones)}."
            )
        milestones = list(milestones)
        if num_updates is None:
            num_updates, milestones = milestones[-1], milestones[:-1]
        if num_updates < len(values):
            raise ValueError(f"MultiStepParamScheduler: num_updates={num_updates} is less than len(values).")
        previous = 0
        for m in milestones:
            if m >= num_updates:
                raise ValueError(f"MultiStepParamScheduler: milestone {m} is not below num_updates={num_updates}.")
            if m <= previous:
                raise ValueError(f"MultiStepParamScheduler: milestones must be strictly increasing, got {milestones}.")
            previous = m
        self._param_schedule = list(values)
        self._num_updates = num_updates
        self._milestones = milestones

    def __call__(self, where: float) -> float:
        if where > 1.0:
            raise RuntimeError(f"where in ParamScheduler must be in [0, 1]: got {where}")
        update = int((where + self.WHERE_EPSILON) * self._num_updates)
        return self._param_schedule[bisect.bisect_right(self._milestones, update)]


class StepParamScheduler(ParamScheduler):
    """``values`` spread evenly over training: ``values[int(where * len(values))]``."""

    def __init__(self, num_updates: int, values: Sequence[float]) -> None:
        if num_updates <= 0 or not values:
            raise ValueError("StepParamScheduler needs num_updates > 0 and at least one value.")
        self._param_schedule = list(values)

    def __call__(self, where: float) -> float:
        index = int((where + self.WHERE_EPSILON) * len(self._param_schedule))
        # fvcore raises IndexError at where=1.0, which LRMultiplier reaches after the last iteration's step().
        return self._param_schedule[min(index, len(self._param_schedule) - 1)]


class StepWithFixedGammaParamScheduler(ParamScheduler):
    """``base_value * gamma ** k`` over ``num_decays + 1`` equal segments of training."""

    def __init__(self, base_value: float, num_decays: int, gamma: float, num_updates: int) -> None:
        if base_value <= 0 or gamma <= 0:
            raise ValueError(f"StepWithFixedGammaParamScheduler: base_value ({base_value}) and gamma ({gamma}) must be > 0.")
        if num_decays <= 0 or num_updates <= 0:
            raise ValueError(
                f"StepWithFixedGammaParamScheduler: num_decays ({num_decays}) and num_updates ({num_updates}) "
                "must be positive integers."
            )
        values = [base_value * gamma**k for k in range(num_decays + 1)]
        self._steps = StepParamScheduler(num_updates=num_updates, values=values)

    def __call__(self, where: float) -> float:
        return self._steps(where)


class CompositeParamScheduler(ParamScheduler):
    """Several schedules one after the other, each for a fraction ``lengths[i]`` of training.

    With ``interval_scaling[i] == "rescaled"``, schedule ``i`` sees its own progress (0 -> 1 over its segment);
    with ``"fixed"`` it sees the global ``where``.
    """

    def __init__(
        self,
        schedulers: Sequence[ParamScheduler],
        lengths: Sequence[float],
        interval_scaling: Sequence[str],
    ) -> None:
        if not (len(schedulers) == len(lengths) == len(interval_scaling)):
            raise ValueError("CompositeParamScheduler: schedulers, lengths and interval_scaling must have equal length.")
        if not schedulers:
            raise ValueError("CompositeParamScheduler needs at least one scheduler.")
        if abs(sum(lengths) - 1.0) >= 1e-3:
            raise ValueError(f"CompositeParamScheduler: lengths must sum to 1.0, got {list(lengths)}.")
        for s in interval_scaling:
            if s not in ("rescaled", "fixed"):
                raise ValueError(f"CompositeParamScheduler: interval_scaling must be 'rescaled' or 'fixed', got '{s}'.")
        self._schedulers = list(schedulers)
        self._lengths = list(lengths)
        self._interval_scaling = list(interval_scaling)

    def __call__(self, where: float) -> float:
        i = 0
        running_total = self._lengths[0]
        while where + self.WHERE_EPSILON > running_total and i < len(self._schedulers) - 1:
            i += 1
            running_total += self._lengths[i]
        scheduler_where = where
        if self._interval_scaling[i] == "rescaled":
            start = running_total - self._lengths[i]
            scheduler_where = (where - start) / self._lengths[i]
        return self._schedulers[i](scheduler_where)
