"""The session's link to the workspace: who this browser is, restoring its work after a refresh, saving runs.

Streamlit's session dies on reload. The browser keeps a random id in a cookie (``saleslens_ws``, set by a tiny
script on the first visit); a new session adopts that id as its owner and brings back the owner's dataset, latest
run and any training still running in this server process. A ``?ws=<id>`` link to another workspace is offered,
never adopted without the user's consent; a signed-in person's workspace is keyed by their identity instead.
"""

from __future__ import annotations

import json
import logging
import re
import time

import streamlit as st

from components import state
from components.common.messages import show_message
from ml.dataset import Dataset
from ml.forecast.run import CONFIG_FIELDS, CUSTOM, ForecastRun, SeriesSpec, run_from_saved
from ml.i18n import t
from ml.jobs import REGISTRY
from ml.schema import SalesLensError
from ml.workspace import Workspace, get_workspace

COOKIE = "saleslens_ws"
QUERY = "ws"
SAMPLE = "sample"
_ID = re.compile(r"^[0-9a-f]{32}$")
_log = logging.getLogger(__name__)


def workspace() -> Workspace:
    return get_workspace()


def remember_error(err: SalesLensError) -> None:
    state.workspace_error.set(err.message)


def show_workspace_error() -> None:
    """The last workspace problem, once (the page keeps working without saving)."""
    err = state.workspace_error.get()
    if err:
        show_message(err, "warning", icon=":material/database:")
        state.workspace_error.set(None)


# ------------------------------------------------------------------------------------------------ identity
def _cookie_owner() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this session (AppTest, bare mode)
        return None
    return value if isinstance(value, str) and _ID.match(value) else None


def _linked_owner() -> str | None:
    value = st.query_params.get(QUERY)
    return value if isinstance(value, str) and _ID.match(value) else None


def _drop_link() -> None:
    """Take ``?ws=`` out of the address bar (and so out of bookmarks, history and shared screenshots)."""
    if QUERY in st.query_params:
        del st.query_params[QUERY]


def resolve_owner() -> tuple[str, bool]:
    """This session's owner, and whether it was adopted (a returning browser, a signed-in person) rather than new.

    Signed in (``components.common.access``): the identity's workspace; cookies and links play no part. Otherwise the
    browser's own cookie, else a new random id. A ``?ws=`` link naming another workspace is never adopted here: it
    is offered (``offer_linked_workspace``) and taken only when the user agrees, so nobody can send a link that
    makes a stranger's browser save its uploads into the sender's workspace (session fixation)."""
    if state.access_signed_in.get():
        _drop_link()
        return state.owner(), True
    chosen = state.get(state.OWNER)  # set before this run (a test, or an earlier run of this session)
    if not state.workspace_restored.get():
        cookie = _cookie_owner()
        if not state.workspace_link_chosen.get():  # else: the user just opened a link's workspace instead
            chosen = cookie or chosen
        if chosen:
            state.put(state.OWNER, chosen)
        owner = state.owner()
        linked = _linked_owner()
        if linked and linked != owner:
            state.workspace_link_offer.set(linked)
        elif QUERY in st.query_params:
            _drop_link()  # the browser's own id, or not an id at all
        if cookie != owner:
            _set_cookie(owner)
    return state.owner(), chosen is not None


def _set_cookie(owner: str) -> None:
    """The browser's workspace id, as strict as a cookie written by the page can be: this site only
    (``SameSite=Strict``), HTTPS only when served over HTTPS (``Secure``). It cannot be ``HttpOnly``: Streamlit has no
    server-side way to set a cookie outside ``st.login``; a signed-in deployment does not rely on it."""
    value = json.dumps(f"{COOKIE}={owner}")
    st.html(
        "<script>document.cookie = " + value + " + '; path=/; max-age=31536000; SameSite=Strict'"
        " + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def _plain(text: str) -> str:
    """``text`` escaped so Markdown shows it literally."""
    return _MARKDOWN.sub(r"\\\1", text.replace("\n", " "))[:200]


def _summarise(owner: str) -> tuple[int, int, str]:
    """(saved datasets, runs, latest dataset name) of a workspace, to show what a link would open."""
    try:
        ws = workspace()
        datasets = ws.list_datasets(owner)
        return len(datasets), ws.registry.count_runs(owner), datasets[0].name if datasets else ""
    except SalesLensError:
        return 0, 0, ""


def _open_linked() -> None:
    linked = state.workspace_link_offer.get()
    state.workspace_link_offer.set(None)
    if not linked:
        return
    state.put(state.OWNER, linked)
    state.workspace_link_chosen.set(True)  # the next restore adopts it and writes it into the cookie
    # Forget what this session showed so far and restore the chosen workspace as if the browser were returning.
    for key in (state.DATASET, state.DATASET_FILES, state.FORECAST_RESULT, state.FORECAST_JOB,
                state.FORECAST_SEARCH_JOB, state.WORKSPACE_DATASET_ID, state.WORKSPACE_NOTHING_SAVED,
                state.SAMPLE_OFFERED):
        state.put(key, None)
    state.workspace_restored.set(False)
    state.workspace_link_opened.set(True)
    _drop_link()


def _keep_own() -> None:
    state.workspace_link_offer.set(None)
    _drop_link()


def offer_linked_workspace() -> None:
    """Ask before a ``?ws=`` link replaces this browser's workspace. Draw it before the page (from app.py), so the
    question comes first on whatever page the link opens."""
    if state.workspace_link_opened.get():
        state.workspace_link_opened.set(False)
        st.toast(t("access.link.opened"), icon=":material/link:")
    linked = state.workspace_link_offer.get()
    if not linked:
        return
    summary = state.workspace_link_summary.get()
    if summary is None or summary.workspace != linked:
        summary = state.LinkSummary(linked, *_summarise(linked))
        state.workspace_link_summary.set(summary)
    datasets, runs, latest = summary.datasets, summary.runs, summary.latest
    with st.container(border=True):
        st.markdown(t("access.link.title"))
        # The dataset name is whatever the link's author uploaded: shown as text, never as Markdown (no links or
        # emphasis of theirs inside the question).
        st.markdown(t("access.link.offer", id=linked[:6], datasets=datasets, runs=runs,
                      latest=_plain(latest) if latest else t("access.link.no_dataset")))
        st.caption(t("access.link.warning"))
        left, right = st.columns(2)
        left.button(t("access.link.open"), key=state.WORKSPACE_LINK_OPEN, on_click=_open_linked,
                    icon=":material/move_item:")
        right.button(t("access.link.keep"), key=state.WORKSPACE_LINK_KEEP, on_click=_keep_own, type="primary",
                     icon=":material/home:")


# ------------------------------------------------------------------------------------------------ restore
def restore_session(load_sample) -> bool:
    """On a session's first run: owner, dataset, latest run, running jobs. Returns True when a dataset was set
    (from the workspace or the sample); ``load_sample`` loads the bundled sample."""
    if state.workspace_restored.get():
        return False
    owner, returning = resolve_owner()
    state.workspace_restored.set(True)
    ws = workspace()
    if not returning and not ws.settings.shared:
        state.workspace_nothing_saved.set(True)
        return False  # a first visit has nothing saved: no need to open the registry to draw the first page
    loaded = False
    if state.dataset() is None:
        try:
            pointer = ws.session_pointer(owner)
            dataset_id = pointer.get("dataset")
            if dataset_id and dataset_id != SAMPLE:
                ds, files = ws.load_dataset(owner, dataset_id)
                put_dataset(ds, files, dataset_id)
                loaded = True
            elif dataset_id == SAMPLE:
                loaded = bool(load_sample())
        except SalesLensError as err:
            remember_error(err)
    _restore_run(ws, owner)
    _reattach_jobs(owner)
    return loaded


def put_dataset(ds: Dataset, files: list[tuple[str, bytes]], dataset_id: str | None) -> None:
    state.put(state.MAPPING_OVERRIDES, {})
    state.put(state.CLEANING_OPTIONS, ds.options)
    state.set_dataset(ds, files)
    state.workspace_dataset_id.set(dataset_id)


def _restore_run(ws: Workspace, owner: str) -> None:
    if state.forecast_result.get() is not None:
        return
    try:
        run_id = ws.session_pointer(owner).get("run")
        record = None
        if run_id:
            try:
                record = ws.get_run(owner, run_id)
            except SalesLensError:
                record = None
        record = record or ws.latest_run(owner)
        if record is not None:
            run = run_from_saved(ws.open_run(owner, record.id))
            state.forecast_result.set(run)
            restore_form(run)
    except SalesLensError as err:
        remember_error(err)


def _reattach_jobs(owner: str) -> None:
    """A training (or search) this owner started before the refresh, still running in this process."""
    for kind, key in (("forecast", state.FORECAST_JOB), ("search", state.FORECAST_SEARCH_JOB), ("recommend", state.RECOMMEND_JOB)):
        if state.get(key):
            continue
        running = [j for j in REGISTRY.jobs(owner=owner, kind=kind) if not j.snapshot().finished]
        if running:
            state.put(key, max(running, key=lambda j: j.created_at).id)


# ------------------------------------------------------------------------------------------------ runs
def save_dataset(ds: Dataset, files: list[tuple[str, bytes]]) -> None:
    """Keep an uploaded dataset in the workspace (a problem is shown once; the session keeps the data)."""
    owner = state.owner()
    try:
        state.workspace_nothing_saved.set(False)
        entry = workspace().save_dataset(owner, ds, files)
        state.workspace_dataset_id.set(entry.id)
        workspace().set_session_pointer(owner, dataset=entry.id)
    except SalesLensError as err:
        state.workspace_dataset_id.set(None)
        remember_error(err)
    except Exception:  # never lose the loaded data because saving failed
        _log.exception("saving dataset %s failed", ds.name)


def point_at(dataset: str | None = None, run: str | None = None) -> None:
    """Remember the session's current dataset / run for the next visit (quietly: not worth an error)."""
    try:
        workspace().set_session_pointer(state.owner(), dataset=dataset, run=run)
    except SalesLensError:
        pass


def open_saved_run(run_id: str) -> ForecastRun | None:
    """Reopen a run into the Forecast page; also load its dataset when it is saved and not the current one."""
    owner = state.owner()
    ws = workspace()
    started = time.perf_counter()
    try:
        run = run_from_saved(ws.open_run(owner, run_id))
        ds = state.dataset()
        if ds is None or ds.fingerprint != run.dataset_fingerprint:
            entry = ws.find_dataset(owner, run.dataset_fingerprint)
            if entry is not None:
                data, files = ws.load_dataset(owner, entry.id)
                put_dataset(data, files, entry.id)
    except SalesLensError as err:
        remember_error(err)
        return None
    state.forecast_result.set(run)
    restore_form(run)
    _log.info("reopened run %s in %.2fs", run_id, time.perf_counter() - started)
    point_at(run=run_id)
    return run


def restore_form(run: ForecastRun) -> None:
    """Put a run's series choice and settings back into the Forecast page's widgets (call it before they are
    drawn: from another page or a button's on_click)."""
    restore_settings(run.config, run.spec, run.dataset_fingerprint, run.result.coverage.get("level"))


def restore_settings(config, spec: SeriesSpec, dataset_fingerprint: str, level=None, folds: int | None = None) -> None:
    """The Forecast page's widgets set to a config and series choice (the series only when the dataset it was
    made from is the loaded one)."""
    for name in CONFIG_FIELDS:
        state.set_widget(state.forecast_widget_key(name), getattr(config, name))
    state.set_widget(state.FORECAST_PRESET, CUSTOM)
    if isinstance(level, float) and 0.5 <= level <= 0.99:
        state.set_widget(state.FORECAST_INTERVAL, level)
    if folds is not None:
        state.set_widget(state.FORECAST_FOLDS, int(folds))
    ds = state.dataset()
    if ds is None or ds.fingerprint != dataset_fingerprint:
        return  # the series choices (categories, products) belong to the run's own dataset
    state.set_widget(state.FORECAST_TARGET, spec.target)
    state.set_widget(state.FORECAST_FREQ, spec.freq)
    kind, _, value = spec.level.partition(":")
    state.set_widget(state.FORECAST_LEVEL, kind)
    if kind == "category" and value:
        state.set_widget(state.FORECAST_CATEGORY, value)
    elif kind == "product" and value:
        state.set_widget(state.FORECAST_PRODUCT, value)
    elif kind == "products" and value:
        state.set_widget(state.FORECAST_PRODUCTS, value.split("|"))


def describe_run(record, numbered: bool = False) -> str:
    """A short name for a run in lists: its label, else model · dataset · id; ``numbered`` puts its number first
    (the "Run 8" of the Forecast page)."""
    name = record.label or t("runs.unnamed", model=t(f"forecast.model.{record.model_type}"),
                             dataset=record.dataset_name, id=record.id[:6])
    number = getattr(record, "number", None)
    return t("runs.numbered", number=number, name=name) if numbered and number else name
