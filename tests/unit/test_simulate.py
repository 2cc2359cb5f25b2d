"""`hotline simulate`: the simulated center agrees with Erlang C, and the command behaves."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent_ui.cli import simulate_cmd
from agent_ui.simulation import SimulationRequest, run_simulation

pytestmark = pytest.mark.unit

FIELDS = {
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "asa_s",
    "aht_s",
    "occupancy",
    "erlang_c_service_level",
    "erlang_c_asa_s",
    "wall_s",
}


def invoke(*args: str) -> tuple[int, str, str]:
    app = typer.Typer()
    simulate_cmd.register(app)

    @app.callback()
    def _root() -> None:
        """Keep `simulate` a sub-command."""

    result = CliRunner().invoke(app, ["simulate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_given_55_agents_at_48_erlangs_then_ten_seeds_average_within_erlang_c_bounds():
    runs = [
        run_simulation(
            SimulationRequest(
                agents=55, arrival_rate_per_s=0.2, aht_s=240, patience_s=0, hours=8, seed=seed
            )
        )
        for seed in range(10)
    ]
    service_level = statistics.mean(r["service_level"] for r in runs)  # type: ignore[misc]
    asa = statistics.mean(r["asa_s"] for r in runs)  # type: ignore[misc]
    expected_sl = runs[0]["erlang_c_service_level"]
    expected_asa = runs[0]["erlang_c_asa_s"]
    assert expected_sl == pytest.approx(0.8668, abs=1e-4)
    assert abs(service_level - expected_sl) <= 0.015  # type: ignore[operator]
    assert abs(asa / expected_asa - 1) <= 0.08  # type: ignore[operator]
    assert all(r["abandoned"] == 0 for r in runs)
    assert statistics.mean(r["aht_s"] for r in runs) == pytest.approx(240, rel=0.03)  # type: ignore[misc]
    assert statistics.mean(r["occupancy"] for r in runs) == pytest.approx(48 / 55, abs=0.02)  # type: ignore[misc]


def test_given_the_cli_then_it_prints_one_json_object_with_the_named_figures():
    code, out, _ = invoke(
        "--agents",
        "5",
        "--arrival-rate",
        "0.02",
        "--aht",
        "120",
        "--patience",
        "60",
        "--hours",
        "1",
        "--seed",
        "3",
    )
    assert code == 0
    figures = json.loads(out.strip().splitlines()[-1])
    assert set(figures) >= FIELDS
    assert figures["offered"] == figures["answered"] + figures["abandoned"]


def test_given_the_same_seed_then_the_figures_are_the_same():
    request = SimulationRequest(agents=4, arrival_rate_per_s=0.03, aht_s=100, hours=1, seed=9)
    first, second = run_simulation(request), run_simulation(request)
    first.pop("wall_s"), second.pop("wall_s")
    assert first == second


def test_given_impatient_callers_and_too_few_agents_then_calls_are_abandoned():
    figures = run_simulation(
        SimulationRequest(
            agents=2, arrival_rate_per_s=0.05, aht_s=120, patience_s=20, hours=1, seed=1
        )
    )
    assert figures["abandoned"] > 0
    assert figures["service_level"] < 0.8  # type: ignore[operator]


def test_given_the_sample_center_then_calls_run_through_its_menus_and_queues():
    sample = Path(__file__).parents[2] / "config" / "samples" / "center.toml"
    code, out, _ = invoke("--center", str(sample), "--hours", "1", "--arrival-rate", "0.02")
    assert code == 0
    figures = json.loads(out)
    assert figures["calls"] > 0
    assert figures["offered"] > 0
    queues = figures["queues"]
    assert set(queues) == {"sales", "support", "billing", "english"}
    for name, queue in queues.items():
        parts = queue["answered"] + queue["abandoned"] + queue["overflowed_out"]
        assert queue["offered"] == parts, name
    assert sum(q["offered"] for q in queues.values()) >= figures["offered"]


def test_given_a_broken_center_file_then_it_names_the_problem_and_exits_2(tmp_path: Path):
    broken = tmp_path / "center.toml"
    broken.write_text('[queues.sales]\nstrategy = "fastest"\n')
    code, _, err = invoke("--center", str(broken))
    assert code == 2
    assert "center.toml: queues.sales.strategy" in err


@pytest.mark.parametrize("args", [["--hours", "0"], ["--aht", "-1"], ["--agents", "0"]])
def test_given_impossible_options_then_it_refuses_with_exit_2(args: list[str]):
    code, _, err = invoke(*args)
    assert code == 2
    assert "simulate:" in err
