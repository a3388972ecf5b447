"""`anxin care train|eval`: help, a small training run into a directory, the evaluation against the keyword
baseline (figures in JSON), and the seeds it refuses."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from anxin.cli.main import main


def test_help_names_the_commands_and_options() -> None:
    runner = CliRunner()
    assert "train" in runner.invoke(main, ["care", "--help"]).output
    train = runner.invoke(main, ["care", "train", "--help"]).output
    assert "--seed" in train and "--n" in train and "--check" in train and "byte" in train
    evaluation = runner.invoke(main, ["care", "eval", "--help"]).output
    assert "keyword" in evaluation and "--phrasings" in evaluation and "--json" in evaluation


def test_train_into_a_directory_then_evaluate_it(tmp_path: Path) -> None:
    runner = CliRunner()
    trained = runner.invoke(main, ["care", "train", "--seed", "3", "--n", "600", "--version", "intents-test",
                                   "--out", str(tmp_path)])
    assert trained.exit_code == 0, trained.output
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"] == "intents-test.json.gz" and (tmp_path / "intents-test.json.gz").is_file()
    assert manifest["training"]["seed"] == 3 and manifest["training"]["n"] == 600
    assert manifest["command"] == "anxin care train --seed 3 --n 600 --version intents-test"
    again = runner.invoke(main, ["care", "train", "--seed", "3", "--n", "600", "--version", "intents-test",
                                 "--out", str(tmp_path), "--check"])
    assert again.exit_code == 0 and "bytes identical" in again.output, again.output
    other = runner.invoke(main, ["care", "train", "--seed", "4", "--n", "600", "--version", "intents-test",
                                 "--out", str(tmp_path), "--check"])
    assert other.exit_code == 1 and "DIFFERS" in other.output

    out = tmp_path / "eval.json"
    evaluated = runner.invoke(main, ["care", "eval", "--seed", "5", "--n", "300", "--models", str(tmp_path),
                                     "--json", str(out)])
    assert evaluated.exit_code == 0, evaluated.output
    assert "macro-F1" in evaluated.output and "keywords F1" in evaluated.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["model_version"] == "intents-test" and figures["n"] == 300
    for system in ("classifier", "router", "keywords"):
        assert 0.3 < figures[system]["accuracy"] <= 1.0
        assert len(figures[system]["confusion"]) == 12
    assert sum(figures["router_reasons"].values()) == 300

    refused = runner.invoke(main, ["care", "eval", "--seed", "3", "--models", str(tmp_path)])
    assert refused.exit_code == 2 and "trained on seed 3" in refused.output
    assert runner.invoke(main, ["care", "train", "--seed", "1007", "--out", str(tmp_path)]).exit_code == 2
    missing = runner.invoke(main, ["care", "eval", "--models", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "cannot load the router" in missing.output


def test_the_shipped_model_beats_the_keyword_baseline_on_a_fresh_seed(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(main, ["care", "eval", "--seed", "77", "--n", "600", "--no-confusion",
                                       "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "intents-2026.12" in result.output and "care-routing-2026.12" in result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["router"]["accuracy"] > figures["keywords"]["accuracy"] + 0.1
    assert figures["classifier"]["macro_f1"] > figures["keywords"]["macro_f1"]
