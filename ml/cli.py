"""The command line: ``python -m ml profile FILE ...`` (and the model commands as they are added).

Bad input exits non-zero with a one-line reason on stderr and no traceback: 2 for problems with the data or the
arguments, 1 for anything unexpected.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ml.dataset import CleaningOptions, Dataset, ReturnsPolicy
from ml.forecast.config import COMBINE_KINDS, FUTURE_FITS
from ml.i18n import LANGUAGES, format_number, normalise_language, render_error, set_language, t
from ml.isolated import load_dataset_isolated, resident_bytes
from ml.keras_runtime import CHOICES as BACKEND_CHOICES
from ml.keras_runtime import backend_label, select_backend
from ml.limits import DISK_LIMITS, LIMITS
from ml.mapping import parse_map_argument
from ml.parsing import describe_date_format
from ml.pushdown.cli import add_saved_dataset_arguments
from ml.schema import CANONICAL_COLUMNS, ConfigError, DataError, SalesLensError
from ml.sources.cli import add_sql_arguments, print_source, sql_files

EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_INPUT = 0, 1, 2
_log = logging.getLogger("ml.cli")


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments every command that reads sales files shares."""
    parser.add_argument("files", nargs="*", metavar="FILE", help=t("cli.arg.files"))
    add_sql_arguments(parser)
    parser.add_argument("--map", default="", metavar="FIELD=COLUMN,...", help=t("cli.arg.map"))
    parser.add_argument("--returns", choices=[p.value for p in ReturnsPolicy], default=ReturnsPolicy.KEEP.value, help=t("cli.arg.returns"))
    order = parser.add_mutually_exclusive_group()
    order.add_argument("--day-first", dest="day_first", action="store_const", const=True, default=None, help=t("cli.arg.day_first"))
    order.add_argument("--month-first", dest="day_first", action="store_const", const=False, help=t("cli.arg.month_first"))
    parser.add_argument("--encoding", default=None, help=t("cli.arg.encoding"))
    parser.add_argument("--keep-duplicates", action="store_true", help=t("cli.arg.keep_duplicates"))
    parser.add_argument("--json", action="store_true", help=t("cli.arg.json"))
    parser.add_argument("--lang", choices=list(LANGUAGES), default=None, help=t("cli.arg.lang"))


def read_files_argument(paths: Sequence[str]) -> list[tuple[str, bytes]]:
    files = []
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise DataError("cli.error.no_such_file", path=raw)
        size = path.stat().st_size
        if size > LIMITS.max_upload_bytes:
            raise DataError("ingest.error.file_too_large", name=path.name, size_mb=round(size / 2**20), limit_mb=LIMITS.max_upload_mb)
        files.append((path.name, path.read_bytes()))
    return files


def cleaning_options_from_args(args: argparse.Namespace) -> CleaningOptions:
    return CleaningOptions(
        returns=ReturnsPolicy(args.returns),
        day_first=args.day_first,
        drop_duplicates=not args.keep_duplicates,
        encoding=args.encoding,
    )


def load_from_args(args: argparse.Namespace) -> Dataset:
    if getattr(args, "dataset", None):  # a saved dataset (ml/pushdown/cli.py): a large one stays on disk
        from ml.pushdown.cli import load_saved

        return load_saved(args)
    options = cleaning_options_from_args(args)
    from ml.outofcore.run import load_paths_isolated, wants_stream

    query_files = sql_files(args)  # a query's result, or [] when the command reads files
    if not query_files and wants_stream(args.files):  # large files: streamed from disk by the worker (ml/outofcore)
        return load_paths_isolated(args.files, parse_map_argument(args.map), options, DISK_LIMITS,
                                   reserve=resident_bytes(os.getpid()) + 48 * 2**20, load_frame=getattr(args, "command", None) != "profile")
    files = query_files or read_files_argument(args.files)
    # The parse worker gets what is left of the budget after this process (the files and imports it holds, and a
    # margin for the watcher's 20 ms between looks), so that the command as a whole stays within it.
    reserve = resident_bytes(os.getpid()) + 48 * 2**20
    return load_dataset_isolated(files, parse_map_argument(args.map), options, reserve=reserve)


# ----------------------------------------------------------------------------------------------- profile


def print_profile(ds: Dataset) -> None:
    report = ds.report
    for fmt in report.formats:
        if print_source(fmt):
            continue
        print(
            t(
                "cli.profile.format",
                name=fmt.name,
                kind=fmt.kind.upper(),
                encoding=fmt.encoding or "-",
                delimiter={"\t": "TAB"}.get(fmt.delimiter or "", fmt.delimiter or "-"),
                title_lines=fmt.skipped_title_lines,
                footer_lines=fmt.skipped_footer_lines,
            )
        )
    print(t("cli.profile.numbers", decimal=report.number_style, date_format=describe_date_format(report.date_format)))
    if report.date_ambiguous:
        print(t("cli.profile.date_ambiguous", chosen=describe_date_format(report.date_format)))
    print()
    print(t("cli.profile.mapping"))
    for canonical in CANONICAL_COLUMNS:
        source = ds.mapping.source_for(canonical)
        if source:
            print(f"  {t(f'field.{canonical}'):<16} <- {source}")
    print()
    print(t("cli.profile.rows", read=format_number(report.rows_read), kept=format_number(report.rows_kept)))
    for p in report.problems:
        print(f"  [{t(f'report.action.{p.action}')}] {t(f'report.reason.{p.reason}')}: {format_number(p.count)}")
        for example in p.examples:
            print(f"      {example}")
    totals = ds.control_totals()
    print()
    print(
        t(
            "cli.profile.totals",
            quantity=format_number(totals["total_quantity"], 2) if totals["total_quantity"] is not None else "-",
            revenue=format_number(totals["total_revenue"], 2) if totals["total_revenue"] is not None else "-",
            start=totals["date_min"],
            end=totals["date_max"],
        )
    )


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    add_saved_dataset_arguments(parser)


def run_profile(args: argparse.Namespace) -> int:
    ds = load_from_args(args)
    if args.json:
        print(json.dumps(ds.profile_json(), ensure_ascii=False, default=str))
    else:
        print_profile(ds)
    return EXIT_OK


# ----------------------------------------------------------------------------------------------- forecast

_PANDAS_FREQ = {"D": "D", "W": "W-MON", "M": "MS"}
_CONFIG_ARGS = {  # CLI option -> ForecastConfig field
    "model": "model_type", "window": "window", "units": "units", "layers": "layers", "epochs": "epochs",
    "batch_size": "batch_size", "learning_rate": "learning_rate", "dropout": "dropout", "patience": "patience",
    "horizon": "horizon", "seed": "seed", "validation_split": "validation_split",
    # improvements around the network (ml/forecast/config.py LEVERS)
    "baseline": "baseline", "fourier_order": "fourier_order", "combine": "combine", "combine_shrink": "combine_shrink",
    "ensemble": "ensemble",
    "lr_schedule": "lr_schedule", "warm_start_epochs": "warm_start_epochs", "global_batch_size": "global_batch_size",
    "future_fit": "future_fit", "window_stride": "window_stride", "global_patience": "global_patience",
}


def add_backend_argument(parser: argparse.ArgumentParser) -> None:
    """``--backend`` for commands that train or load a network; ``select_backend(args.backend)`` must run before
    anything imports Keras (Keras fixes its backend at import)."""
    parser.add_argument("--backend", choices=BACKEND_CHOICES, default=None, help=t("backend.arg"))


def add_forecast_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    add_saved_dataset_arguments(parser)
    add_backend_argument(parser)
    parser.add_argument("--level", default="total", help=t("cli.arg.level"))
    parser.add_argument("--target", choices=["units", "revenue", "price"], default="units")
    parser.add_argument("--freq", choices=list(_PANDAS_FREQ), default="D")
    parser.add_argument("--preset", default=None, help=t("cli.arg.preset"))
    parser.add_argument("--model", choices=["lstm", "stacked_lstm", "gru", "rnn", "cnn"], default=None)
    for name, kind in (("window", int), ("units", int), ("layers", int), ("epochs", int), ("batch-size", int),
                       ("learning-rate", float), ("dropout", float), ("patience", int), ("horizon", int), ("seed", int),
                       ("validation-split", float)):
        parser.add_argument(f"--{name}", type=kind, default=None)
    parser.add_argument("--baseline", choices=["none", "seasonal_mean"], default=None,
                        help=t("forecast.levers.baseline_help"))
    parser.add_argument("--combine", choices=list(COMBINE_KINDS), default=None, help=t("forecast.levers.combine_help"))
    parser.add_argument("--combine-shrink", type=float, default=None, help=t("forecast.levers.combine_shrink_help"))
    parser.add_argument("--lr-schedule", choices=["constant", "cosine"], default=None,
                        help=t("forecast.levers.lr_schedule_help"))
    parser.add_argument("--fourier-order", type=int, default=None, help=t("forecast.levers.fourier_order_help"))
    parser.add_argument("--ensemble", type=int, default=None, help=t("forecast.levers.ensemble_help"))
    parser.add_argument("--warm-start-epochs", type=int, default=None,
                        help=t("forecast.levers.warm_start_epochs_help"))
    parser.add_argument("--global-batch-size", type=int, default=None,
                        help=t("forecast.levers.global_batch_size_help"))
    parser.add_argument("--future-fit", choices=list(FUTURE_FITS), default=None,
                        help=t("forecast.levers.future_fit_help"))
    parser.add_argument("--window-stride", type=int, default=None, help=t("forecast.levers.window_stride_help"))
    parser.add_argument("--global-patience", type=int, default=None, help=t("forecast.levers.global_patience_help"))
    parser.add_argument("--backtest-folds", type=int, default=0, help=t("cli.arg.backtest_folds"))
    parser.add_argument("--interval", type=float, default=0.9, help=t("cli.arg.interval"))
    parser.add_argument("--no-baselines", action="store_true", help=t("cli.arg.no_baselines"))
    parser.add_argument("--save", default=None, metavar="DIR", help=t("cli.arg.save"))
    parser.add_argument("--search", type=int, default=0, metavar="TRIALS", help=t("evaluation.cli.search"))
    parser.add_argument("--search-minutes", type=float, default=10.0, help=t("evaluation.cli.search_minutes"))
    add_engine_arguments(parser)
    parser.add_argument("--shards", type=int, default=None, help=t("engine.shards_arg"))


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """``--engine local|ray [--ray-address ...]``: where the many-series work runs (ml/engine.py)."""
    parser.add_argument("--engine", choices=["local", "ray"], default=None, help=t("engine.arg"))
    parser.add_argument("--ray-address", default=None, metavar="ADDRESS", help=t("engine.address_arg"))


def engine_from_args(args: argparse.Namespace):
    from ml.engine import get_engine

    return get_engine(args.engine, args.ray_address)


def forecast_config_from_args(args: argparse.Namespace):
    from ml.forecast import default_config, get_preset

    freq = _PANDAS_FREQ[args.freq]
    changes = {field: getattr(args, option) for option, field in _CONFIG_ARGS.items() if getattr(args, option) is not None}
    if args.preset:
        return get_preset(args.preset, freq, **changes)
    return default_config(freq, **changes)


def run_forecast_command(args: argparse.Namespace) -> int:
    select_backend(args.backend)
    from ml.forecast import save_bundle
    from ml.forecast.shards import ShardedForecaster, forecast_many
    from ml.progress import Progress, ProgressEvent
    from ml.pushdown.stored import source_of
    from ml.series import describe_partial, make_series

    engine = engine_from_args(args)  # an unreachable cluster is said before the files are read
    if engine.name == "local":  # Keras imported before the forecast starts: its total_seconds is the forecast's
        from ml.forecast import network  # noqa: F401
    ds = load_from_args(args)
    config = forecast_config_from_args(args)
    series = make_series(source_of(ds), args.target, args.level, args.freq)  # a large saved one: in place

    def on_progress(event: ProgressEvent) -> None:
        if not args.json:
            print(f"\r{t('cli.forecast.epoch', epoch=event.done, total=event.total, loss=format_number(event.metrics.get('loss'), 4))}", end="", file=sys.stderr, flush=True)

    if args.search:
        return run_search_command(args, series, config, engine)
    result = forecast_many(series, config, engine, shards=args.shards, baselines=not args.no_baselines,
                           backtest_folds=args.backtest_folds, progress=Progress(on_progress),
                           interval_level=args.interval)
    if not args.json:
        print(file=sys.stderr)
    if args.save and isinstance(result.forecaster, ShardedForecaster):
        raise ConfigError("engine.error.shard_save", shards=len(result.forecaster.shards))
    if args.save:
        save_bundle(result.forecaster, args.save, metrics=result.to_json_dict()["metrics"])
    payload = result.to_json_dict()
    payload["engine"] = engine.name
    payload["shards"] = len(result.forecaster.shards) if isinstance(result.forecaster, ShardedForecaster) else 1
    payload["left_out"] = [{"period_start": p["ds"].date().isoformat(), "days": p["days"], "period_days": p["total"]}
                           for p in series.attrs.get("partial_periods", [])]
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, default=str))
        return EXIT_OK
    print(t("cli.forecast.header", level=args.level, target=args.target, freq=args.freq, seconds=format_number(result.train_seconds, 1), epochs=result.epochs_run))
    if describe_partial(series):
        print(describe_partial(series))
    print(t("backend.trained_on", backend=backend_label(result.backend)))
    print(f"{'':<18}{'MAE':>12}{'RMSE':>12}{'sMAPE':>10}{'MASE':>8}")
    for model, m in sorted(payload["metrics"].items(), key=lambda kv: (kv[1].get("mase") is None, kv[1].get("mase") or 0)):
        cells = [format_number(m.get(k), 2) for k in ("mae", "rmse")] + [format_number(m.get("smape"), 1), format_number(m.get("mase"), 3)]
        print(f"{t(f'forecast.model.{model}'):<18}{cells[0]:>12}{cells[1]:>12}{cells[2]:>10}{cells[3]:>8}")
    for verdict in result.verdicts[:1]:
        print()
        print(t(verdict.message_id, **{**verdict.params, "metric": "MASE"}))
    print()
    print(t("cli.forecast.future", level=round(args.interval * 100)))
    for row in payload["forecast"][:60]:
        print(f"  {row['unique_id']:<12} {row['date']}  {format_number(row['value'], 2):>12}  [{format_number(row['lower'], 2)} – {format_number(row['upper'], 2)}]")
    return EXIT_OK


def run_search_command(args: argparse.Namespace, series, config, engine) -> int:
    """``forecast --search N``: choose settings on validation periods before the holdout, score the choice once on
    the holdout next to the baselines, and say so."""
    from ml.forecast.search import run_search

    result = run_search(series, config, budget_seconds=args.search_minutes * 60, max_trials=args.search,
                        backtest_folds=args.backtest_folds, interval_level=args.interval, seed=config.seed,
                        engine=engine)
    best, holdout = result.best, result.holdout
    how = t("evaluation.search.how", periods=result.validation_periods, horizon=result.horizon,
            folds=t("evaluation.search.folds", folds=result.backtest_folds) if result.backtest_folds else "")
    if args.json:
        print(json.dumps({
            "engine": engine.name, "chosen_on": "validation_before_holdout", "how": how, "chosen_trial": best.number if best else None,
            "trials": [{"trial": tr.number, "params": tr.params, "status": tr.status, "validation_mase": tr.mase}
                       for tr in result.trials],
            "validation_baselines": result.baseline_metrics,
            "holdout": {"trial": holdout.trial, "metrics": holdout.metrics} if holdout else None,
        }, ensure_ascii=False, default=str))
        return EXIT_OK
    for trial in result.trials:
        print(f"  #{trial.number:<3} {format_number(trial.mase, 3):>8}  {trial.status:<6} {trial.params}")
    if best is not None and holdout is not None:
        runner = holdout.best_baseline
        print(t("evaluation.search.cli_chosen", trial=best.number, mase=format_number(best.mase, 3),
                holdout=format_number(holdout.mase, 3), baseline=format_number(runner[1], 3) if runner else "-"))
    elif best is not None:
        print(t("evaluation.search.holdout_missing"))
    print(how)
    return EXIT_OK


# ----------------------------------------------------------------------------------------------- main

COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "profile": ("cli.help.profile", add_profile_arguments, run_profile),
    "forecast": ("cli.help.forecast", add_forecast_arguments, run_forecast_command),
}


# Commands of the later areas live beside their engine: each module defines HELP_ID (a message id),
# add_arguments(parser) and run(args) -> exit code, and is imported only when its command runs or help is shown.
AREA_COMMANDS: dict[str, str] = {"recommend": "ml.recommend.cli", "price": "ml.pricing.cli", "import": "ml.outofcore.cli"}


def _area_commands() -> dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]]:
    import importlib
    import importlib.util

    found = {}
    for name, module_name in AREA_COMMANDS.items():
        if importlib.util.find_spec(module_name.rsplit(".", 1)[0]) is None or importlib.util.find_spec(module_name) is None:
            continue  # the area is not built yet
        module = importlib.import_module(module_name)
        found[name] = (module.HELP_ID, module.add_arguments, module.run)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml", description=t("cli.help.description"))
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_id, add_arguments, _) in {**COMMANDS, **_area_commands()}.items():
        command = sub.add_parser(name, help=t(help_id), description=t(help_id))
        add_arguments(command)
        _escape_help(command)
    return parser


def _escape_help(parser: argparse.ArgumentParser) -> None:
    """argparse %-formats help texts; a catalogue text such as "decays to 5% of its value" must print as written."""
    for action in parser._actions:
        if action.help and "%" in action.help and "%(" not in action.help:
            action.help = action.help.replace("%", "%%")


def _language_from_argv(argv: Sequence[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return normalise_language(argv[i + 1])
        if arg.startswith("--lang="):
            return normalise_language(arg.split("=", 1)[1])
    return normalise_language(os.environ.get("SALESLENS_LANG") or os.environ.get("LANG"))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    set_language(_language_from_argv(argv))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return {**COMMANDS, **_area_commands()}[args.command][2](args)
    except SalesLensError as err:
        print(f"{t('cli.error.prefix')}: {render_error(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head`
        return EXIT_OK
    except Exception as exc:  # the promise: no traceback for users; details go to the debug log
        _log.debug("unexpected error", exc_info=True)
        print(f"{t('cli.error.prefix')}: {render_error(exc)}", file=sys.stderr)
        return EXIT_UNEXPECTED
