//! The Simplified Chinese of Define-XML's labels, for CDE: each dataset, each variable (by its
//! whole name, or by its suffix after the domain's prefix: `AESTDTC` is AE's `STDTC`), the
//! ISNCSCI test names and the fixed terms.

use isncsci::flat::Field;
use isncsci::Side;

use super::define::suffix;

/// A dataset's label in Chinese.
pub(crate) fn domain_zh(domain: &str) -> Option<&'static str> {
    Some(match domain {
        "DM" => "人口统计学",
        "AE" => "不良事件",
        "EX" => "暴露",
        "DS" => "处置",
        "SV" => "受试者访视",
        "CM" => "合并用药",
        "VS" => "生命体征",
        "QS" => "问卷",
        "NV" => "神经系统检查结果",
        "TA" => "试验组别",
        "TE" => "试验单元",
        "TV" => "试验访视",
        "TI" => "试验入选/排除标准",
        "TS" => "试验概要",
        _ => return None,
    })
}

/// Variables named the same in every domain.
const WHOLE: [(&str, &str); 63] = [
    ("STUDYID", "研究标识符"),
    ("DOMAIN", "域缩写"),
    ("USUBJID", "受试者唯一标识符"),
    ("SUBJID", "研究内受试者标识符"),
    ("RFSTDTC", "受试者参考开始日期/时间"),
    ("RFICDTC", "知情同意日期/时间"),
    ("RFPENDTC", "参与结束日期/时间"),
    ("SITEID", "研究中心标识符"),
    ("BRTHDTC", "出生日期/时间"),
    ("AGE", "年龄"),
    ("AGEU", "年龄单位"),
    ("SEX", "性别"),
    ("ARMCD", "计划组别代码"),
    ("ARM", "计划组别描述"),
    ("ACTARMCD", "实际组别代码"),
    ("ACTARM", "实际组别描述"),
    ("COUNTRY", "国家"),
    ("VISITNUM", "访视编号"),
    ("VISIT", "访视名称"),
    ("VISITDY", "访视计划研究日"),
    ("EPOCH", "试验阶段"),
    ("ETCD", "单元代码"),
    ("ELEMENT", "单元描述"),
    ("TAETORD", "组内单元计划顺序"),
    ("TESTRL", "单元开始规则"),
    ("TEENRL", "单元结束规则"),
    ("TVSTRL", "访视开始规则"),
    ("TVENRL", "访视结束规则"),
    ("IETESTCD", "入选/排除标准简称"),
    ("IETEST", "入选/排除标准"),
    ("IECAT", "入选/排除类别"),
    ("TIVERS", "方案标准版本"),
    ("TSPARMCD", "试验概要参数简称"),
    ("TSPARM", "试验概要参数"),
    ("TSVAL", "参数值"),
    ("AETERM", "不良事件报告术语"),
    ("AELLT", "低位语"),
    ("AELLTCD", "低位语代码"),
    ("AEBODSYS", "身体系统或器官分类"),
    ("AESER", "严重事件"),
    ("AEACN", "对研究治疗采取的措施"),
    ("AEREL", "因果关系"),
    ("AEOUT", "不良事件结局"),
    ("AESCONG", "先天性异常或出生缺陷"),
    ("AESDISAB", "持续或显著残疾/能力丧失"),
    ("AESDTH", "导致死亡"),
    ("AESHOSP", "导致住院或住院时间延长"),
    ("AESLIFE", "危及生命"),
    ("AESMIE", "其他重要医学事件"),
    ("AETOXGR", "标准毒性分级"),
    ("CMTRT", "药物或治疗的报告名称"),
    ("CMINDC", "适应症"),
    ("CMDOSE", "每次给药剂量"),
    ("CMDOSU", "剂量单位"),
    ("CMDOSFRQ", "给药频率"),
    ("CMROUTE", "给药途径"),
    ("EXTRT", "治疗名称"),
    ("EXDOSE", "剂量"),
    ("EXDOSU", "剂量单位"),
    ("EXDOSFRM", "剂型"),
    ("EXROUTE", "给药途径"),
    ("EXVAMT", "治疗载体量"),
    ("EXVAMTU", "治疗载体量单位"),
];

/// Variables named by their domain's prefix and a suffix.
const SUFFIXES: [(&str, &str); 25] = [
    ("SEQ", "序号"),
    ("SPID", "申办方定义标识符"),
    ("TERM", "报告术语"),
    ("DECOD", "标准化术语"),
    ("STDTC", "开始日期/时间"),
    ("ENDTC", "结束日期/时间"),
    ("STDY", "开始的研究日"),
    ("ENDY", "结束的研究日"),
    ("ENRTPT", "结束相对参考时间点"),
    ("ENTPT", "结束参考时间点"),
    ("TESTCD", "检查简称"),
    ("TEST", "检查名称"),
    ("CAT", "类别"),
    ("SCAT", "子类别"),
    ("LOC", "部位"),
    ("LAT", "侧别"),
    ("ORRES", "原始结果"),
    ("ORRESU", "原始单位"),
    ("STRESC", "标准格式的字符结果"),
    ("STRESN", "标准单位的数值结果"),
    ("STRESU", "标准单位"),
    ("DRVFL", "衍生标志"),
    ("DTC", "采集日期/时间"),
    ("DY", "采集的研究日"),
    ("VAL", "参数值（续）"),
];

/// A variable's label in Chinese: by its whole name, else by its suffix in its domain (the
/// continuations of TSVAL, `TSVAL1`…, as continued values).
pub(crate) fn variable_zh(domain: &str, name: &str) -> Option<&'static str> {
    if let Some((_, zh)) = WHOLE.iter().find(|(n, _)| *n == name) {
        return Some(zh);
    }
    let tail = suffix(domain, name)?;
    let tail = if domain == "TS" {
        tail.trim_end_matches(|c: char| c.is_ascii_digit())
    } else {
        tail
    };
    SUFFIXES.iter().find(|(s, _)| *s == tail).map(|(_, zh)| *zh)
}

/// An exam field's test name in Chinese: `C5 右侧运动`, `T10 左侧轻触觉`, `肛门自主收缩`.
pub(crate) fn exam_test_zh(field: Field) -> String {
    let side = |s: Side| match s {
        Side::Right => "右侧",
        Side::Left => "左侧",
    };
    let level = |name: &str| name.replace('_', "-");
    match field {
        Field::Motor(s, m) => format!("{} {}运动", level(m.level().name()), side(s)),
        Field::Touch(s, l) => format!("{} {}轻触觉", level(l.name()), side(s)),
        Field::Prick(s, l) => format!("{} {}针刺觉", level(l.name()), side(s)),
        Field::AnalContraction => "肛门自主收缩".into(),
        Field::AnalSensation => "肛门深部压觉".into(),
        Field::LowestNonKeyMuscle(s) => format!("{}最低非关键肌", side(s)),
    }
}

/// A classification result's name in Chinese, by its key.
pub(crate) fn result_zh(key: &str) -> String {
    match key {
        "rightUpperMotorTotal" => "右上肢运动评分",
        "leftUpperMotorTotal" => "左上肢运动评分",
        "rightLowerMotorTotal" => "右下肢运动评分",
        "leftLowerMotorTotal" => "左下肢运动评分",
        "rightTouchTotal" => "右侧轻触觉总分",
        "leftTouchTotal" => "左侧轻触觉总分",
        "rightPrickTotal" => "右侧针刺觉总分",
        "leftPrickTotal" => "左侧针刺觉总分",
        "rightMotorTotal" => "右侧运动总分",
        "leftMotorTotal" => "左侧运动总分",
        "upperMotorTotal" => "上肢运动评分",
        "lowerMotorTotal" => "下肢运动评分",
        "touchTotal" => "轻触觉总分",
        "prickTotal" => "针刺觉总分",
        "rightSensory" => "右侧感觉平面",
        "leftSensory" => "左侧感觉平面",
        "rightMotor" => "右侧运动平面",
        "leftMotor" => "左侧运动平面",
        "neurologicalLevelOfInjury" => "神经损伤平面",
        "rightSensoryZpp" => "右侧感觉部分保留带",
        "leftSensoryZpp" => "左侧感觉部分保留带",
        "rightMotorZpp" => "右侧运动部分保留带",
        "leftMotorZpp" => "左侧运动部分保留带",
        "asiaImpairmentScale" => "ASIA 残损分级",
        "injuryComplete" => "完全性或不完全性损伤",
        _ => "",
    }
    .to_string()
}

/// A fixed term's decode in Chinese.
pub(crate) fn term_zh(code: &str) -> Option<&'static str> {
    Some(match code {
        "M" => "男",
        "F" => "女",
        "U" => "未知",
        "Y" => "是",
        "N" => "否",
        "YEARS" => "岁",
        "SCREENING" => "筛选期",
        "TREATMENT" => "治疗期",
        "FOLLOW-UP" => "随访期",
        _ => return None,
    })
}
