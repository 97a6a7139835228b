"""slamon's vocabulary, in one place: the code names of stages, share types, review statuses,
decisions, notice kinds and outbox statuses, their Chinese names, and the platform words that map
onto them (docs/CONTRACT.md §1). Everything else imports these; a site adds its own platform words in
``config.yaml`` (``vocabulary:``), never by editing code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from slamon.core.errors import ConfigError
from slamon.core.suggest import unknown_key

# -- share types ------------------------------------------------------------------------------
CONDITIONAL = "conditional"
UNCONDITIONAL = "unconditional"
SHARE_TYPES = (CONDITIONAL, UNCONDITIONAL)
SHARE_TYPE_NAMES = {CONDITIONAL: "有条件共享", UNCONDITIONAL: "无条件共享"}

# -- review (规范性审核) and decision (数据提供方审批) ------------------------------------------
# "pending" is three things: a review not yet done, a decision not yet made, and the SLA stage
# 办理中 (PENDING, below). Code names the one it means.
REVIEW_PENDING = "pending"
DECISION_PENDING = "pending"
PASSED = "passed"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"  # 已撤回/作废: the applicant withdrew or the platform voided it
RETURNED = "returned"  # 退回补正: sent back for missing materials (一次性告知)
REVIEW_STATUSES = (REVIEW_PENDING, PASSED, REJECTED)
DECISIONS = (DECISION_PENDING, APPROVED, REJECTED, WITHDRAWN, RETURNED)
# Decisions that are the provider's answer (returned only when the rule says so: clock.returned).
ANSWERS = (APPROVED, REJECTED)
REVIEW_NAMES = {REVIEW_PENDING: "待审核", PASSED: "审核通过", REJECTED: "审核驳回"}
DECISION_NAMES = {
    DECISION_PENDING: "待审批",
    APPROVED: "通过",
    REJECTED: "驳回",
    WITHDRAWN: "已撤回",
    RETURNED: "退回补正",
}

# -- SLA stages (``status --json``) -------------------------------------------------------------
PENDING = "pending"  # 办理中: the clock runs, the deadline is not near
NOT_APPLICABLE = "not_applicable"
AWAITING_REVIEW = "awaiting_review"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
ANSWERED_ON_TIME = "answered_on_time"
ANSWERED_LATE = "answered_late"
DATA_ISSUE = "data_issue"  # 数据存疑: held back from every notice and accusation until settled
STAGES = (
    NOT_APPLICABLE,
    AWAITING_REVIEW,
    PENDING,
    DUE_SOON,
    OVERDUE,
    ANSWERED_ON_TIME,
    ANSWERED_LATE,
    DATA_ISSUE,
    WITHDRAWN,
)
OPEN_STAGES = (AWAITING_REVIEW, PENDING, DUE_SOON, OVERDUE)
# Held back from every notice, ranking and accusation, but shown (status, digest, data quality).
HELD_STAGES = (DATA_ISSUE,)
# Open with a running clock: the stages a notice may be about.
CLOCK_RUNNING_STAGES = (PENDING, DUE_SOON, OVERDUE)
STAGE_NAMES = {
    DATA_ISSUE: "数据存疑",
    WITHDRAWN: "已撤回",
    NOT_APPLICABLE: "不适用",
    AWAITING_REVIEW: "待规范性审核",
    PENDING: "办理中",
    DUE_SOON: "即将到期",
    OVERDUE: "已超期",
    ANSWERED_ON_TIME: "按时答复",
    ANSWERED_LATE: "超期答复",
}
# Most urgent first: the order of ``status`` lists and tables.
STAGE_SEVERITY = (
    OVERDUE,
    DATA_ISSUE,
    DUE_SOON,
    PENDING,
    AWAITING_REVIEW,
    ANSWERED_LATE,
    ANSWERED_ON_TIME,
    WITHDRAWN,
    NOT_APPLICABLE,
)

# -- data issues (数据存疑): why an application is held back ------------------------------------
REJECTED_UPDATE = "rejected_update"  # its newest platform row failed validation
CONFLICTING_ROWS = "conflicting_rows"  # one read carried it twice with different content
DELETED = "deleted"  # it vanished from the platform (found by ``poll --full``)
# Found in the record itself by the engine (no store row): judged by no one until it is fixed.
RECEIVED_BEFORE_REVIEW = "received_before_review"  # 收到时间 earlier than the review passing
BEYOND_CALENDAR = "beyond_calendar"  # its deadline falls outside the working calendar's years
ISSUE_REASONS = (
    REJECTED_UPDATE,
    CONFLICTING_ROWS,
    DELETED,
    RECEIVED_BEFORE_REVIEW,
    BEYOND_CALENDAR,
)
ISSUE_REASON_NAMES = {
    REJECTED_UPDATE: "最新记录被拒绝",
    CONFLICTING_ROWS: "同一编号内容冲突",
    DELETED: "已从平台删除",
    RECEIVED_BEFORE_REVIEW: "收到时间早于规范性审核通过时间",
    BEYOND_CALENDAR: "答复期限超出日历范围",
}

# -- data-quality flags: recorded data applied as recorded, but shown as doubtful ------------------
EXTENSION_NOT_ALLOWED = "extension_not_allowed"  # the governing rule allows no extension
EXTENSION_OVER_CAP = "extension_over_cap"  # longer than the rule's extension.max_working_days
EXTENSION_AFTER_DEADLINE = "extension_after_deadline"  # approved after the original deadline
EXTENSION_UNAPPROVED = "extension_unapproved"  # no approval time recorded
EXTENSION_BEYOND_CALENDAR = "extension_beyond_calendar"  # the extended deadline has no calendar
# An extension with any of these flags is not applied: the rule's own deadline judges.
EXTENSION_FLAGS = (
    EXTENSION_NOT_ALLOWED,
    EXTENSION_OVER_CAP,
    EXTENSION_AFTER_DEADLINE,
    EXTENSION_UNAPPROVED,
    EXTENSION_BEYOND_CALENDAR,
)
ANSWER_CHANGED = "answer_changed"  # the platform changed an answer slamon had already stored
START_ESTIMATED = "start_estimated"  # a new round (退回后重新提交, 转办) kept the old 收到时间
# Not a doubt about the data: the deadline was reckoned on a year without an official calendar.
CALENDAR_UNOFFICIAL = "calendar_unofficial"
FLAG_NAMES = {
    EXTENSION_NOT_ALLOWED: "规则不允许延期，延期未采用",
    EXTENSION_OVER_CAP: "延期超过规则上限，延期未采用",
    EXTENSION_AFTER_DEADLINE: "延期批准晚于原答复期限，延期未采用",
    EXTENSION_UNAPPROVED: "延期无批准时间，延期未采用",
    EXTENSION_BEYOND_CALENDAR: "延期后期限超出日历范围，延期未采用",
    ANSWER_CHANGED: "答复后平台记录被改动，按首次记录的答复判定",
    START_ESTIMATED: "重新提交或转办后收到时间未更新，按 slamon 发现时间估计起算",
}
CALENDAR_NOTE = "答复期限按非官方日历推算（当年尚无国务院节假日安排，请以官方通知核对）"

# -- where the answer clock started (SlaState.start_event): how a notice or a page names it ------
ROUND_START = "round"  # a new round's estimated start (core/history)
START_EVENT_NAMES = {
    "received_at": "收到申请",
    "reviewed_at": "审核通过",
    "submitted_at": "提交申请",
    ROUND_START: "重新起算（估计）",
}
# How explain (CLI and web) names where the clock started.
START_EVENT_TEXT = {
    "received_at": "提供方收到时间",
    "reviewed_at": "规范性审核时间（缺少提供方收到时间，按规范性审核通过时间起算）",
    "submitted_at": "申请时间（规则规定自提交申请起算）",
    ROUND_START: "新一轮计时（退回后重新提交或转办，平台未更新收到时间，按 slamon 发现时间估计）",
}

# -- rounds of one application (core/history): why a new clock began ----------------------------
RESUBMITTED = "resubmitted"  # 退回补正 then submitted again
TRANSFERRED = "transferred"  # 转办: another provider now answers
ROUND_REASON_NAMES = {RESUBMITTED: "退回后重新提交", TRANSFERRED: "转办"}

# -- notices -------------------------------------------------------------------------------------
# An item of a notice is about a deadline that is near (DUE_SOON) or passed (OVERDUE).
ITEM_KINDS = (DUE_SOON, OVERDUE)
NOTICE = "notice"  # one message to a department's contacts listing its due-soon and overdue items
ESCALATION = "escalation"  # one message to the supervisors per late department
STALE_SOURCE = "stale_source"
DIGEST = "digest"
FEEDBACK = "feedback"  # one message per department named in a month's draft 存在问题 (核实)
MAIL_KIND_NAMES = {
    NOTICE: "催办通知",
    ESCALATION: "督办",
    STALE_SOURCE: "数据源告警",
    DIGEST: "周报",
    FEEDBACK: "核实反馈",
}

# -- outbox ---------------------------------------------------------------------------------------
QUEUED, SENDING, SENT, RETRY, FAILED, CANCELLED = (  # outbox statuses
    "queued",
    "sending",
    "sent",
    "retry",
    "failed",
    "cancelled",
)
# The server may have delivered it (accepted, then the connection dropped or the reply came too
# late) and it was already resent once: it waits for an operator (``slamon outbox retry``).
HELD = "held"
OUTBOX_STATUSES = (QUEUED, SENDING, RETRY, HELD, FAILED, SENT, CANCELLED)
UNSETTLED_OUTBOX = (QUEUED, SENDING, RETRY, HELD, FAILED)  # what ``slamon outbox`` lists by default
# -- poll runs ------------------------------------------------------------------------------------
RUN_RUNNING, RUN_OK, RUN_FAILED = "running", "ok", "failed"
OUTBOX_STATUS_NAMES = {
    QUEUED: "待发送",
    SENDING: "发送中",
    SENT: "已发送",
    RETRY: "待重试",
    FAILED: "发送失败",
    CANCELLED: "已取消",
    HELD: "待人工处理",
}

# -- platform words → code names (docs/CONTRACT.md §1) ---------------------------------------------------
SHARE_TYPE_WORDS: Mapping[str, str] = {
    "conditional": CONDITIONAL,
    "有条件共享": CONDITIONAL,
    "有条件": CONDITIONAL,
    "unconditional": UNCONDITIONAL,
    "无条件共享": UNCONDITIONAL,
    "无条件": UNCONDITIONAL,
}
REVIEW_WORDS: Mapping[str, str] = {
    "pending": REVIEW_PENDING,
    "待审核": REVIEW_PENDING,
    "未审核": REVIEW_PENDING,
    "审核中": REVIEW_PENDING,
    "passed": PASSED,
    "通过": PASSED,
    "审核通过": PASSED,
    "已通过": PASSED,
    "rejected": REJECTED,
    "驳回": REJECTED,
    "不通过": REJECTED,
    "审核驳回": REJECTED,
}
DECISION_WORDS: Mapping[str, str] = {
    "pending": DECISION_PENDING,
    "待审批": DECISION_PENDING,
    "未审批": DECISION_PENDING,
    "审批中": DECISION_PENDING,
    "approved": APPROVED,
    "通过": APPROVED,
    "审批通过": APPROVED,
    "签发": APPROVED,
    "已签发": APPROVED,
    "同意": APPROVED,
    "已同意": APPROVED,
    "已通过": APPROVED,
    "rejected": REJECTED,
    "驳回": REJECTED,
    "审批驳回": REJECTED,
    "不同意": REJECTED,
    "已驳回": REJECTED,
    "审批不通过": REJECTED,
    "不通过": REJECTED,
    "withdrawn": WITHDRAWN,
    "撤回": WITHDRAWN,
    "已撤回": WITHDRAWN,
    "撤销": WITHDRAWN,
    "已撤销": WITHDRAWN,
    "作废": WITHDRAWN,
    "已作废": WITHDRAWN,
    "returned": RETURNED,
    "退回": RETURNED,
    "已退回": RETURNED,
    "退回补正": RETURNED,
}

# -- record fields: their Chinese names (explain, data-quality notes) ----------------------------
FIELD_NAMES = {
    "application_id": "申请编号",
    "applicant_dept": "申请部门",
    "provider_dept": "提供部门",
    "resource_name": "资源名称",
    "share_type": "共享类型",
    "submitted_at": "申请时间",
    "review_status": "审核状态",
    "reviewed_at": "审核时间",
    "received_at": "提供方收到时间",
    "decision": "审批结果",
    "decided_at": "审批时间",
    "applicant_region": "申请方地区",
    "provider_region": "提供方地区",
    "updated_at": "更新时间",
    "extension_working_days": "延期工作日",
    "extension_approved_at": "延期批准时间",
    "rejection_reason": "驳回理由",
}


def field_name(code: str | None) -> str:
    """The Chinese name of a record field (the code itself when it has none)."""
    return FIELD_NAMES.get(code, code) if code else ""


@dataclass(frozen=True)
class PlatformWords:
    """The word tables validation reads: the defaults above plus a site's own (``vocabulary:``)."""

    share_type: Mapping[str, str] = field(default_factory=lambda: SHARE_TYPE_WORDS)
    review_status: Mapping[str, str] = field(default_factory=lambda: REVIEW_WORDS)
    decision: Mapping[str, str] = field(default_factory=lambda: DECISION_WORDS)


DEFAULT_WORDS = PlatformWords()
_SITE_SECTIONS: dict[str, tuple[Mapping[str, str], tuple[str, ...]]] = {
    "share_type": (SHARE_TYPE_WORDS, SHARE_TYPES),
    "review_status": (REVIEW_WORDS, REVIEW_STATUSES),
    "decision": (DECISION_WORDS, DECISIONS),
}


def site_words(data: Any) -> PlatformWords:
    """Validate config ``vocabulary:`` ({section: {platform word: canonical value}}) and merge it
    over the defaults. An unknown section or canonical value raises ConfigError naming the key."""
    if data is None:
        return DEFAULT_WORDS
    if not isinstance(data, Mapping):
        raise ConfigError("应为映射（decision、review_status、share_type）", key="vocabulary")
    tables: dict[str, Mapping[str, str]] = {}
    for section, words in data.items():
        if section not in _SITE_SECTIONS:
            raise unknown_key("vocabulary", str(section), _SITE_SECTIONS)
        defaults, allowed = _SITE_SECTIONS[section]
        if words is None:
            continue
        if not isinstance(words, Mapping):
            raise ConfigError("应为 {平台用语: 标准值} 映射", key=f"vocabulary.{section}")
        merged = dict(defaults)
        for word, value in words.items():
            key = f"vocabulary.{section}.{word}"
            if not isinstance(word, str) or not word.strip():
                raise ConfigError("平台用语应为非空文本", key=key)
            if value not in allowed:
                raise ConfigError(f"应为 {' / '.join(allowed)} 之一", key=key, value=value)
            merged[word.strip()] = value
        tables[section] = MappingProxyType(merged)
    return PlatformWords(**tables)


# Header aliases (docs/CONTRACT.md §1): Chinese column headers a platform export may use.
HEADER_ALIASES: dict[str, str] = {
    "申请编号": "application_id",
    "申请部门": "applicant_dept",
    "使用部门": "applicant_dept",
    "提供部门": "provider_dept",
    "资源名称": "resource_name",
    "共享类型": "share_type",
    "申请时间": "submitted_at",
    "审核状态": "review_status",
    "规范性审核": "review_status",
    "审核时间": "reviewed_at",
    "收到时间": "received_at",
    "提供方收到时间": "received_at",
    "审批结果": "decision",
    "审批时间": "decided_at",
    "申请方地区": "applicant_region",
    "提供方地区": "provider_region",
    "延期工作日": "extension_working_days",
    "延长期限": "extension_working_days",
    "延期批准时间": "extension_approved_at",
    "驳回理由": "rejection_reason",
    "不同意理由": "rejection_reason",
    "更新时间": "updated_at",
}
