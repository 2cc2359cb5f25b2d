"""Benchmark: `hotline simulate` against Erlang C, and its wall time per simulated day.

Run: python tests/bench/simulate.py [--quick]
Prints one JSON object as its last line: mean service level and ASA over the seeds beside Erlang C,
their differences, and the median wall time of one 8-hour run.
"""

from __future__ import annotations

import argparse
import json
import statistics

from agent_ui.simulation import SimulationRequest, run_simulation


def main() -> None:
    """Run the seeds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 seeds of 2 hours")
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    seeds, hours = (3, 2.0) if args.quick else (args.seeds, 8.0)
    runs = [
        run_simulation(
            SimulationRequest(
                agents=55, arrival_rate_per_s=0.2, aht_s=240, patience_s=0, hours=hours, seed=seed
            )
        )
        for seed in range(seeds)
    ]
    sl = statistics.mean(float(r["service_level"]) for r in runs)  # type: ignore[arg-type]
    asa = statistics.mean(float(r["asa_s"]) for r in runs)  # type: ignore[arg-type]
    erlang_sl = float(runs[0]["erlang_c_service_level"])  # type: ignore[arg-type]
    erlang_asa = float(runs[0]["erlang_c_asa_s"])  # type: ignore[arg-type]
    walls = [float(r["wall_s"]) for r in runs]  # type: ignore[arg-type]
    print(
        json.dumps(
            {
                "seeds": seeds,
                "hours": hours,
                "agents": 55,
                "arrival_rate_per_s": 0.2,
                "aht_s": 240,
                "calls_per_run_median": statistics.median(int(r["calls"]) for r in runs),  # type: ignore[call-overload]
                "service_level_mean": round(sl, 4),
                "erlang_c_service_level": erlang_sl,
                "service_level_diff_points": round(100 * (sl - erlang_sl), 2),
                "asa_s_mean": round(asa, 2),
                "erlang_c_asa_s": erlang_asa,
                "asa_ratio": round(asa / erlang_asa, 4),
                "wall_s_median": round(statistics.median(walls), 3),
                "wall_s_max": round(max(walls), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
