"""Session-state and widget keys of the recommend area (re-exported by components.state)."""

from __future__ import annotations

# App state
RECOMMEND_JOB = "recommend_job"  # id of the fit-and-evaluate job in ml.jobs.REGISTRY
RECOMMEND_RESULT = "recommend_result"  # last finished RecommendRun (kept when a later run fails)
RECOMMEND_ERROR = "recommend_error"  # ml.messages.Message: why the last run failed
RECOMMEND_KEPT_TRIED = "recommend_kept_tried"  # dataset fingerprint whose kept results were looked up this session
RECOMMEND_BUYERS_JOB = "recommend_buyers_job"  # (dataset path, job id): the shared job counting its buyers

# Widget keys: settings
RECOMMEND_ALGORITHMS = "recommend_algorithms"  # algorithms to evaluate
RECOMMEND_ALGORITHM = "recommend_algorithm"  # algorithm whose recommendations are shown
RECOMMEND_K = "recommend_k"
RECOMMEND_TEST_DAYS = "recommend_test_days"
RECOMMEND_WEIGHTING = "recommend_weighting"
RECOMMEND_HALF_LIFE = "recommend_half_life"
RECOMMEND_REPEAT = "recommend_repeat"
RECOMMEND_RUN_BUTTON = "recommend_run"  # a button
RECOMMEND_STOP = "recommend_stop"
# Widget keys: results
RECOMMEND_VIEW = "recommend_view"  # customer | product | segments | evaluation
RECOMMEND_LIST_ALGORITHM = "recommend_list_algorithm"  # algorithm the lists come from (defaults to the best)
RECOMMEND_LIST_FOR = "recommend_list_for"  # the run that choice belongs to (a new run resets it to its best)
RECOMMEND_CUSTOMER_SEARCH = "recommend_customer_search"
RECOMMEND_CUSTOMER = "recommend_customer"
RECOMMEND_PRODUCT = "recommend_product"
RECOMMEND_SEGMENT_METHOD = "recommend_segment_method"
RECOMMEND_SEGMENT_COUNT = "recommend_segment_count"
RECOMMEND_EVAL_METRIC = "recommend_eval_metric"
RECOMMEND_EVAL_CHART = "recommend_eval_chart"
RECOMMEND_SCORES_CHART = "recommend_scores_chart"
RECOMMEND_SEGMENT_CHART = "recommend_segment_chart"
RECOMMEND_DOWNLOAD_CSV = "recommend_download_csv"


# Typed accessors of the app state above
from components.state.slot import Slot  # noqa: E402
from ml.messages import Message  # noqa: E402

recommend_job: Slot[str] = Slot(RECOMMEND_JOB)
recommend_result: Slot[object] = Slot(RECOMMEND_RESULT)  # an ml.recommend.service.RecommendRun
recommend_error: Slot[Message] = Slot(RECOMMEND_ERROR)
recommend_list_for: Slot[str] = Slot(RECOMMEND_LIST_FOR)
recommend_kept_tried: Slot[str] = Slot(RECOMMEND_KEPT_TRIED)
recommend_buyers_job: Slot[tuple[str, str]] = Slot(RECOMMEND_BUYERS_JOB)
