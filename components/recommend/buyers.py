"""Before a large saved dataset's first "bought together": every product's buyers counted in a worker
(``ml.tasks:count_buyers``), one job for every session asking (``JobRegistry.submit_shared``), its progress polled
in a fragment, so the page never waits minutes on its script thread."""

from __future__ import annotations

import streamlit as st

from components import state
from components.common.jobs import queued_text
from components.common.messages import show_message
from ml.i18n import format_number, t
from ml.jobs import FAILED, REGISTRY, Job, JobSnapshot
from ml.pushdown.buyers import kept_buyer_counts
from ml.pushdown.table import ParquetTable


def buyers_counted(table: ParquetTable) -> bool:
    """Whether the pairs can be counted now; else the counting job is started (or joined) and its progress
    drawn. A count that failed is said once and not started again by this session."""
    if kept_buyer_counts(table) is not None:
        return True
    path, job_id = state.recommend_buyers_job.get() or ("", "")
    job = REGISTRY.get(job_id) if path == str(table.path) else None
    if job is not None and job.snapshot().finished:
        snap = job.snapshot()
        if snap.status == FAILED:
            show_message(snap.error)
            return False
        return True  # counted, yet not kept (a read-only folder): the pairs count it again, under a spinner
    if job is None:
        job = REGISTRY.submit_shared(f"buyers:{table.path}", "buyers", t("pushdown_recommend.job.label"),
                                     state.owner(), "ml.tasks:count_buyers", {"path": str(table.path)})
        state.recommend_buyers_job.set((str(table.path), job.id))
    _show_progress(job.id)
    return False


@st.fragment(run_every=1.0)
def _show_progress(job_id: str) -> None:
    """The count's progress once a second; once it has finished, the page reruns and counts the pairs."""
    job = REGISTRY.get(job_id)
    if job is None:
        return
    snap = job.snapshot()
    if snap.finished:
        st.rerun()
    _draw_progress(job, snap)


def _draw_progress(job: Job, snap: JobSnapshot) -> None:
    with st.container(border=True):
        label = queued_text(snap) or t("pushdown_recommend.job.counting")
        st.progress((snap.progress.fraction if snap.progress is not None else None) or 0.0, text=label)
        st.caption(t("recommend.job.elapsed", seconds=format_number(snap.elapsed, 0)))
