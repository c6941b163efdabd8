"""What a training run measured, epoch by epoch: the ``History`` that ``fit`` returns and saves."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class History:
    """What ``fit`` measured, one entry per finished epoch.

    wall_time is cumulative seconds since the start of training (evaluation included);
    examples_per_sec counts training examples over the epoch's training time, data included.
    ``curve`` holds (epoch as a fraction, train loss, train accuracy) at every live update.
    ``device`` is where it trained; ``precision`` says in words how (e.g. "cuda: Tesla T4
    (compute capability 7.5), fp16 autocast with loss scaling, channels-last").
    ``interrupted`` is True in the history a stopped run carries (``TrainingStopped.history``).
    """
    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    examples_per_sec: list[float] = field(default_factory=list)
    wall_time: list[float] = field(default_factory=list)
    curve: list[list[float]] = field(default_factory=list)
    device: str = ""
    interrupted: bool = False
    precision: str = ""

    def add_epoch(self, epoch: int, train_loss: float, train_acc: float, test_acc: float,
                  examples_per_sec: float, wall_time: float) -> None:
        """Record one finished epoch (epoch counts from 1)."""
        self.epoch.append(epoch)
        self.train_loss.append(train_loss)
        self.train_acc.append(train_acc)
        self.test_acc.append(test_acc)
        self.examples_per_sec.append(examples_per_sec)
        self.wall_time.append(wall_time)

    def summary(self) -> str:
        if not self.epoch:
            return "no epoch finished"
        return (f"epoch {self.epoch[-1]}: loss {self.train_loss[-1]:.3f}, train acc {self.train_acc[-1]:.3f}, "
                f"test acc {self.test_acc[-1]:.3f}, {self.examples_per_sec[-1]:.0f} examples/sec "
                f"on {self.device}, {self.wall_time[-1]:.1f} s in all")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "History":
        return cls(**values)
