"""PNG plots of a ``bulkflow bench`` report: completion times, rows/s, CPU per process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.bulk_figures import rate_series, records
from bench.bulk_spread import GOALS


def plot(report: dict[str, Any], results: Path, stem: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = report["systems"]
    out = []
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, kind, title in (
        (axes[0], "big", "big uploads (low tier)"),
        (axes[1], "small", "small uploads submitted at the backlog peak (high tier)"),
    ):
        for key, system in systems.items():
            recs = [r for r in records(system) if r["kind"] == kind and r["finished"] is not None]
            waits = sorted(max(r["finished"] - r["submitted"], 1e-3) for r in recs)
            if not waits:
                continue
            ys = [(i + 1) / len(waits) for i in range(len(waits))]
            label = system.get("label", key)
            if any(r["extrapolated"] for r in recs):
                label += " (partly extrapolated)"
            ax.step(
                waits, ys, where="post", label=label, linestyle="--" if key == "baseline" else "-"
            )
        ax.set_xscale("log")
        ax.set_xlabel("submitted → completed (s, log scale)")
        ax.set_ylabel("fraction of uploads completed")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[1].axvline(
        GOALS["small_p95_s"],
        color="grey",
        linestyle=":",
        label=f"goal p95 {GOALS['small_p95_s']} s",
    )
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    out.append(_save(fig, results / f"{stem}-completion.png"))

    fig, ax = plt.subplots(figsize=(10, 4.5))
    for key, system in systems.items():
        xs, ys = rate_series(system)
        if xs:
            ax.plot(xs, ys, label=system.get("label", key))
    ax.axhline(GOALS["rows_per_s"], color="grey", linestyle=":", label="goal 85,000 rows/s")
    _label_time_axes(ax, "rows per second (2 s bins)", "rows per second over time")
    out.append(_save(fig, results / f"{stem}-throughput.png"))

    main = next((v for v in systems.values() if v.get("main")), None)
    if main and main.get("cpu_series"):
        fig, ax = plt.subplots(figsize=(10, 4.5))
        for name, series in main["cpu_series"].items():
            if series and max(p for _, p, _ in series) > 5:
                style = ":" if name.startswith("machine") else "-"
                ax.plot([t for t, _, _ in series], [p for _, p, _ in series], style, label=name)
        _label_time_axes(ax, "CPU % (100 = one core)", f"CPU per process: {main.get('label')}")
        out.append(_save(fig, results / f"{stem}-cpu.png"))
    return out


def _label_time_axes(ax: Any, ylabel: str, title: str) -> None:
    ax.set_xlabel("seconds after the first upload")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
