"""Run sizes: the default suite (under 15 minutes on 2 CPU cores) and the seconds-long --quick one."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ModelPlan:
    """Batch size and number of measured batches for one model."""

    batch_size: int
    batches: int


# Sized so that the accumulate loop under grad peaks at about 3 GB per model on CPU.
FULL_PLANS: dict[str, ModelPlan] = {
    "small_cnn": ModelPlan(batch_size=256, batches=30),
    "resnet_half": ModelPlan(batch_size=64, batches=20),
    "transformer": ModelPlan(batch_size=16, batches=20),
    "mlp": ModelPlan(batch_size=256, batches=30),
}
QUICK_PLAN = ModelPlan(batch_size=8, batches=4)


@dataclass(frozen=True)
class PhaseSizes:
    """Repetitions of the time and energy phases."""

    timing_repeats: int
    timing_warmup: int
    energy_rounds: int
    energy_task_seconds: float


FULL_PHASES = PhaseSizes(
    timing_repeats=15, timing_warmup=2, energy_rounds=5, energy_task_seconds=3.0
)
QUICK_PHASES = PhaseSizes(
    timing_repeats=3, timing_warmup=1, energy_rounds=2, energy_task_seconds=0.3
)


def plan_for(model: str, quick: bool, batch_size: int | None, batches: int | None) -> ModelPlan:
    """The model's plan, with command-line overrides applied."""
    plan = QUICK_PLAN if quick else FULL_PLANS[model]
    return replace(plan, batch_size=batch_size or plan.batch_size, batches=batches or plan.batches)
