//! Every string of the pages in English and Simplified Chinese, by message key.
//!
//! Templates write `{{ t.get("key") }}`; the page script receives the `js.*` messages. A test
//! checks that every key has both languages and that every key the templates and scripts use is
//! in the table.

/// A language of the pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Both languages.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// `en` or `zh`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// True for Chinese: the language of the `_zh` names of study definitions.
    pub fn zh(self) -> bool {
        self == Lang::Zh
    }

    /// The `lang` attribute of the page.
    pub fn html(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hans",
        }
    }

    /// Parses `en` or `zh`.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }
}

/// A visit's name in a language: the study definition's (its `name_zh` in Chinese), else the
/// name stored when the visit was planned.
pub fn visit_name(study: &trial::Study, visit_id: &str, stored: &str, lang: Lang) -> String {
    study
        .visit(visit_id)
        .map_or(stored, |v| v.name_in(lang.zh()))
        .to_string()
}

/// The messages of one language, as templates use them.
#[derive(Clone, Copy, Debug)]
pub struct Texts(pub Lang);

impl Texts {
    /// The message for a key (the key itself when the table lacks it; a test keeps that from
    /// happening).
    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        text(self.0, key).unwrap_or(key)
    }

    /// The language's code.
    pub fn code(&self) -> &'static str {
        self.0.code()
    }
}

/// The message for a key in a language.
pub fn text(lang: Lang, key: &str) -> Option<&'static str> {
    all()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, zh)| match lang {
            Lang::En => *en,
            Lang::Zh => *zh,
        })
}

/// The `js.*` messages as a JSON object, for the page script.
pub fn script_messages(lang: Lang) -> String {
    let map: serde_json::Map<String, serde_json::Value> = all()
        .filter(|(k, _, _)| k.starts_with("js."))
        .map(|(k, _, _)| {
            (
                k.trim_start_matches("js.").to_string(),
                serde_json::Value::String(text(lang, k).unwrap_or(k).to_string()),
            )
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// (key, English, Simplified Chinese).
/// Every message: this table, then those of page features kept in their own file.
fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    MESSAGES
        .iter()
        .chain(super::i18n_journey::MESSAGES)
        .chain(super::i18n_nav::MESSAGES)
        .chain(super::i18n_labs::MESSAGES)
        .chain(super::i18n_product::MESSAGES)
        .chain(super::i18n_product_follow::MESSAGES)
        .chain(super::i18n_results::MESSAGES)
}

pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("app.name", "scitrial", "scitrial"),
    ("app.tagline", "Clinical trials of cell therapies for spinal cord injury", "脊髓损伤细胞治疗临床试验平台"),
    ("nav.skip", "Skip to the content", "跳到正文"),
    ("nav.dashboard", "Dashboard", "概览"),
    ("nav.participants", "Participants", "受试者"),
    ("nav.queries", "Queries", "质疑"),
    ("nav.notifications", "Notifications", "通知"),
    ("nav.calculator", "ISNCSCI calculator", "ISNCSCI 计算器"),
    ("nav.signed_in_as", "Signed in as", "当前用户"),
    ("nav.logout", "Sign out", "退出登录"),
    ("nav.language", "Language", "语言"),
    ("nav.main", "Main menu", "主菜单"),
    ("lang.en", "English", "English"),
    ("lang.zh", "中文", "中文"),
    ("login.title", "Sign in", "登录"),
    ("login.username", "Username", "用户名"),
    ("login.password", "Password", "密码"),
    ("login.submit", "Sign in", "登录"),
    ("login.failed", "Wrong username or password.", "用户名或密码错误。"),
    ("login.expired", "Your session ended after 30 idle minutes. Sign in again; unsaved worksheet entries are kept on this device.", "会话因空闲 30 分钟已结束。请重新登录；未保存的检查表数据仍保留在本设备上。"),
    ("login.too_long", "The username or password is longer than any account's (at most 64 and 256 characters).", "用户名或密码过长（最多 64 和 256 个字符）。"),
    ("login.throttled", "Too many failed sign-ins from here or with this username. Try again in {minutes} minutes.", "来自此处或使用此用户名的登录失败次数过多。请在 {minutes} 分钟后重试。"),
    ("login.retry", "The sign-in form had expired. Please try again.", "登录表单已过期，请重试。"),
    ("error.title", "Something is not right", "出现问题"),
    ("error.back", "Back to the dashboard", "返回概览"),
    ("dash.title", "Study dashboard", "研究概览"),
    ("dash.enrolment", "Enrolment by site", "各中心入组情况"),
    ("dash.site", "Site", "中心"),
    ("dash.screening", "Screening", "筛选中"),
    ("dash.enrolled", "Enrolled", "已入组"),
    ("dash.ended", "Withdrawn or completed", "退出或完成"),
    ("dash.screen_failed", "Not eligible", "不符合入选"),
    ("dash.total", "Total", "合计"),
    ("dash.visits", "Visits due and overdue", "到期和逾期访视"),
    ("dash.no_visits", "No visit is due or overdue.", "没有到期或逾期的访视。"),
    ("dash.open_queries", "Open queries", "未解决的质疑"),
    ("dash.answered_queries", "Answered, awaiting review", "已回复，待审核"),
    ("dash.blind_note", "Counts are shown without treatment groups.", "统计数字不区分治疗组。"),
    ("dash.window", "Window", "窗口期"),
    ("dash.target", "Target", "目标日期"),
    ("list.title", "Participants", "受试者列表"),
    ("list.filter", "Filter", "筛选"),
    ("list.all", "All", "全部"),
    ("list.search", "Screening number or subject ID", "筛选号或受试者编号"),
    ("list.apply", "Apply", "应用"),
    ("list.none", "No participant matches.", "没有符合条件的受试者。"),
    ("list.count", "participants", "名受试者"),
    ("p.screening_number", "Screening number", "筛选号"),
    ("p.subject_id", "Subject ID", "受试者编号"),
    ("p.site", "Site", "中心"),
    ("p.status", "Status", "状态"),
    ("p.sex", "Sex", "性别"),
    ("p.date_of_birth", "Date of birth", "出生日期"),
    ("p.injury_date", "Date of injury", "受伤日期"),
    ("p.screening_date", "Screening date", "筛选日期"),
    ("p.enrolled_on", "Enrolled on", "入组日期"),
    ("p.eligible", "Eligible", "符合入选"),
    ("sex.male", "Male", "男"),
    ("sex.female", "Female", "女"),
    ("sex.other", "Other", "其他"),
    ("p.yes", "Yes", "是"),
    ("p.no", "No", "否"),
    ("p.reasons", "Eligibility findings", "入选评估结果"),
    ("p.visits", "Visit timeline", "访视时间线"),
    ("p.visit", "Visit", "访视"),
    ("p.done_on", "Done on", "完成日期"),
    ("p.forms", "Forms", "表单"),
    ("p.open_worksheet", "Open the worksheet", "打开检查表"),
    ("p.charts", "Motor and sensory scores over visits", "各次访视的运动和感觉评分"),
    ("p.no_chart", "Scores appear here once exams are recorded.", "记录检查后在此显示评分。"),
    ("p.signatures", "Signatures", "电子签名"),
    ("p.no_signatures", "No visit has been signed.", "尚无访视签名。"),
    ("p.signer", "Signed by", "签名人"),
    ("p.meaning", "Meaning", "签名含义"),
    ("p.verify", "Verify against the source", "源数据核查"),
    ("p.password_again", "Your password, again", "再次输入您的密码"),
    ("p.sign_visit", "Sign the visit", "签署此访视"),
    ("p.sign_casebook", "Sign the whole casebook", "签署完整病例报告"),
    ("status.authored", "Authored", "编写"),
    ("status.reviewed", "Reviewed", "已审阅"),
    ("status.approved", "Approved", "已批准"),
    ("p.signed_at", "Signed at", "签名时间"),
    ("p.valid", "Valid", "有效"),
    ("p.casebook", "Whole casebook", "整份病例报告"),
    ("p.void", "Void", "已失效"),
    ("p.audit", "Audit trail (UTC)", "稽查轨迹（UTC）"),
    ("p.audit_hidden", "Your role does not show the audit trail.", "您的角色无权查看稽查轨迹。"),
    ("p.audit_at", "When (UTC)", "时间（UTC）"),
    ("p.audit_who", "Who", "操作人"),
    ("p.audit_action", "Action", "操作"),
    ("p.audit_record", "Record", "记录"),
    ("p.audit_field", "Field", "字段"),
    ("p.audit_old", "Old value", "原值"),
    ("p.audit_new", "New value", "新值"),
    ("p.audit_reason", "Reason", "原因"),
    ("p.screening_exam", "Screening ISNCSCI exam", "筛选期 ISNCSCI 检查"),
    ("p.queries", "Queries", "质疑"),
    ("status.screening", "Screening", "筛选中"),
    ("status.enrolled", "Enrolled", "已入组"),
    ("status.withdrawn", "Withdrawn", "已退出"),
    ("status.completed", "Completed", "已完成"),
    ("status.screen-failed", "Not eligible", "不符合入选"),
    ("status.upcoming", "Upcoming", "未到期"),
    ("status.due", "Due", "到期"),
    ("status.overdue", "Overdue", "逾期"),
    ("status.done", "Done", "已完成"),
    ("status.done-out-of-window", "Done out of window", "超窗完成"),
    ("status.not-started", "Not started", "未开始"),
    ("status.in-progress", "In progress", "进行中"),
    ("status.complete", "Complete", "已完成"),
    ("status.source-verified", "Source verified", "已源数据核查"),
    ("status.signed", "Signed", "已签名"),
    ("status.locked", "Locked", "已锁定"),
    ("status.open", "Open", "未解决"),
    ("status.answered", "Answered", "已回复"),
    ("status.closed", "Closed", "已关闭"),
    // Adverse events: the participant's list and the event's page (pages/safety/events.rs).
    ("ae.list_title", "Adverse events", "不良事件"),
    ("ae.none", "No adverse event has been recorded.", "尚未记录不良事件。"),
    ("ae.record", "Record an adverse event", "记录不良事件"),
    ("ae.title", "Adverse event", "不良事件"),
    ("ae.new_title", "New adverse event", "新的不良事件"),
    ("ae.back", "Back to the participant", "返回受试者页面"),
    ("ae.term", "CTCAE term", "CTCAE 术语"),
    ("ae.grade", "Grade", "分级"),
    ("ae.serious", "Serious", "严重"),
    ("ae.onset", "Onset", "开始日期"),
    ("ae.end", "End", "结束日期"),
    ("ae.outcome", "Outcome", "转归"),
    ("ae.signature", "Investigator's signature", "研究者签名"),
    ("ae.signed", "Signed", "已签名"),
    ("ae.unsigned", "Not signed", "未签名"),
    ("ae.void", "The last signature was voided by a change:", "上一次签名因修改而失效："),
    ("ae.sign", "Sign the assessment", "签署此评估"),
    ("ae.read_only", "Your role shows this adverse event without changing it.", "您的角色仅可查看此不良事件，不能修改。"),
    ("ae.verbatim", "Verbatim term (the reporter's words)", "原始描述（报告者原话）"),
    ("ae.term_search", "Search the CTCAE terms", "搜索 CTCAE 术语"),
    ("ae.term_hint", "Type part of a term or of a system organ class, then choose the term.", "输入术语或系统器官分类的一部分，然后选择术语。"),
    ("ae.term_chosen", "Term and system organ class", "术语及系统器官分类"),
    ("ae.no_term", "No term chosen yet.", "尚未选择术语。"),
    ("ae.date_hint", "A date as the source records it: year, year and month, or the full date.", "按源文件记录填写日期：年、年月或完整日期。"),
    ("ae.end_hint", "Leave the end empty while the event goes on.", "事件持续期间结束日期留空。"),
    ("ae.choose", "Choose…", "请选择…"),
    ("ae.grade_definition", "The grade for this term", "该术语此分级的定义"),
    ("ae.seriousness", "Seriousness criteria (none met: not serious)", "严重性标准（均不符合：非严重）"),
    ("ae.causality_product", "Causality to the product", "与研究产品的相关性"),
    ("ae.causality_procedure", "Causality to the procedure (lumbar puncture)", "与操作（腰椎穿刺）的相关性"),
    ("ae.expectedness", "Expectedness, as the reference safety information says", "预期性（依据参考安全性信息）"),
    ("ae.expected", "Expected: listed in the reference safety information", "预期：参考安全性信息中已列出"),
    ("ae.unexpected", "Unexpected: not listed in the reference safety information", "非预期：参考安全性信息中未列出"),
    ("ae.expectedness_unknown", "Shown once a term is chosen.", "选择术语后显示。"),
    ("ae.action", "Action taken with the product", "对研究产品采取的措施"),
    ("ae.reason", "Reason for the change", "修改原因"),
    ("ae.save", "Save the adverse event", "保存不良事件"),
    ("ae.s.death", "Resulted in death", "导致死亡"),
    ("ae.s.life-threatening", "Life-threatening", "危及生命"),
    ("ae.s.hospitalisation", "Required or prolonged hospitalisation", "导致住院或住院时间延长"),
    ("ae.s.disability", "Persistent or significant disability or incapacity", "导致永久或严重的残疾或功能丧失"),
    ("ae.s.congenital-anomaly", "Congenital anomaly or birth defect", "先天性异常或出生缺陷"),
    ("ae.s.medically-important", "Other medically important event", "其他重要医学事件"),
    ("ae.c.not-related", "Not related", "无关"),
    ("ae.c.unlikely", "Unlikely related", "可能无关"),
    ("ae.c.possible", "Possibly related", "可能有关"),
    ("ae.c.probable", "Probably related", "很可能有关"),
    ("ae.c.definite", "Definitely related", "肯定有关"),
    ("ae.a.dose-not-changed", "Dose not changed", "剂量未改变"),
    ("ae.a.dose-reduced", "Dose reduced", "剂量减少"),
    ("ae.a.dose-delayed", "Dosing delayed or interrupted", "延迟或中断给药"),
    ("ae.a.drug-withdrawn", "Product withdrawn", "停用研究产品"),
    ("ae.a.not-applicable", "Not applicable", "不适用"),
    ("ae.a.unknown", "Unknown", "未知"),
    ("status.recovered", "Recovered", "已恢复"),
    ("status.recovering", "Recovering", "恢复中"),
    ("status.not-recovered", "Not recovered", "未恢复"),
    ("status.recovered-with-sequelae", "Recovered with sequelae", "恢复伴后遗症"),
    ("status.fatal", "Fatal", "死亡"),
    ("status.unknown", "Unknown", "未知"),
    ("js.ae_no_match", "No term matches.", "没有匹配的术语。"),
    ("js.ae_searching", "Searching…", "正在搜索…"),
    ("js.ae_grade_undefined", "This term does not define this grade.", "该术语未定义此分级。"),
    ("js.ae_not_saved", "Not saved: see the fields marked.", "未保存：请查看标出的字段。"),
    ("q.title", "Queries", "质疑列表"),
    ("q.participant", "Participant", "受试者"),
    ("q.where", "Visit / form / field", "访视 / 表单 / 字段"),
    ("q.text", "Question", "问题"),
    ("q.answer", "Answer", "回复"),
    ("q.raised", "Raised (UTC)", "提出（UTC）"),
    ("q.none", "No query.", "没有质疑。"),
    ("q.your_answer", "Your answer", "您的回复"),
    ("q.send", "Send the answer", "提交回复"),
    ("q.close", "Close the query", "关闭质疑"),
    ("q.reopen", "Re-open the query", "重新打开质疑"),
    ("q.reopen_text", "The new question", "新的问题"),
    ("nav.safety", "Safety", "安全性"),
    ("nav.dsmb", "Safety tables", "安全性汇总表"),
    ("sc.title", "Safety reporting clocks", "安全性报告时限"),
    ("sc.intro", "Open reporting clocks: overdue first, then the soonest due.", "未结束的报告时限：先列出已逾期的，再按到期先后排列。"),
    ("sc.none", "No open clock.", "没有未结束的时限。"),
    ("sc.state", "State", "状态"),
    ("sc.overdue", "Overdue", "已逾期"),
    ("sc.open", "Open", "进行中"),
    ("sc.days_left", "Days left", "剩余天数"),
    ("sc.due", "Due", "截止日期"),
    ("sc.kind", "Clock", "时限"),
    ("sc.participant", "Participant", "受试者"),
    ("sc.event", "Event", "事件"),
    ("sc.awaiting", "Awaiting a report to", "待报告至"),
    ("sc.kind.site-report-24h", "Site to sponsor, 24 hours", "研究中心向申办方报告（24 小时）"),
    ("sc.kind.susar-7-day", "SUSAR, 7 days (fatal or life-threatening)", "SUSAR 7 天报告（致死或危及生命）"),
    ("sc.kind.susar-follow-up", "SUSAR follow-up, day 15", "SUSAR 随访报告（第 15 天）"),
    ("sc.kind.susar-15-day", "SUSAR, 15 days", "SUSAR 15 天报告"),
    ("sc.authority", "Authority", "监管机构"),
    ("sc.authority.fda", "FDA", "FDA"),
    ("sc.authority.cde", "CDE", "CDE（药审中心）"),
    ("sc.report_to_sponsor", "Report to the sponsor", "报告申办方"),
    ("sc.case", "Case", "病例"),
    ("sc.back", "Back to the safety clocks", "返回安全性报告时限"),
    ("sc.verbatim", "Verbatim", "原始描述"),
    ("sc.term", "Term", "术语"),
    ("sc.grade", "Grade", "分级"),
    ("sc.onset", "Onset", "发生日期"),
    ("sc.seriousness", "Seriousness", "严重性标准"),
    ("sc.site_aware", "Site aware it is serious", "研究中心获知为严重事件"),
    ("sc.site_reported", "Reported to the sponsor", "已报告申办方"),
    ("sc.not_reported", "Not yet reported", "尚未报告"),
    ("sc.first_knowledge", "Sponsor's first knowledge (day 0)", "申办方首次获知（第 0 天）"),
    ("sc.first_knowledge_earlier", "First knowledge, if earlier than the site's report", "首次获知时间（如早于研究中心报告）"),
    ("sc.assessments", "Assessments", "评估"),
    ("sc.investigator", "Investigator", "研究者"),
    ("sc.sponsor", "Sponsor", "申办方"),
    ("sc.causality", "Causality to the product", "与产品的相关性"),
    ("sc.expectedness", "Expectedness", "预期性"),
    ("sc.related", "Related", "相关"),
    ("sc.not_assessed", "Not assessed", "未评估"),
    ("sc.yes_no.yes", "Yes", "是"),
    ("sc.yes_no.no", "No", "否"),
    ("sc.causality.not-related", "Not related", "无关"),
    ("sc.causality.unlikely", "Unlikely", "可能无关"),
    ("sc.causality.possible", "Possible", "可能有关"),
    ("sc.causality.probable", "Probable", "很可能有关"),
    ("sc.causality.definite", "Definite", "肯定有关"),
    ("sc.expectedness.expected", "Expected", "预期"),
    ("sc.expectedness.unexpected", "Unexpected", "非预期"),
    ("sc.serious.death", "Death", "死亡"),
    ("sc.serious.life-threatening", "Life-threatening", "危及生命"),
    ("sc.serious.hospitalisation", "Hospitalisation", "住院或延长住院"),
    ("sc.serious.disability", "Disability", "残疾或功能丧失"),
    ("sc.serious.congenital-anomaly", "Congenital anomaly", "先天异常"),
    ("sc.serious.medically-important", "Medically important", "其他重要医学事件"),
    ("sc.susar", "SUSAR: suspected unexpected serious adverse reaction", "SUSAR：可疑且非预期严重不良反应"),
    ("sc.not_susar", "Not a SUSAR", "非 SUSAR"),
    ("sc.arm", "Actual treatment (for the expedited report):", "实际治疗（用于快速报告）："),
    ("sc.assess", "The sponsor's assessment", "申办方评估"),
    ("sc.reason", "Reason for a change", "修改原因"),
    ("sc.save", "Save the assessment", "保存评估"),
    ("sc.clocks", "Clocks", "时限"),
    ("sc.reports", "Expedited reports", "快速报告"),
    ("sc.no_reports", "No report recorded.", "尚无报告记录。"),
    ("sc.report_kind", "Report", "报告类型"),
    ("sc.report.initial", "Initial", "首次报告"),
    ("sc.report.follow-up", "Follow-up", "随访报告"),
    ("sc.version", "Version", "版本"),
    ("sc.submitted", "Submitted", "提交时间"),
    ("sc.recorded_by", "Recorded by", "记录人"),
    ("sc.record_report", "Record a submitted report", "记录已提交的报告"),
    ("sc.record", "Record the report", "记录报告"),
    ("sc.e2b", "Expedited report (ICH E2B(R3))", "快速报告（ICH E2B(R3)）"),
    ("sc.e2b_fda", "E2B(R3) XML for the FDA", "提交 FDA 的 E2B(R3) XML"),
    ("sc.e2b_cde", "E2B(R3) XML for the CDE", "提交 CDE 的 E2B(R3) XML"),
    ("sc.narrative_en", "Narrative (English)", "病例叙述（英文）"),
    ("sc.narrative_zh", "Narrative (Chinese)", "病例叙述（中文）"),
    ("n.title", "Notifications", "通知"),
    ("n.when", "When (UTC)", "时间（UTC）"),
    ("n.what", "Notification", "通知内容"),
    ("n.read", "Read", "已读"),
    ("n.acknowledge", "Acknowledge", "确认已读"),
    ("n.none", "No notification.", "没有通知。"),
    ("ws.title", "ISNCSCI worksheet", "ISNCSCI 检查表"),
    ("ws.calculator_title", "ISNCSCI calculator", "ISNCSCI 计算器"),
    ("ws.calculator_note", "Nothing entered here is saved to any record.", "此处输入的内容不会保存到任何记录。"),
    ("ws.help", "Type a value and the cursor moves down the column. Motor 0–5, sensory 0–2, N for NT; type * or ** right after a value to mark it non-SCI.", "输入数值后光标自动下移。运动 0–5，感觉 0–2，按 N 输入 NT；在数值后紧接输入 * 或 ** 表示非脊髓损伤因素。"),
    ("ws.right", "Right", "右侧"),
    ("ws.left", "Left", "左侧"),
    ("ws.level", "Level", "节段"),
    ("ws.motor", "Motor", "运动"),
    ("ws.touch", "Light touch", "轻触觉"),
    ("ws.prick", "Pin prick", "针刺觉"),
    ("ws.lt", "LT", "轻触"),
    ("ws.pp", "PP", "针刺"),
    ("ws.key_muscles", "Key muscles", "关键肌"),
    ("ws.muscle.C5", "Elbow flexors", "屈肘肌"),
    ("ws.muscle.C6", "Wrist extensors", "伸腕肌"),
    ("ws.muscle.C7", "Elbow extensors", "伸肘肌"),
    ("ws.muscle.C8", "Finger flexors", "中指屈指肌"),
    ("ws.muscle.T1", "Finger abductors", "小指外展肌"),
    ("ws.muscle.L2", "Hip flexors", "屈髋肌"),
    ("ws.muscle.L3", "Knee extensors", "伸膝肌"),
    ("ws.muscle.L4", "Ankle dorsiflexors", "踝背伸肌"),
    ("ws.muscle.L5", "Long toe extensors", "趾长伸肌"),
    ("ws.muscle.S1", "Ankle plantar flexors", "踝跖屈肌"),
    ("ws.vac", "Voluntary anal contraction (VAC)", "肛门自主收缩（VAC）"),
    ("ws.dap", "Deep anal pressure (DAP)", "肛门深压觉（DAP）"),
    ("ws.choose", "Choose", "请选择"),
    ("ws.anal.Yes", "Yes", "有"),
    ("ws.anal.No", "No", "无"),
    ("ws.anal.NT", "NT (not testable)", "NT（无法检查）"),
    ("ws.nonkey_right", "Right: lowest non-key muscle with motor function", "右侧：有运动功能的最低非关键肌"),
    ("ws.nonkey_left", "Left: lowest non-key muscle with motor function", "左侧：有运动功能的最低非关键肌"),
    ("ws.nonkey_none", "None", "无"),
    ("ws.not_entered", "Not entered", "未填写"),
    ("ws.comments", "Comments", "备注"),
    ("ws.totals", "Totals", "总分"),
    ("ws.uer", "Upper right (UER)", "右上肢（UER）"),
    ("ws.uel", "Upper left (UEL)", "左上肢（UEL）"),
    ("ws.ler", "Lower right (LER)", "右下肢（LER）"),
    ("ws.lel", "Lower left (LEL)", "左下肢（LEL）"),
    ("ws.right_motor_total", "Right motor total", "右侧运动总分"),
    ("ws.left_motor_total", "Left motor total", "左侧运动总分"),
    ("ws.uems", "Upper extremity motor score (UEMS)", "上肢运动评分（UEMS）"),
    ("ws.lems", "Lower extremity motor score (LEMS)", "下肢运动评分（LEMS）"),
    ("ws.rlt", "Right light touch", "右侧轻触觉"),
    ("ws.llt", "Left light touch", "左侧轻触觉"),
    ("ws.rpp", "Right pin prick", "右侧针刺觉"),
    ("ws.lpp", "Left pin prick", "左侧针刺觉"),
    ("ws.lt_total", "Light touch total (LTS)", "轻触觉总分（LTS）"),
    ("ws.pp_total", "Pin prick total (PPS)", "针刺觉总分（PPS）"),
    ("ws.classification", "Classification", "分类结果"),
    ("ws.sensory_level", "Sensory level", "感觉平面"),
    ("ws.motor_level", "Motor level", "运动平面"),
    ("ws.nli", "Neurological level of injury (NLI)", "神经损伤平面（NLI）"),
    ("ws.complete", "Complete or incomplete", "完全性或不完全性"),
    ("ws.ais", "ASIA Impairment Scale (AIS)", "ASIA 残损分级（AIS）"),
    ("ws.zpp", "Zone of partial preservation", "部分保留带"),
    ("ws.zpp_sensory", "ZPP sensory", "感觉部分保留带"),
    ("ws.zpp_motor", "ZPP motor", "运动部分保留带"),
    ("ws.map", "Dermatome map", "皮节图"),
    ("ws.map_desc", "Front view of the body; each dermatome is coloured by the worse of its light touch and pin prick scores on that side.", "人体正面图；每个皮节按该侧轻触觉与针刺觉中较差的评分着色。"),
    ("ws.legend_normal", "2 normal", "2 正常"),
    ("ws.legend_altered", "1 altered", "1 异常"),
    ("ws.legend_absent", "0 absent", "0 消失"),
    ("ws.legend_nt", "NT", "NT"),
    ("ws.legend_empty", "Not entered", "未输入"),
    ("ws.save", "Save", "保存"),
    ("ws.saved_version", "Saved version", "已保存版本"),
    ("ws.readonly", "This form cannot be changed by you now.", "您目前无法修改此表单。"),
    ("ws.reason_title", "Reason for the change", "修改原因"),
    ("ws.reason_label", "Why is saved data being changed?", "为什么修改已保存的数据？"),
    ("ws.reason_ok", "Save the change", "保存修改"),
    ("ws.cancel", "Cancel", "取消"),
    ("ws.back", "Back to the participant", "返回受试者页面"),
    ("ws.status", "Status", "状态"),
    ("js.pending", "Enter every value to classify", "请输入全部数值以完成分类"),
    ("js.to_go", "values to go", "项待输入"),
    ("js.invalid", "Not allowed here.", "此处不允许该值。"),
    ("js.allowed_motor", "Allowed: 0–5, 0*–4*, 0**–4**, NT, NT*, NT**", "允许：0–5、0*–4*、0**–4**、NT、NT*、NT**"),
    ("js.allowed_sensory", "Allowed: 0–2, 0*, 1*, 0**, 1**, NT, NT*, NT**", "允许：0–2、0*、1*、0**、1**、NT、NT*、NT**"),
    ("js.fix", "Correct the flagged values", "请更正标记的数值"),
    ("js.classified", "Classified", "已分类"),
    ("js.saving", "Saving…", "正在保存…"),
    ("js.saved", "Saved.", "已保存。"),
    ("js.save_failed", "Not saved:", "未保存："),
    ("js.reason_required", "A reason is required to change saved data.", "修改已保存的数据必须填写原因。"),
    ("js.restored", "Unsaved entries from this device were restored.", "已恢复本设备上未保存的输入。"),
    ("js.session_warning", "Your session ends in 5 minutes without activity.", "如无操作，会话将在 5 分钟后结束。"),
    ("js.stay", "Stay signed in", "保持登录"),
    ("js.session_ended", "Your session has ended. Sign in again; your entries are kept on this device.", "会话已结束。请重新登录；您的输入已保留在本设备上。"),
    ("js.sign_in", "Sign in", "登录"),
    ("js.offline", "The server could not be reached; try again.", "无法连接服务器，请重试。"),
    ("dsmb.title", "Safety tables and DSMB", "安全性汇总表与数据安全监查委员会"),
    ("dsmb.nav", "Safety tables and DSMB", "安全性汇总表与 DSMB"),
    ("dsmb.by_arm", "By treatment arm: for unblinded readers only.", "按治疗组：仅限非盲态人员查看。"),
    ("dsmb.by_level", "By dose level (open-label dose escalation).", "按剂量水平（开放标签剂量递增）。"),
    ("dsmb.pooled_note", "Pooled over all participants: treatment groups stay blinded.", "全部受试者合并：治疗组保持盲态。"),
    ("dsmb.pooled", "All participants", "全部受试者"),
    ("dsmb.unassigned", "Not yet assigned", "尚未分配"),
    ("dsmb.holding", "Dosing and enrolment are paused by a stopping rule", "因触发停止规则，给药和入组已暂停"),
    ("dsmb.summary", "Participants with adverse events", "发生不良事件的受试者"),
    ("dsmb.participants", "Participants", "受试者人数"),
    ("dsmb.any_ae", "With any adverse event", "发生任何不良事件"),
    ("dsmb.sae", "With a serious adverse event", "发生严重不良事件"),
    ("dsmb.deaths", "Deaths", "死亡"),
    ("dsmb.discontinued", "Discontinued for an adverse event", "因不良事件停药"),
    ("dsmb.by_term", "By CTCAE term and worst grade", "按 CTCAE 术语和最严重分级"),
    ("dsmb.soc", "System organ class", "系统器官分类"),
    ("dsmb.term", "Term", "术语"),
    ("dsmb.grade_note", "Participants with the term; in brackets, by their worst grade (G1 to G5).", "发生该术语事件的受试者人数；括号内为按最严重分级（G1 至 G5）的人数。"),
    ("dsmb.no_events", "No adverse event yet.", "尚无不良事件。"),
    ("dsmb.firings", "Stopping rules that fired", "已触发的停止规则"),
    ("dsmb.no_firings", "No stopping rule has fired.", "尚未触发任何停止规则。"),
    ("dsmb.rule", "Stopping rule", "停止规则"),
    ("dsmb.awaiting", "Awaiting the DSMB's decision", "等待 DSMB 决定"),
    ("dsmb.decided", "Decided: dosing and enrolment may resume", "已决定：可恢复给药和入组"),
    ("dsmb.decisions", "DSMB decisions", "DSMB 决定"),
    ("dsmb.no_decisions", "No decision recorded.", "尚无决定记录。"),
    ("dsmb.outcome", "Decision", "决定"),
    ("dsmb.rationale", "Rationale", "理由"),
    ("dsmb.signed_by", "Signed by", "签名人"),
    ("dsmb.closed_session", "Closed session (for unblinded readers)", "闭门会议内容（仅限非盲态人员）"),
    ("dsmb.decide", "Record the DSMB's decision", "记录 DSMB 决定"),
    ("dsmb.sign_decision", "Sign the decision", "签署决定"),
    ("dsmb.paused", "Enrolment and dosing are paused until the DSMB decides:", "在 DSMB 作出决定前，入组和给药暂停："),
    ("status.continue", "Continue", "继续"),
    ("status.continue-with-changes", "Continue with changes", "修改方案后继续"),
    ("status.pause", "Keep paused", "继续暂停"),
    ("status.terminate", "Terminate the study", "终止研究"),
    ("dlt.title", "DLT assessment", "剂量限制性毒性评估"),
    ("dlt.link", "DLT candidates and assessment", "DLT 候选事件与评估"),
    ("dlt.assessed", "Signed assessment", "已签署的评估"),
    ("dlt.is_dlt", "Dose-limiting toxicity", "剂量限制性毒性"),
    ("dlt.no_dlt", "No dose-limiting toxicity", "无剂量限制性毒性"),
    ("dlt.events", "Adverse events", "不良事件"),
    ("dlt.candidates", "DLT candidates", "DLT 候选事件"),
    ("dlt.criteria_note", "Adverse events that meet the study's DLT criteria (grade and relatedness) with an onset in the DLT window. The investigator confirms a DLT by signing.", "符合研究 DLT 标准（分级和相关性）且发生于 DLT 观察期内的不良事件。研究者签名确认 DLT。"),
    ("dlt.no_candidates", "No adverse event meets the DLT criteria.", "没有符合 DLT 标准的不良事件。"),
    ("dlt.grade", "Grade", "分级"),
    ("dlt.onset", "Onset", "发生日期"),
    ("dlt.uncertain", "(may fall outside the window)", "（可能在观察期外）"),
    ("dlt.description", "Description", "描述"),
    ("dlt.assessed_on", "Assessed on", "评估日期"),
    ("dlt.confirm", "Confirm as DLT and sign", "确认为 DLT 并签名"),
    ("chart.motor", "Motor scores", "运动评分"),
    ("chart.sensory", "Sensory scores", "感觉评分"),
    ("chart.uems", "UEMS (max 50)", "UEMS（满分 50）"),
    ("chart.lems", "LEMS (max 50)", "LEMS（满分 50）"),
    ("chart.lt", "Light touch (max 112)", "轻触觉（满分 112）"),
    ("chart.pp", "Pin prick (max 112)", "针刺觉（满分 112）"),
    // eCRF form pages and the data manager's table of forms (issue #16 items 2 and 5).
    ("crf.locked", "This form is locked: a data manager must unlock it before it can change.", "此表单已锁定：需数据管理员解锁后方可修改。"),
    ("crf.required", "Required", "必填"),
    (
        "p.walking_prognosis",
        "Walking at one year (van Middendorp 2011)",
        "一年时独立行走预测（2011 年临床预测规则）",
    ),
    (
        "p.walking_prognosis_value",
        "score {score} of −10 to 40 · predicted probability {percent}%",
        "评分 {score}（−10 至 40）· 预测概率 {percent}%",
    ),
    (
        "p.walking_prognosis_gap",
        "not computed: {value} not testable",
        "未计算：{value} 无法检查",
    ),
    ("p.prognosis.L3_motor", "the L3 motor grade", "L3 运动评分"),
    ("p.prognosis.S1_motor", "the S1 motor grade", "S1 运动评分"),
    ("p.prognosis.L3_light_touch", "the L3 light touch", "L3 轻触觉"),
    ("p.prognosis.S1_light_touch", "the S1 light touch", "S1 轻触觉"),
    (
        "crf.source.master-cell-bank-hla",
        "From the study's master cell bank (the product's records), filled in when saved",
        "来自本研究的主细胞库（产品记录），保存时自动填入",
    ),
    ("crf.raise_query", "Raise a query on this field", "对此字段发起质疑"),
    ("crf.query_text", "Question to the site", "向中心提出的问题"),
    ("crf.send_query", "Raise the query", "发起质疑"),
    ("crf.query_field", "Field of the query", "质疑的字段"),
    ("crf.rules", "Checks between fields", "字段间核查规则"),
    ("crf.save_complete", "Save as complete", "保存为已完成"),
    ("crf.save_draft", "Save as in progress", "保存为进行中"),
    ("crf.lock", "Lock this form", "锁定此表单"),
    ("crf.lock_visit", "Lock every form of this visit", "锁定本访视的全部表单"),
    ("crf.unlock_reason", "Reason for unlocking", "解锁原因"),
    ("crf.unlock", "Unlock", "解锁"),
    ("crf.unlock_visit", "Unlock every form of this visit", "解锁本访视的全部表单"),
    ("crf.unlock_visit_reason", "Reason for unlocking the visit", "解锁本访视的原因"),
    ("crf.one_of", "One of", "可选值"),
    ("crf.yes", "Yes", "是"),
    ("crf.no", "No", "否"),
    ("crf.type.integer", "Whole number", "整数"),
    ("crf.type.decimal", "Number", "数值"),
    ("crf.type.text", "Text", "文本"),
    ("crf.type.date", "Date (YYYY-MM-DD)", "日期（年-月-日）"),
    ("crf.type.choice", "One of the choices", "从选项中选择"),
    ("crf.type.boolean", "Yes or no", "是或否"),
    ("crf.rule.lower", "{a} must be lower than {b}.", "{a}必须低于{b}。"),
    ("crf.rule.not_before", "{a} must not be before {b}.", "{a}不得早于{b}。"),
    ("crf.rule.empty_while", "{a} stays empty while {b} is yes.", "{b}为“是”时，{a}须留空。"),
    ("crf.rule.positive_above", "{a} is yes exactly when {b} is above {c}.", "当且仅当{b}高于{c}时，{a}为“是”。"),
    ("crf.table_title", "Forms by state", "按状态查看表单"),
    ("crf.all", "All", "全部"),
    ("crf.site", "Site", "中心"),
    ("crf.visit", "Visit", "访视"),
    ("crf.form", "Form", "表单"),
    ("crf.participant", "Participant", "受试者"),
    ("crf.updated", "Last change", "最近修改"),
    ("crf.filter", "Show", "筛选"),
    ("crf.none", "No form matches.", "没有符合条件的表单。"),
    ("nav.forms", "Forms", "表单"),
    ("scim.self_care_subscale", "Self-care", "自理"),
    ("scim.respiration_sphincter_subscale", "Respiration and sphincter management", "呼吸与括约肌管理"),
    ("scim.mobility_subscale", "Mobility", "移动"),
    ("scim.total", "SCIM III total", "SCIM III 总分"),
    ("scim.feeding", "Feeding", "进食"),
    ("scim.bathing_upper_body", "Bathing, upper body", "洗浴（上半身）"),
    ("scim.bathing_lower_body", "Bathing, lower body", "洗浴（下半身）"),
    ("scim.dressing_upper_body", "Dressing, upper body", "穿衣（上半身）"),
    ("scim.dressing_lower_body", "Dressing, lower body", "穿衣（下半身）"),
    ("scim.grooming", "Grooming", "修饰"),
    ("scim.respiration", "Respiration", "呼吸"),
    ("scim.bladder", "Sphincter management, bladder", "括约肌管理（膀胱）"),
    ("scim.bowel", "Sphincter management, bowel", "括约肌管理（肠道）"),
    ("scim.use_of_toilet", "Use of toilet", "如厕"),
    ("scim.bed_mobility", "Mobility in bed and action to prevent pressure sores", "床上活动及预防压疮"),
    ("scim.transfer_bed_wheelchair", "Transfers, bed–wheelchair", "转移：床–轮椅"),
    ("scim.transfer_wheelchair_toilet_tub", "Transfers, wheelchair–toilet–tub", "转移：轮椅–厕所–浴盆"),
    ("scim.mobility_indoors", "Mobility indoors", "室内移动"),
    ("scim.mobility_moderate_distances", "Mobility for moderate distances (10–100 m)", "中距离移动（10–100 米）"),
    ("scim.mobility_outdoors", "Mobility outdoors (more than 100 m)", "室外移动（超过 100 米）"),
    ("scim.stair_management", "Stair management", "上下楼梯"),
    ("scim.transfer_wheelchair_car", "Transfers, wheelchair–car", "转移：轮椅–汽车"),
    ("scim.transfer_ground_wheelchair", "Transfers, ground–wheelchair", "转移：地面–轮椅"),
    ("wisci.level", "WISCI II level", "WISCI II 等级"),
    ("wisci.hint", "A whole number from 0 to 20", "0 至 20 的整数"),
    ("wisci.unable", "Unable to stand or to take part in assisted walking", "不能站立或参与辅助步行"),
    ("wisci.parallel_bars", "Parallel bars", "平行杠"),
    ("wisci.walker", "Walker", "助行器"),
    ("wisci.two_crutches", "Two crutches", "双拐"),
    ("wisci.one_cane", "One cane or crutch", "单拐或手杖"),
    ("wisci.no_aid", "No walking aid", "无助行器具"),
    ("wisci.braces", "braces", "佩戴支具"),
    ("wisci.no_braces", "no braces", "无支具"),
    ("wisci.no_help", "no physical help", "无需他人扶助"),
    ("wisci.one_helper", "physical help of one person", "一人扶助"),
    ("wisci.two_helpers", "physical help of two people", "两人扶助"),
    ("wisci.under_10m", "under 10 m", "不足 10 米"),
    ("wisci.10m", "10 m", "10 米"),
];
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages_once() {
        let mut seen = std::collections::BTreeSet::new();
        for (key, en, zh) in all() {
            assert!(seen.insert(*key), "{key} is listed twice");
            assert!(!en.trim().is_empty(), "{key} has no English");
            assert!(!zh.trim().is_empty(), "{key} has no Chinese");
        }
    }

    /// The text of a template outside its tags and template expressions.
    fn visible_text(template: &str) -> String {
        let mut out = String::new();
        let mut rest = template;
        while !rest.is_empty() {
            let next = ["{{", "{%", "<"]
                .iter()
                .filter_map(|open| rest.find(open).map(|i| (i, *open)))
                .min();
            let Some((i, open)) = next else {
                out.push_str(rest);
                break;
            };
            out.push_str(&rest[..i]);
            out.push(' ');
            let close = match open {
                "{{" => "}}",
                "{%" => "%}",
                _ if rest[i..].starts_with("<script") => "</script>",
                _ => ">",
            };
            rest = rest[i..]
                .find(close)
                .map_or("", |j| &rest[i + j + close.len()..]);
        }
        out
    }

    /// The templates write no words of their own: every UI string comes from the table (a few
    /// international abbreviations and the language names aside).
    #[test]
    fn templates_have_no_untranslated_words() {
        let allowed = ["English", "AIS", "UEMS", "LEMS", "S2", "S4", "5"];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = visible_text(&std::fs::read_to_string(&path).unwrap());
            for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
                if word.chars().any(|c| c.is_ascii_alphabetic()) {
                    assert!(
                        allowed.contains(&word),
                        "{} writes {word:?}: put it in the table",
                        path.display()
                    );
                }
            }
        }
        assert_eq!(
            visible_text("<p>{{ a }} Hello {% if x %}</p>").trim(),
            "Hello"
        );
    }

    /// Every `t.get("…")` of the templates, and every `msg("…")` of the scripts, is a key of the
    /// table.
    #[test]
    fn every_key_used_is_in_the_table() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = Vec::new();
        for (dir, open, prefix) in [
            ("templates", "t.get(\"", ""),
            ("static", "msg(\"", "js."),
            ("src/pages", "t.get(\"", ""),
        ] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.ends_with("i18n.rs") {
                    continue; // the table itself
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for piece in text.split(open).skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    if !key.is_empty() && !key.contains('{') {
                        used.push((path.display().to_string(), format!("{prefix}{key}")));
                    }
                }
            }
        }
        assert!(used.len() > 50, "found only {} uses", used.len());
        for (file, key) in used {
            assert!(
                text(Lang::En, &key).is_some(),
                "{file} uses {key}, not in the table"
            );
        }
    }
}
