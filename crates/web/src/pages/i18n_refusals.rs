//! The refusal sentences of the rules (`trial`), of the store and of the API in Chinese: the
//! second part of the catalogue of [`super::i18n_errors`], read before its general patterns.
//! (English pattern, Chinese), `{}` taking any text as there; most specific first. The test in
//! `i18n_scan` fails when a refusal sentence of `trial` has no pattern here.

/// The refusals' patterns.
pub const REFUSALS: &[(&str, &str)] = &[
    // The screening exam's one home (its form at the screening visit).
    (
        "participant {} is {} as eligible on this screening exam; the change would make them ineligible ({}). Eligibility is not changed after enrolment: report it to the sponsor as a protocol deviation",
        "受试者 {0} 已按此筛选检查判定为合格并{1}；此修改将使其不合格（{2}）。入组后不再更改合格性：请作为方案偏离报告申办方",
    ),
    (
        "study {} has no screening visit with an ISNCSCI form to keep the screening exam",
        "研究 {0} 没有含 ISNCSCI 表单的筛选访视，无法保存筛选检查",
    ),
    ("the exam is missing", "缺少检查结果"),
    ("{} as stored is not a YYYY-MM-DD date", "已存储的 {0} 不是 YYYY-MM-DD 格式的日期"),
    ("{} as stored is not a sex", "已存储的 {0} 不是有效的性别"),
    // Participants: registration, enrolment, allocation, the end of participation.
    (
        "only an eligible participant in screening can be enrolled; this one is {}",
        "只有筛选中且符合入选条件的受试者才能入组；该受试者当前为{0}",
    ),
    (
        "only an eligible, enrolled participant {}; participant {} is {}",
        "只有已入组且符合入选条件的受试者{0}；受试者 {1} 当前为{2}",
    ),
    (
        "only an enrolled participant can be {}; this one is {}",
        "只有已入组的受试者才能{0}；该受试者当前为{1}",
    ),
    ("can be randomised", "可以随机化"),
    ("is given a dose level", "可以分配剂量水平"),
    ("{} (not eligible)", "{0}（不符合入选条件）"),
    ("screening", "筛选中"),
    ("screen-failed", "筛选失败"),
    ("enrolled", "已入组"),
    ("withdrawn", "已退出"),
    ("completed", "已完成"),
    (
        "study {} randomises from a concealed list, which has not been generated yet: the DSMB statistician generates it (Randomisation, or POST /api/studies/{}/randomisation) before the first participant is enrolled",
        "研究 {0} 按隐蔽的随机化列表分配，但该列表尚未生成：须由数据安全监查委员会统计师在首例受试者入组前生成（“随机化”页面，或 POST /api/studies/{1}/randomisation）",
    ),
    ("the participant has no first-dose date", "该受试者没有首次给药日期"),
    (
        "is required: visits are scheduled from the first dose",
        "为必填项：访视按首次给药日期排期",
    ),
    ("is required (1 to 32 characters)", "为必填项（1 至 32 个字符）"),
    (
        "{} is not allowed (allowed: male, female, other)",
        "{0} 不允许（允许：男、女、其他）",
    ),
    ("{} is not a site of {} (sites: {})", "{0} 不是研究 {1} 的中心（中心：{2}）"),
    ("{} cannot be corrected (allowed: {})", "{0} 不可更正（允许：{1}）"),
    // Randomisation and kits.
    (
        "study {} is not randomised (design = \"dose-escalation\")",
        "研究 {0} 不是随机化研究（设计为剂量递增）",
    ),
    ("study {} is not randomised", "研究 {0} 不是随机化研究"),
    ("{} is not allowed (1 to 10000)", "{0} 不允许（允许 1 至 10000）"),
    ("{} is not allowed (1 to 100000)", "{0} 不允许（允许 1 至 100000）"),
    (
        "the randomisation list of {} was already generated; it is never replaced",
        "{0} 的随机化列表已生成，且永不替换",
    ),
    (
        "the randomisation list of {} has not been generated yet",
        "{0} 的随机化列表尚未生成",
    ),
    (
        "the list should come before the first enrolment, but {} participants of {} are enrolled already; to generate it now, give late_reason (why enrolment came first), which the audit trail keeps",
        "随机化列表应在首例入组前生成，但 {1} 已有 {0} 名受试者入组；如现在生成，请填写 late_reason（为何先行入组），该理由将记入稽查轨迹",
    ),
    (
        "the list was generated for {}, but the study definition now says {}",
        "随机化列表是按 {0} 生成的，但研究定义现为 {1}",
    ),
    (
        "the stored seed is not a number: the list is damaged",
        "保存的随机种子不是数字：随机化列表已损坏",
    ),
    (
        "participant {} is already randomised; an allocation is final",
        "受试者 {0} 已随机化；分配结果不可更改",
    ),
    ("participant {} is not randomised", "受试者 {0} 尚未随机化"),
    (
        "{} is not the kit allocated to participant {} (allowed: {})",
        "{0} 不是分配给受试者 {1} 的药盒（允许：{2}）",
    ),
    ("kit {} was already dispensed at {}", "药盒 {0} 已于 {1} 发放"),
    (
        "is required: why the participant's allocation must be known",
        "为必填项：为何必须知晓该受试者的分组",
    ),
    (
        "participant {} was already unblinded in an emergency at {}: an unblinding is done once per participant",
        "受试者 {0} 已于 {1} 紧急揭盲：每名受试者只能揭盲一次",
    ),
    // Dose escalation.
    (
        "an override names the level (allowed: {})",
        "推翻 3+3 规则时须指明剂量水平（允许：{0}）",
    ),
    (
        "is required: why the 3+3 rule is overridden",
        "为必填项：为何推翻 3+3 规则",
    ),
    (
        "the 3+3 rule enrols at {} now, not at {} (allowed: {}); only a sponsor override can",
        "按 3+3 规则，目前应在 {0} 入组，而非 {1}（允许：{2}）；仅申办方推翻规则时可以",
    ),
    (
        "the 3+3 rule enrols no more participants (maximum tolerated dose: {}); only a sponsor override can",
        "按 3+3 规则不再入组受试者（最大耐受剂量：{0}）；仅申办方推翻规则时可以",
    ),
    (
        "the cohort at {} is full ({} of {} assigned, {} evaluable): it waits for their DLT windows",
        "{0} 的队列已满（已分配 {1}/{2} 名，可评价 {3} 名）：须等待其 DLT 观察期结束",
    ),
    (
        "{} is not a dose level of {} (allowed: {})",
        "{0} 不是 {1} 的剂量水平（允许：{2}）",
    ),
    ("{} is no longer a dose level of {}", "{0} 已不再是 {1} 的剂量水平"),
    (
        "study {} has no dose levels (it is not a dose escalation)",
        "研究 {0} 没有剂量水平（不是剂量递增研究）",
    ),
    ("participant {} has no dose level yet", "受试者 {0} 尚未分配剂量水平"),
    (
        "participant {} is already at dose level {}; a dose level is final",
        "受试者 {0} 已分配剂量水平 {1}；剂量水平不可更改",
    ),
    (
        "participant {} was already assessed for DLT",
        "受试者 {0} 已完成 DLT 评估",
    ),
    (
        "the DLT window runs until {}: without a DLT the participant is evaluable from then on",
        "DLT 观察期至 {0} 结束：如无 DLT，受试者自该时起可评价",
    ),
    (
        "{} is outside the DLT window (allowed: {} to {})",
        "{0} 不在 DLT 观察期内（允许：{1} 至 {2}）",
    ),
    (
        "is required for a DLT (within the window {} to {})",
        "判定为 DLT 时为必填项（须在观察期 {0} 至 {1} 内）",
    ),
    ("is required for a DLT: what happened", "判定为 DLT 时为必填项：发生了什么"),
    ("is given only for a DLT", "仅在判定为 DLT 时填写"),
    (
        "are given only for a DLT: an assessment of no DLT names no adverse event",
        "仅在判定为 DLT 时填写：未发生 DLT 的评估不列出不良事件",
    ),
    (
        "a DLT names the adverse event(s) that make it one",
        "判定为 DLT 时须列出构成 DLT 的不良事件",
    ),
    ("adverse event {} is named twice", "不良事件 {0} 被重复列出"),
    (
        "adverse event {} began on {}, outside the DLT window ({} to {})",
        "不良事件 {0} 发生于 {1}，不在 DLT 观察期（{2} 至 {3}）内",
    ),
    // Stopping rules.
    (
        "{} is refused: the DSMB decided to {} under stopping rule {}",
        "{0}被拒绝：数据安全监查委员会已依据停止规则 {2} 决定{1}",
    ),
    (
        "{} is refused until the DSMB records a signed decision: {}",
        "在数据安全监查委员会记录经签名的决定之前，{0}被拒绝：{1}",
    ),
    ("dosing", "给药"),
    ("enrolment", "入组"),
    // The DSMB's outcomes and an adverse event's outcomes, as the sentences above name them.
    ("pause", "暂停"),
    ("terminate", "终止"),
    ("continue", "继续"),
    ("continue-with-changes", "修改后继续"),
    ("recovered", "已恢复"),
    ("recovering", "恢复中"),
    ("not-recovered", "未恢复"),
    ("recovered-with-sequelae", "已恢复但有后遗症"),
    ("fatal", "死亡"),
    ("unknown", "未知"),
    // eCRF: saving, source verification, locks, signatures.
    (
        "form {} is locked: it cannot change until a data manager unlocks it",
        "表单 {0} 已锁定：在数据管理员解锁之前不能更改",
    ),
    (
        "form {} kept changing while it was saved: save it again",
        "表单 {0} 在保存期间被反复更改：请重新保存",
    ),
    (
        "form {} is already source-verified by {}",
        "表单 {0} 已由 {1} 完成源数据核查",
    ),
    ("form {} is already {}", "表单 {0} 已是{1}状态"),
    ("locked", "锁定"),
    ("unlocked", "解锁"),
    (
        "only a complete form can be source-verified (it is {})",
        "只有已完成的表单才能进行源数据核查（当前为{0}）",
    ),
    ("{} has no saved form to sign", "{0} 没有可签名的已保存表单"),
    (
        "every saved form must be complete to sign {} (not complete: {})",
        "签名 {0} 前，所有已保存的表单都必须完成（未完成：{1}）",
    ),
    (
        "form \"{}\" is an ISNCSCI exam: it is read in the flat layout and classified by the isncsci crate, not scored here",
        "表单“{0}”是 ISNCSCI 检查：按平铺格式读取并由 ISNCSCI 分类程序分类，不在此计分",
    ),
    (
        "form \"{}\" is of kind \"{}\", whose content is fixed by the instrument and not by fields: use score_form",
        "表单“{0}”的类型为“{1}”，其内容由量表本身而非字段决定：请使用 score_form",
    ),
    // Submission exports and backups.
    (
        "form {} of participant {} at {} is not a stored value",
        "受试者 {1} 在访视 {2} 的表单 {0} 不是已保存的取值",
    ),
    ("{} exists; a backup is written to a new file", "{0} 已存在；备份须写入新文件"),
    ("{} is not a UTF-8 path", "{0} 不是 UTF-8 路径"),
    // Fields the platform fills (the donor HLA typing from the master cell bank).
    (
        "is filled from the study's master cell bank, not typed: leave it empty (the bank holds {}), found {}",
        "由本研究的主细胞库自动填入，无需手动填写：请留空（细胞库记录为 {0}），收到 {1}",
    ),
    (
        "is filled from the study's master cell bank, not typed: leave it empty (no bank is recorded yet), found {}",
        "由本研究的主细胞库自动填入，无需手动填写：请留空（尚未登记细胞库），收到 {0}",
    ),
    (
        "is required and filled from the study's master cell bank, of which none is recorded yet: register the bank in the product's records first",
        "为必填项，由本研究的主细胞库自动填入，但尚未登记任何细胞库：请先在产品记录中登记细胞库",
    ),
    (
        "unknown field; the fields of form \"{}\" are {}",
        "未知字段；表单“{0}”的字段为 {1}",
    ),
    (
        "unknown field; a WISCI II assessment has the one field level",
        "未知字段；WISCI II 评估只有“等级”一个字段",
    ),
    (
        "is given more than once; give each field once",
        "重复填写；每个字段只能填写一次",
    ),
    (
        "line {}, column {}: not a JSON object of field ids to values: {}",
        "第 {0} 行第 {1} 列：不是由字段标识映射到取值的 JSON 对象：{2}",
    ),
    (
        "must be empty while {} is true, found {}",
        "当 {0} 为是时应为空，实际为 {1}",
    ),
    (
        "must be true, since {} is above {}: {} against {}",
        "应为是，因为 {0} 高于 {1}：{2}（对照 {3}）",
    ),
    (
        "must be false, since {} is not above {}: {} against {}",
        "应为否，因为 {0} 未高于 {1}：{2}（对照 {3}）",
    ),
    (
        "must be lower than {}, found {} against {}",
        "应低于 {0}，实际为 {1}（对照 {2}）",
    ),
    (
        "must not be before {}, found {} against {}",
        "不得早于 {0}，实际为 {1}（对照 {2}）",
    ),
    ("is missing", "缺失"),
    ("nothing changed", "没有任何更改"),
    ("is required to change saved data", "更改已保存的数据时为必填项"),
    ("is required to unlock a form", "解锁表单时为必填项"),
    // The ODM import and the exports page.
    ("is required to import", "导入时为必填项"),
    (
        "the screening exam decides eligibility: it is entered and changed on the participant's screening page, not imported",
        "筛选检查决定受试者的合格性：它在受试者的筛选页面上录入和修改，不能导入",
    ),
    (
        "no SDTM dataset {} (the datasets: {})",
        "没有 SDTM 数据集 {0}（数据集：{1}）",
    ),
    (
        "{}: the domain has no records in this study, so the export leaves it out",
        "{0}：该域在本研究中没有记录，导出时不包含",
    ),
    ("is required to reject a lot", "拒绝放行批次时为必填项"),
    ("is required to recall a lot", "召回批次时为必填项"),
    ("must be at most 500 characters", "不得超过 500 个字符"),
    (
        "is required to change a recorded adverse event",
        "更改已记录的不良事件时为必填项",
    ),
    (
        "is required to change the sponsor's assessment",
        "更改申办方评估时为必填项",
    ),
    (
        "is required to dismiss a proposed adverse event",
        "驳回建议的不良事件时为必填项",
    ),
    ("is required to re-open a query", "重新开启质疑时为必填项"),
    ("is required (up to 2,000 characters)", "为必填项（不超过 2,000 个字符）"),
    ("is required (allowed: 1 to 5)", "为必填项（允许：1 至 5）"),
    (
        "is required: the field the query is about",
        "为必填项：质疑所针对的字段",
    ),
    ("is required when the outcome is {}", "当转归为{0}时为必填项"),
    ("must be empty while the outcome is {}", "当转归为{0}时应为空"),
    // Queries.
    ("the query is {}; this needs it {}", "该质疑当前为{0}；此操作要求其为{1}"),
    ("open or answered", "开启或已答复"),
    ("answered or closed", "已答复或已关闭"),
    ("open or closed", "开启或已关闭"),
    ("open", "开启"),
    ("answered", "已答复"),
    ("closed", "已关闭"),
    // Accounts and mail.
    (
        "{} to {} characters: letters, digits, '.', '_' or '-'",
        "{0} 至 {1} 个字符：字母、数字、“.”、“_”或“-”",
    ),
    ("needs at least {} characters", "至少需要 {0} 个字符"),
    ("is too long (at most {} characters)", "过长（最多 {0} 个字符）"),
    (
        "the account has no e-mail address (allowed: local@domain)",
        "该账户没有电子邮件地址（格式：local@domain）",
    ),
    (
        "{} is not an e-mail address (allowed: local@domain)",
        "{0} 不是电子邮件地址（格式：local@domain）",
    ),
    (
        "the message is {}; only a pending one is sent (allowed: pending)",
        "该消息当前为{0}；只发送待发送的消息（允许：待发送）",
    ),
    // Safety: adverse events, the sponsor's cases, expedited reports.
    (
        "is {}: adverse events are recorded from enrolment on (allowed: enrolled, withdrawn, completed)",
        "当前为{0}：不良事件自入组起记录（允许：已入组、已退出、已完成）",
    ),
    (
        "adverse event {} is already signed by {}; a change voids the signature",
        "不良事件 {0} 已由 {1} 签名；更改将使签名失效",
    ),
    (
        "is required: the event in the reporter's words",
        "为必填项：报告者原话描述的事件",
    ),
    ("is required: a CTCAE term", "为必填项：CTCAE 术语"),
    ("{} is not a term of the loaded terms", "{0} 不在已载入的术语表中"),
    ("{} is not a grade (allowed: 1 to 5)", "{0} 不是有效分级（允许：1 至 5）"),
    (
        "{} does not define grade {} (allowed: {})",
        "{0} 未定义 {1} 级（允许：{2}）",
    ),
    (
        "{} is after today ({}): an event is recorded once it happened",
        "{0} 晚于今天（{1}）：事件须在发生后记录",
    ),
    (
        "{} is before consent on {}: an event before consent is medical history",
        "{0} 早于知情同意日期 {1}：知情同意前的事件属于既往病史",
    ),
    ("{} is before the onset {}", "{0} 早于发生日期 {1}"),
    (
        "{} is in the future (allowed: a date up to {})",
        "{0} 是将来的日期（允许：不晚于 {1} 的日期）",
    ),
    (
        "{} is in the future (allowed: an instant up to now)",
        "{0} 是将来的时间（允许：不晚于现在的时间）",
    ),
    (
        "{} is not a date (allowed: YYYY, YYYY-MM or YYYY-MM-DD)",
        "{0} 不是日期（允许：YYYY、YYYY-MM 或 YYYY-MM-DD）",
    ),
    (
        "{} is not a date (expected YYYY-MM-DD)",
        "{0} 不是日期（应为 YYYY-MM-DD）",
    ),
    ("{} is not a date YYYY-MM-DD", "{0} 不是 YYYY-MM-DD 格式的日期"),
    (
        "the event meets no seriousness criterion: only a serious adverse event is reported to the sponsor (allowed: an event with at least one of death, life-threatening, hospitalisation, disability, congenital-anomaly, medically-important)",
        "该事件不符合任何严重性标准：只有严重不良事件才向申办方报告（允许：至少符合死亡、危及生命、住院、残疾、先天异常、重要医学事件之一的事件）",
    ),
    (
        "the event meets no seriousness criterion: the sponsor assesses serious adverse events only",
        "该事件不符合任何严重性标准：申办方只评估严重不良事件",
    ),
    (
        "the event was reported to the sponsor at {}: a change of the event is its follow-up",
        "该事件已于 {0} 报告申办方：对事件的更改即为其随访报告",
    ),
    (
        "{} is after the sponsor's first knowledge from the site's report ({}): only an earlier instant may be recorded",
        "{0} 晚于申办方从研究中心报告首次获知的时间（{1}）：只能记录更早的时间",
    ),
    (
        "{} is before the sponsor's first knowledge of the case ({})",
        "{0} 早于申办方首次获知该病例的时间（{1}）",
    ),
    (
        "is not a SUSAR (serious, related by the investigator or the sponsor, and unexpected): it has no expedited report",
        "不是 SUSAR（严重、经研究者或申办方判定为相关且非预期）：无需快速报告",
    ),
    (
        "the sponsor has no first knowledge of the case yet: the site reports it, or the safety physician records when the sponsor learnt of it",
        "申办方尚未首次获知该病例：须由研究中心报告，或由安全性医师记录申办方获知的时间",
    ),
    (
        "the initial report to {} was recorded: the next is a follow-up (allowed: follow-up)",
        "向 {0} 的首次报告已记录：下一份为随访报告（允许：随访报告）",
    ),
    (
        "no report to {} yet: the first is the initial report (allowed: initial)",
        "尚未向 {0} 报告：第一份为首次报告（允许：首次报告）",
    ),
    (
        "is fixed once recorded ({}): the SUSAR clock runs from it",
        "一经记录即不可更改（{0}）：SUSAR 报告时限由此起算",
    ),
    (
        "is already recorded; correct it with a reason",
        "已记录；如需更正请说明原因",
    ),
    // Laboratory results.
    (
        "{} {} is not a plausible value of {} ({}: {} to {} {})",
        "{0} {1} 不是 {2} 的合理数值（{3}：{4} 至 {5} {6}）",
    ),
    ("{} is not a unit of {} (allowed: {})", "{0} 不是 {1} 的单位（允许：{2}）"),
    ("{} is not a number ({})", "{0} 不是数值（{1}）"),
    (
        "the proposal is {} already; only an open one is accepted or dismissed",
        "该建议已是{0}状态；只有待处理的建议才能接受或驳回",
    ),
    ("accepted", "已接受"),
    ("dismissed", "已驳回"),
    (
        "a lab value's event is recorded not serious; mark it serious by changing the adverse event, which starts the site's reporting clock",
        "由检验值产生的事件按非严重记录；如为严重，请更改该不良事件，研究中心的报告时限随之开始",
    ),
    // The cell product: release of a lot, the bedside checks.
    (
        "the lot is {}; only a quarantined lot is released or rejected",
        "该批次当前为{0}；只有待检隔离的批次才能放行或拒绝放行",
    ),
    (
        "failed: {}; a lot with a failed test can only be rejected",
        "不合格：{0}；有检验不合格的批次只能拒绝放行",
    ),
    (
        "no result yet for {}; release conditionally naming them, or wait",
        "{0} 尚无结果；请在有条件放行时列出这些检验，或等待结果",
    ),
    (
        "no result yet for {}, and not named as pending",
        "{0} 尚无结果，且未列为待定检验",
    ),
    (
        "names no test; with every result in, release the lot",
        "未列出任何检验；所有结果均已出具，请直接放行该批次",
    ),
    (
        "{} must pass before release; it cannot be pending",
        "{0} 必须在放行前合格，不能列为待定",
    ),
    (
        "{} already has a result; correct it with a reason",
        "{0} 已有结果；如需更正请说明原因",
    ),
    ("{} already has a result", "{0} 已有结果"),
    ("{} takes one of: {}", "{0} 的结果应为以下之一：{1}"),
    ("{} takes a finite number in {}", "{0} 的结果应为以 {1} 为单位的有限数值"),
    (
        "unit {} belongs to kit {}, not this participant's kit {}",
        "细胞单元 {0} 属于药盒 {1}，而非该受试者的药盒 {2}",
    ),
    ("unit {} was already used", "细胞单元 {0} 已使用"),
    ("unit {}'s lot was recalled: {}", "细胞单元 {0} 的批次已召回：{1}"),
    ("unit {}'s lot is {}, not released", "细胞单元 {0} 的批次当前为{1}，未放行"),
    (
        "the lot is rejected: none of its units may be given, there is nothing to recall",
        "该批次已拒绝放行：其单元均不得给药，无需召回",
    ),
    ("the lot is recalled already", "该批次已召回"),
    ("lot {} is not recalled", "批次 {0} 未被召回"),
    ("unit {} expired on {}", "细胞单元 {0} 已于 {1} 过期"),
    (
        "unit {} is quarantined after a temperature excursion or logger gap until a documented decision",
        "细胞单元 {0} 因温度偏离或温度记录中断已隔离，待有书面决定后处理",
    ),
    ("unit {} has no thaw recorded", "细胞单元 {0} 未记录复苏"),
    ("the injection cannot be before the thaw", "注射时间不能早于复苏时间"),
    (
        "{} minutes since thaw, over the product's limit of {} minutes",
        "复苏后已 {0} 分钟，超过产品规定的 {1} 分钟时限",
    ),
    (
        "must be a volume over 0 and at most 20 mL",
        "体积应大于 0 且不超过 20 mL",
    ),
    ("must be 20 to 300 kg", "应为 20 至 300 kg"),
    (
        "endotoxin {} EU/kg for this participant, over the intrathecal limit of {} EU/kg",
        "该受试者的内毒素为 {0} EU/kg，超过鞘内给药限值 {1} EU/kg",
    ),
    // The product's custody, the bedside and the store's records (issue 17).
    (
        "unit {} is linked to kit {} already",
        "细胞单元 {0} 已关联药盒 {1}",
    ),
    ("kit {} holds unit {} already", "药盒 {0} 已装有细胞单元 {1}"),
    ("unit {} is {}, not available", "细胞单元 {0} 当前为{1}，不可用"),
    (
        "unit {} has not been received at site {}",
        "细胞单元 {0} 尚未在中心 {1} 签收",
    ),
    (
        "unit {} is not of the treatment kit {} was allocated",
        "细胞单元 {0} 与药盒 {1} 所分配的治疗不符",
    ),
    ("is required: who hands the shipment over", "为必填项：由谁交出该运输"),
    ("is required: where the shipment is handed over", "为必填项：交接地点"),
    ("is before the shipment's previous hand-over", "早于该运输的上一次交接"),
    ("the excursion was decided already ({})", "该温度偏离已有决定（{0}）"),
    ("is required: the decision is documented", "为必填项：决定须有书面说明"),
    (
        "must be a count of cells from 1 to 10000000000",
        "应为 1 至 10000000000 个细胞",
    ),
    (
        "study {} has no product definition loaded yet",
        "研究 {0} 尚未载入产品定义",
    ),
    ("must be 1 to 32 of A-Z, 0-9 and -", "应为 1 至 32 个字符（A-Z、0-9 和 -）"),
    ("is required (1 to 200 characters)", "为必填项（1 至 200 个字符）"),
    (
        "{} is not the check character of DIN {} (a label misread or mistyped)",
        "{0} 不是献血识别码 {1} 的校验字符（标签读错或输入错误）",
    ),
    (
        "must be an ISBT 128 product code: 8 of A-Z and 0-9 (E1234V00)",
        "应为 ISBT 128 产品代码：8 个字符（A-Z 和 0-9，如 E1234V00）",
    ),
    ("must list 1 to 10000 units", "应列出 1 至 10000 个细胞单元"),
    ("DIN {} is listed twice", "献血识别码 {0} 重复列出"),
    ("DIN {} is registered already", "献血识别码 {0} 已登记"),
    ("{} is not a location of the study", "{0} 不是本研究的存放位置"),
    ("must be after the date of manufacture", "应晚于生产日期"),
    ("must be a count of cells of at least 1", "应为至少 1 个细胞"),
    ("a bank with this code exists already", "该编号的主细胞库已存在"),
    ("a lot with this number exists already", "该批号已存在"),
    ("a location with this code exists already", "该编号的存放位置已存在"),
    ("two readings of the file share a line", "文件中两条读数位于同一行"),
    ("must name at least one unit", "应至少列出一个细胞单元"),
    ("{} is not a unit of the study", "{0} 不是本研究的细胞单元"),
    (
        "unit {} is shipped already or not available",
        "细胞单元 {0} 已发运或不可用",
    ),
    (
        "unit {}'s lot expires on {}: the last day it could ship was {}",
        "细胞单元 {0} 的批次于 {1} 过期：最晚发运日为 {2}",
    ),
    ("shipment {} was received already", "运输 {0} 已签收"),
    (
        "participant {} is not enrolled with a first-dose date",
        "受试者 {0} 入组时未设定首次给药日期",
    ),
    ("scan the participant's kit", "请扫描该受试者的药盒"),
    (
        "unit {} belongs to kit {}; this participant has no kit",
        "细胞单元 {0} 属于药盒 {1}；该受试者没有药盒",
    ),
    (
        "unit {} is linked to no kit; this participant's kit is {}",
        "细胞单元 {0} 未关联任何药盒；该受试者的药盒为 {1}",
    ),
    (
        "unit {} is a placebo unit; an open-label participant is given the product",
        "细胞单元 {0} 为安慰剂单元；开放标签受试者应给予研究产品",
    ),
    (
        "the participant has no dose level yet; a dose is given at the assigned level",
        "该受试者尚未分配剂量水平；须按分配的剂量水平给药",
    ),
    (
        "the participant has had all {} dose(s) of the schedule; no further dose is given",
        "该受试者已完成给药方案的全部 {0} 次给药；不再给药",
    ),
    (
        "must be the level's dose of {} cells (given: {})",
        "应为该剂量水平的 {0} 个细胞（实际：{1}）",
    ),
    (
        "dose {} of {} is due on day {} ({} to {}), not on {}",
        "第 {0} 次给药（共 {1} 次）应在第 {2} 天（{3} 至 {4}），而非 {5}",
    ),
    ("a dose was already given on {}", "{0} 已给药"),
    ("event {} is {} already", "事件 {0} 已为{1}状态"),
    ("event {} not found", "未找到事件 {0}"),
    ("participant {} has no kit", "受试者 {0} 没有药盒"),
    ("kit {} is not this participant's kit", "药盒 {0} 不是该受试者的药盒"),
    ("unit {} is linked to no kit", "细胞单元 {0} 未关联任何药盒"),
    (
        "must be a number or a word of the test's list",
        "应为数值或该检验列表中的词",
    ),
    ("is not an offset such as +08:00", "不是时区偏移（如 +08:00）"),
    ("is not a date in YYYY-MM-DD form", "不是 YYYY-MM-DD 格式的日期"),
    ("the product record was not signed", "产品记录未签名"),
    ("lot {} not found", "未找到批次 {0}"),
    ("database lock {} not found", "未找到研究 {0} 的数据库锁定记录"),
    ("unit {} not found", "未找到细胞单元 {0}"),
    ("bank {} not found", "未找到主细胞库 {0}"),
    ("shipment {} not found", "未找到运输 {0}"),
    ("excursion {} not found", "未找到温度偏离 {0}"),
    ("kit {} not found", "未找到药盒 {0}"),
    ("quarantined", "待检隔离"),
    ("released", "已放行"),
    ("rejected", "已拒绝放行"),
    ("recalled", "已召回"),
];
