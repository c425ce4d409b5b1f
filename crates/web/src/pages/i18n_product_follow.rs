//! The messages of the cell product's follow-up pages (doses, exposure, supply, events to
//! follow), in English and Simplified Chinese (a part of [`super::i18n`]'s table, looked up
//! with it; its tests cover both parts).

/// (key, English, Simplified Chinese).
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("pf.more", "After the bedside", "床旁给药之后"),
    // A participant's doses.
    ("pf.doses", "Doses given", "已给药剂量"),
    ("pf.doses_help", "Each dose as the dosing visit records it: when it was given, at which visit, how much and how. The unit given is not shown here.", "按给药访视记录的每次给药：给药时间、所属访视、剂量及给药方式。此处不显示所用细胞单元。"),
    ("pf.dose_number", "Dose", "给药次序"),
    ("pf.dosed_on", "Date at the site", "中心当地日期"),
    ("pf.journey", "The participant's journey", "受试者流程"),
    // The exposure.
    ("pf.exposure", "Exposure", "暴露情况"),
    ("pf.exposure_help", "Every administration to a participant in your scope: who, when, how much and how.", "您范围内受试者的每次给药：受试者、时间、剂量及给药方式。"),
    ("pf.exposure_help_unblinded", "Every administration to a participant in your scope, with the unit given, its lot, and whether it was the product or placebo (unblinded).", "您范围内受试者的每次给药，以及所用细胞单元、其批次，及为活性产品还是安慰剂（非盲）。"),
    // The supply.
    ("pf.supply", "Site supply", "中心库存"),
    ("pf.supply_help", "Units received at each site that can still be given, against the product's minimum; a lot may ship until its last ship date (expiry − shipping lead time − minimum time on site).", "各中心已接收且仍可给药的细胞单元，与产品规定的最低库存比较；批次在其最晚发运日期（有效期 − 运输提前期 − 最短在中心时间）之前可发运。"),
    ("pf.on", "Stock as of", "库存日期"),
    ("pf.no_sites", "No site in your scope.", "您的范围内没有中心。"),
    ("pf.usable", "Usable units", "可用单位数"),
    ("pf.minimum", "Minimum", "最低库存"),
    ("pf.resupply_due", "Resupply due", "需补充发运"),
    ("pf.no_stock", "No usable unit at this site.", "该中心没有可用单位。"),
    ("pf.last_ship", "Last ship date", "最晚发运日期"),
    ("pf.shippable", "At the manufacturer, may still ship", "生产商处仍可发运"),
    ("pf.none_shippable", "No lot at the manufacturer may still ship.", "生产商处没有仍可发运的批次。"),
    ("pf.notices", "Resupply notices", "补充发运通知"),
    // The events to follow.
    ("pf.events", "Events to follow", "待随访事件"),
    ("pf.events_help", "A lot that fails a release test after it was given opens one event for each participant who received it. Contact the participant, follow them up, and close the event with what was done.", "批次在给药后出现放行检测不合格时，会为每名接受该批次的受试者开启一个事件。请联系受试者并随访，然后记录处理情况并关闭事件。"),
    ("pf.no_events", "No event to follow.", "没有待随访事件。"),
    ("pf.event_kind.product-late-failure", "Late release failure", "迟发放行检测不合格"),
    ("pf.event_state.open", "Open", "未关闭"),
    ("pf.event_state.closed", "Closed", "已关闭"),
    ("pf.what", "What happened", "事件经过"),
    ("pf.opened", "Opened", "开启时间"),
    ("pf.closed", "Closed", "关闭时间"),
    ("pf.outcome", "Documented outcome", "记录的处理结果"),
    ("pf.outcome_help", "What was done: the contact, the follow-up and its result (up to 200 characters).", "处理情况：联系、随访及其结果（不超过 200 个字符）。"),
    ("pf.close", "Close the event", "关闭事件"),
    // The DLT window on the cohort and journey pages.
    ("pf.window_given", "from the doses given", "按实际给药计算"),
    ("pf.window_planned", "planned: no dose given yet", "计划：尚未给药"),
];
