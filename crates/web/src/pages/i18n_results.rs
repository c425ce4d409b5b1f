//! The messages of the database lock page and of the report of the analyses, in English and
//! Simplified Chinese (a part of [`super::i18n`]'s table, looked up with it; its tests cover
//! both parts).

/// (key, English, Simplified Chinese).
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("lock.title", "Database lock", "数据库锁定"),
    (
        "lock.help",
        "The data manager locks the study once every saved form is signed and every query closed. After the lock no data can be written; the sponsor administrator may then unblind the study.",
        "当所有已保存表单均已签名、所有质疑均已关闭后，数据管理员锁定研究。锁定后不能再写入任何数据；随后申办方管理员可对研究揭盲。",
    ),
    ("lock.state", "State", "状态"),
    ("lock.state_open", "open", "未锁定"),
    ("lock.state_locked", "locked", "已锁定"),
    ("lock.state_unblinded", "locked and unblinded", "已锁定并已揭盲"),
    ("lock.locked_at", "Locked at", "锁定时间"),
    ("lock.locked_by", "Locked by", "锁定人"),
    ("lock.bound_to", "Bound to the audit trail at", "绑定的稽查轨迹位置"),
    ("lock.unblinded_at", "Unblinded at", "揭盲时间"),
    ("lock.unblinded_by", "Unblinded by", "揭盲人"),
    ("lock.reason", "Reason", "原因"),
    (
        "lock.no_writes",
        "The study is locked: every change of its data is refused.",
        "研究已锁定：对其数据的任何修改都将被拒绝。",
    ),
    (
        "lock.nothing_blocks",
        "Nothing blocks the lock: every saved form is signed and every query closed.",
        "没有阻碍锁定的事项：所有已保存表单均已签名，所有质疑均已关闭。",
    ),
    ("lock.blocked", "Items blocking the lock:", "阻碍锁定的事项："),
    ("lock.what", "What", "事项"),
    ("lock.subject", "Participant", "受试者"),
    ("lock.visit", "Visit", "访视"),
    ("lock.form", "Form", "表单"),
    ("lock.field", "Field", "字段"),
    ("lock.status", "Status", "状态"),
    ("lock.kind_unsigned_form", "Form not signed", "表单未签名"),
    ("lock.kind_open_query", "Query not closed", "质疑未关闭"),
    ("lock.sign", "Lock the database", "锁定数据库"),
    (
        "lock.final",
        "Signing locks the study for good: no form, participant, query, event, lab value, product record or allocation can be written after it.",
        "签名后研究将被永久锁定：此后不能再写入任何表单、受试者、质疑、事件、化验值、产品记录或分配。",
    ),
    ("lock.unblind", "Unblind the study", "研究揭盲"),
    (
        "lock.unblind_note",
        "After the unblinding every role of the study sees the results by arm.",
        "揭盲后，研究的所有角色均可查看按组别列出的结果。",
    ),
    ("report.title", "Report of the analyses", "统计分析报告"),
    (
        "report.interim",
        "The database is not locked: these results are interim.",
        "数据库尚未锁定：以下为期中结果。",
    ),
    (
        "report.final",
        "The database is locked: these results are final.",
        "数据库已锁定：以下为最终结果。",
    ),
    (
        "report.final_unblinded",
        "The database is locked and the study unblinded: these results are final.",
        "数据库已锁定且研究已揭盲：以下为最终结果。",
    ),
];
