"""`hotline simulate`: a simulated day on the virtual clock, printed as one JSON object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent_ui.simulation import SimulationRequest, run_simulation
from config.center_file import CenterFileError


def simulate(
    agents: Annotated[
        int | None, typer.Option(help="Agents (default: the center's, or 10).")
    ] = None,
    arrival_rate: Annotated[float, typer.Option(help="Calls per second, all numbers.")] = 0.05,
    aht: Annotated[float, typer.Option(help="Mean handle time (talk + wrap-up), s.")] = 180.0,
    patience: Annotated[
        float, typer.Option(help="Mean caller patience, s (0: never abandons).")
    ] = 120.0,
    hours: Annotated[float, typer.Option(help="Simulated hours of arrivals.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    center: Annotated[Path | None, typer.Option(help="Center file (default: one queue).")] = None,
    threshold: Annotated[float | None, typer.Option(help="Service-level threshold, s.")] = None,
    ring_delay: Annotated[float, typer.Option(help="Seconds agents take to answer.")] = 0.0,
    warmup_min: Annotated[float, typer.Option(help="Leave out calls of the first minutes.")] = 0.0,
    fixed_patience: Annotated[bool, typer.Option(help="Fixed instead of exponential.")] = False,
    fixed_handle: Annotated[bool, typer.Option(help="Fixed instead of exponential.")] = False,
) -> None:
    """Run calls through IVR, queues and agents on the virtual clock; print figures as JSON.

    Figures come from the call records; erlang_c_* are Erlang C's prediction for the same
    agents, arrival rate and handle time (with a center file, the arrival rate that reached the
    queues).
    """
    request = SimulationRequest(
        agents=agents,
        arrival_rate_per_s=arrival_rate,
        aht_s=aht,
        patience_s=patience,
        hours=hours,
        seed=seed,
        center_file=center,
        threshold_s=threshold,
        ring_delay_s=ring_delay,
        warmup_min=warmup_min,
        fixed_patience=fixed_patience,
        fixed_handle=fixed_handle,
    )
    if arrival_rate < 0 or aht <= 0 or hours <= 0 or (agents is not None and agents < 1):
        typer.echo(
            "simulate: need --arrival-rate >= 0, --aht > 0, --hours > 0, --agents >= 1", err=True
        )
        raise typer.Exit(2)
    try:
        figures = run_simulation(request)
    except CenterFileError as error:
        for message in error.messages:
            typer.echo(message, err=True)
        raise typer.Exit(2) from error
    typer.echo(json.dumps(figures))


def register(app: typer.Typer) -> None:
    """Add `simulate`."""
    app.command("simulate")(simulate)
