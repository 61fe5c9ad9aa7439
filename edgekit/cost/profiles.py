"""Device profiles (data in profiles.json) and latency *estimates* from MACs and bytes.

These are first-order estimates for comparing members across devices, always labelled as such;
measured host latency comes from ``edgekit bench``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from edgekit.errors import ConfigError


@dataclass(frozen=True)
class DeviceProfile:
    name: str
    description: str
    overhead_us: float
    macs_per_s: dict[str, float]
    bytes_per_s: float
    basis: str

    def estimate_us(self, macs: int, nbytes: int, dtype: str = "float32") -> float:
        """Estimated latency (us) of one member: fixed overhead + compute + weight traffic."""
        rate = self.macs_per_s.get(dtype, self.macs_per_s["float32"])
        return self.overhead_us + 1e6 * macs / rate + 1e6 * nbytes / self.bytes_per_s


def load_profiles(path: Path | None = None) -> dict[str, DeviceProfile]:
    """The shipped profiles, or those in ``path`` (same JSON layout)."""
    text = (
        Path(path).read_text()
        if path
        else resources.files("edgekit.cost").joinpath("profiles.json").read_text()
    )
    where = str(path or "edgekit/cost/profiles.json")
    try:
        raw = json.loads(text)["profiles"]
        return {
            name: DeviceProfile(
                name,
                p["description"],
                float(p["overhead_us"]),
                {k: float(v) for k, v in p["macs_per_s"].items()},
                float(p["bytes_per_s"]),
                p.get("basis", ""),
            )
            for name, p in raw.items()
        }
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as e:
        raise ConfigError(f"{where}: not a valid device profile file ({e!r})") from None
