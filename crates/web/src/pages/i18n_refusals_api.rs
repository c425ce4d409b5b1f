//! The refusal sentences in Chinese, continued from [`super::i18n_refusals`] and read right
//! after its patterns: the store's refusals (duplicates, races, records not found), the API's
//! own, and those of the analysis datasets and the database lock. (English pattern, Chinese),
//! `{}` taking any text; most specific first.

/// The store's and the API's refusals' patterns.
pub const STORE_AND_API: &[(&str, &str)] = &[
    // The store's refusals: duplicates and races of the database.
    (
        "a value of {} collected at this time is recorded already for this participant",
        "该受试者在此时间采集的 {0} 数值已有记录",
    ),
    (
        "an earlier allocation does not match the study definition",
        "先前的分配与研究定义不一致",
    ),
    ("another randomisation came first; try again", "另一项随机化操作在先；请重试"),
    (
        "the audit trail is read from a file: an in-memory database has none",
        "审计追踪从数据库文件读取：内存数据库没有文件",
    ),
    (
        "another report of this case to this authority was recorded at the same time",
        "同一时间已记录了该病例向此监管机构的另一份报告",
    ),
    (
        "form {} is not an ISNCSCI exam",
        "表单 {0} 不是 ISNCSCI 检查",
    ),
    (
        "is already assigned; a dose level is final",
        "已分配；剂量水平不可更改",
    ),
    ("is already assigned", "已分配"),
    (
        "is already randomised; an allocation is final",
        "已随机化；分配结果不可更改",
    ),
    ("is already taken", "已被占用"),
    ("is already used in this study", "在本研究中已被使用"),
    ("was already assessed", "已评估"),
    (
        "no kit is left for this allocation: the kit list must be extended",
        "该分组已无可用药盒：须扩充药盒列表",
    ),
    (
        "no version {} of this case's report to {}",
        "该病例向 {1} 的报告没有第 {0} 版",
    ),
    ("no report of this case", "该病例没有报告"),
    (
        "participant {} is not randomised: there is nothing to unblind",
        "受试者 {0} 尚未随机化：没有可揭盲的分组",
    ),
    ("the list of stratum {} is used up", "分层 {0} 的随机化列表已用完"),
    (
        "the list was already generated; it is never replaced",
        "随机化列表已生成，且永不替换",
    ),
    ("the slot was taken; try again", "该位置已被占用；请重试"),
    (
        "the term {} appears twice (ignoring case)",
        "术语 {0} 重复出现（不区分大小写）",
    ),
    // Records not found (the store's and the API's).
    ("DLT assessment {} not found", "未找到 DLT 评估 {0}"),
    ("DSMB decision {} not found", "未找到数据安全监查委员会决定 {0}"),
    ("adverse event {} not found", "未找到不良事件 {0}"),
    ("allocation {} not found", "未找到受试者 {0} 的分配"),
    ("dose level {} not found", "未找到受试者 {0} 的剂量水平"),
    ("expedited report {} not found", "未找到不良事件 {0} 的快速报告"),
    ("form {} of visit {} not found", "未找到访视 {1} 的表单 {0}"),
    ("form {} not found", "未找到表单 {0}"),
    (
        "figure {} not found: this report's figures are {}",
        "未找到图 {0}：本报告的图为 {1}",
    ),
    ("lab result {} not found", "未找到检验结果 {0}"),
    ("notification {} not found", "未找到通知 {0}"),
    ("outbox {} not found", "未找到待发邮件 {0}"),
    ("participant {} not found", "未找到受试者 {0}"),
    ("proposal {} not found", "未找到建议 {0}"),
    ("query {} not found", "未找到质疑 {0}"),
    ("randomisation list {} not found", "未找到 {0} 的随机化列表"),
    ("role {} not found", "未找到角色 {0}"),
    ("site {} not found", "未找到研究中心 {0}"),
    ("study {} not found", "未找到研究 {0}"),
    ("user {} not found", "未找到用户 {0}"),
    ("visit {} not found", "未找到访视 {0}"),
    ("no such page or operation", "没有此页面或操作"),
    ("{} not found", "未找到 {0}"),
    // The API's own refusals: sign-in, roles, blinding, the request itself.
    ("sign in first", "请先登录"),
    ("wrong username or password", "用户名或密码错误"),
    ("wrong password: {}", "密码错误：{0}"),
    ("is not your current password", "不是您当前的密码"),
    (
        "the session ended after 30 idle minutes: sign in again",
        "会话已因 30 分钟无操作而结束：请重新登录",
    ),
    ("missing or wrong X-CSRF-Token header", "缺少 X-CSRF-Token 请求头或其不正确"),
    ("your roles in {} do not allow this", "您在 {0} 中的角色不允许此操作"),
    (
        "your roles do not record adverse events of this participant",
        "您的角色不能记录该受试者的不良事件",
    ),
    ("you cannot screen at site {}", "您不能在研究中心 {0} 筛选受试者"),
    ("you cannot deactivate your own account", "您不能停用自己的账户"),
    (
        "managing accounts needs the sponsor administrator role",
        "管理账户需要申办方管理员角色",
    ),
    (
        "exporting the audit trail needs a sponsor, data manager or auditor role",
        "导出稽查轨迹需要申办方、数据管理员或稽查员角色",
    ),
    (
        "a site role reads the trail one participant at a time",
        "研究中心角色每次只能查看一名受试者的稽查轨迹",
    ),
    (
        "the trail of {} records is for study-wide roles",
        "{0} 记录的稽查轨迹仅供全研究范围的角色查看",
    ),
    (
        "only an investigator of site {} may unblind its participants",
        "只有研究中心 {0} 的研究者可以为其受试者揭盲",
    ),
    (
        "only whoever raised a query closes or re-opens it",
        "只有提出质疑者才能关闭或重新开启该质疑",
    ),
    (
        "the kits of {} are for unblinded roles only",
        "{0} 的药盒信息仅供非盲态角色查看",
    ),
    (
        "kits of {} are dispensed by unblinded roles only",
        "{0} 的药盒只能由非盲态角色发放",
    ),
    (
        "the dose cohorts of {} are for unblinded roles only",
        "{0} 的剂量队列仅供非盲态角色查看",
    ),
    (
        "the DLT candidates of {} are for unblinded roles only",
        "{0} 的待评估 DLT 仅供非盲态角色查看",
    ),
    (
        "the list of {} is generated by an unblinded role only",
        "{0} 的随机化列表只能由非盲态角色生成",
    ),
    (
        "the report shows the actual treatment: only pharmacovigilance, holding no blinded role in the study, may export it",
        "该报告显示实际治疗：只有在本研究中不担任盲态角色的药物警戒人员才能导出",
    ),
    (
        "{} has no dose escalation you may see",
        "{0} 没有您可查看的剂量递增",
    ),
    ("{} has no dose escalation", "{0} 没有剂量递增"),
    ("{} is a site role: give the site", "{0} 是研究中心角色：请指定研究中心"),
    (
        "{} is a study-wide role: give no site",
        "{0} 是全研究范围的角色：请勿指定研究中心",
    ),
    ("{} is not a role (roles: {})", "{0} 不是角色（角色：{1}）"),
    ("{} is not a role", "{0} 不是角色"),
    ("{} is not a loaded study", "{0} 不是已载入的研究"),
    ("{} is not a site of {}", "{0} 不是 {1} 的研究中心"),
    (
        "{} is not a form of visit {} (forms: {})",
        "{0} 不是访视 {1} 的表单（表单：{2}）",
    ),
    (
        "{} is not a participant id (allowed: a number)",
        "{0} 不是受试者编号（允许：数字）",
    ),
    ("{} is not a page (allowed: 1 or more)", "{0} 不是页码（允许：1 或以上）"),
    (
        "{} is not a seed (decimal digits, 0 to 18446744073709551615)",
        "{0} 不是随机种子（十进制数字，0 至 18446744073709551615）",
    ),
    (
        "{} is not an authority (allowed: fda, cde)",
        "{0} 不是监管机构（允许：fda 即 FDA、cde 即 CDE）",
    ),
    (
        "{} is not an e-mail address (allowed: name@domain)",
        "{0} 不是电子邮件地址（格式：name@domain）",
    ),
    (
        "{} is not an instant (allowed: RFC 3339, 2026-11-02T08:00:00Z)",
        "{0} 不是时间点（允许：RFC 3339 格式，如 2026-11-02T08:00:00Z）",
    ),
    (
        "{} is not a date (allowed: YYYY-MM-DD)",
        "{0} 不是日期（允许：YYYY-MM-DD）",
    ),
    (
        "{} is not a language of the pages (allowed: en, zh)",
        "{0} 不是页面语言（允许：en 英文、zh 中文）",
    ),
    (
        "{} is not a language (allowed: en, zh)",
        "{0} 不是语言（允许：en 英文、zh 中文）",
    ),
    (
        "{} is not allowed (allowed: en, zh)",
        "{0} 不允许（允许：en 英文、zh 中文）",
    ),
    (
        "the participant's consent date is not a date",
        "该受试者的知情同意日期不是有效日期",
    ),
    ("is before from", "早于起始时间"),
    (
        "is given only to change a recorded adverse event",
        "仅在更改已记录的不良事件时填写",
    ),
    (
        "is not a time in RFC 3339 with its offset (2026-03-02T08:30:00+08:00)",
        "不是带时区偏移的 RFC 3339 时间（如 2026-03-02T08:30:00+08:00）",
    ),
    ("is required (up to 100 characters)", "为必填项（不超过 100 个字符）"),
    ("is required to change an account", "更改账户时为必填项"),
    ("is required to take a role away", "撤销角色时为必填项"),
    ("is required: why the DSMB decided so", "为必填项：数据安全监查委员会作此决定的原因"),
    ("must be 1 (the initial report) or more", "应为 1（首次报告）或以上"),
    (
        "must not contain the NUL character (U+0000)",
        "不得包含 NUL 字符（U+0000）",
    ),
    ("is too large (at most {} bytes)", "过大（最多 {0} 字节）"),
    (
        "the request body is too large (at most {} bytes)",
        "请求体过大（最多 {0} 字节）",
    ),
    ("the request body could not be read: {}", "无法读取请求体：{0}"),
    (
        "the request body must be JSON (Content-Type: application/json), not {}",
        "请求体必须为 JSON（Content-Type: application/json），而非 {0}",
    ),
    ("in the query string: {}", "查询字符串中：{0}"),
    ("is not JSON: {}", "不是 JSON：{0}"),
    // Error struct literals of the store and the API, the import files, login throttling.
    (
        "adverse event {}: {} is not a stored value",
        "不良事件 {0}：{1} 不是已保存的取值",
    ),
    ("{} is not a stored value", "{0} 不是已保存的取值"),
    ("{} is not a stored instant", "{0} 不是已保存的时间点"),
    // The analysis datasets (store::analysis).
    (
        "the stored form {} of visit {} is not JSON: {}",
        "访视 {1} 的已存储表单 {0} 不是 JSON：{2}",
    ),
    ("signature {}: {} is not a meaning", "签名 {0}：{1} 不是有效的签名含义"),
    ("is in the future", "是将来的时间"),
    ("is named twice", "被重复列出"),
    (
        "is not a SUSAR: its arm stays concealed",
        "不是 SUSAR：其分组保持隐蔽",
    ),
    ("only a user reads notifications", "只有用户才能阅读通知"),
    (
        "participant {} has no screening ISNCSCI exam to take the strata from",
        "受试者 {0} 没有可据以分层的筛选期 ISNCSCI 检查",
    ),
    (
        "the screening classification (AIS {}, NLI {}) does not give one AIS grade A to D and one level: complete the exam first",
        "筛选期分类（AIS {0}，NLI {1}）未得出唯一的 AIS 分级（A 至 D）和唯一的损伤平面：请先完成检查",
    ),
    ("the column is missing (columns: {})", "缺少该列（列：{0}）"),
    ("the file is empty (columns: {})", "文件为空（列：{0}）"),
    (
        "{} is not a column of this file (columns: {})",
        "{0} 不是此文件的列（列：{1}）",
    ),
    ("{} more problems not listed", "另有 {0} 个问题未列出"),
    (
        "the reset link is unknown, used or expired: ask for a new one",
        "重置链接无效、已使用或已过期：请重新申请",
    ),
    (
        "too many failed logins from this address or with this username: try again in {} seconds",
        "来自此地址或使用此用户名的登录失败次数过多：请在 {0} 秒后重试",
    ),
    (
        "too many password resets asked for from this address or for this username: try again in {} seconds",
        "来自此地址或针对此用户名的密码重置请求过多：请在 {0} 秒后重试",
    ),
    (
        "the stored definition of {} no longer reads: {}",
        "{0} 已保存的研究定义无法再读取：{1}",
    ),
    (
        "{} is neither sqlite:PATH nor postgres://…",
        "{0} 既不是 sqlite:PATH 也不是 postgres://…",
    ),
    ("{} must end in /DATABASE", "{0} 必须以 /DATABASE 结尾"),
    (
        "target_session_attrs={} is not supported; allowed: {}",
        "不支持 target_session_attrs={0}；允许的值：{1}",
    ),
    (
        "target_session_attrs=any with several hosts could leave the writes on a standby; allowed with several hosts: {}",
        "多个主机时 target_session_attrs=any 可能使写入停留在备库上；多个主机时允许的值：{0}",
    ),
    (
        "the list of hosts has an empty entry (hosts are separated by commas)",
        "主机列表中有空项（主机之间以逗号分隔）",
    ),
    (
        "{} may hold only a-z, 0-9 and _",
        "{0} 只能包含小写字母、数字和下划线",
    ),
    // The database lock and the study's unblinding.
    (
        "study {} is locked (database lock of {}): no data can be written to it",
        "研究 {0} 已锁定（数据库锁定于 {1}）：不能再写入任何数据",
    ),
    ("study {} is locked already", "研究 {0} 已经锁定"),
    (
        "study {} cannot be locked: {} thing(s) block it: {}; and {} more (GET /api/studies/{}/lock lists them)",
        "研究 {0} 无法锁定：有 {1} 项阻碍：{2}；另有 {3} 项（GET /api/studies/{4}/lock 列出全部）",
    ),
    (
        "study {} cannot be locked: {} thing(s) block it: {}",
        "研究 {0} 无法锁定：有 {1} 项阻碍：{2}",
    ),
    (
        "form {} of {} at {} is not signed ({})",
        "受试者 {1} 在 {2} 的表单 {0} 未签名（{3}）",
    ),
    (
        "query {} on {} {} {}.{} is {}, not closed",
        "质疑 {0}（{1} {2} {3}.{4}）状态为{5}，未关闭",
    ),
    (
        "study {} is open-label: there is no blind to break",
        "研究 {0} 为开放标签研究：没有需要揭开的盲态",
    ),
    (
        "study {} is not locked: the data manager locks the database before the study is unblinded",
        "研究 {0} 尚未锁定：研究揭盲前须由数据管理员锁定数据库",
    ),
    ("study {} is unblinded already", "研究 {0} 已经揭盲"),
    ("is required to unblind the study", "研究揭盲时为必填项"),
];
