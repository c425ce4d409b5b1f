//! Sentences of the rules in the page's language: the JSON error shape's messages, and the
//! in-app notifications stored in English words (shown by the notifications page through
//! [`to_chinese`]).
//!
//! The JSON error shape in the page's language. `trial` refuses in English words (pure, one
//! language, what API clients and the audit read); a page's script asks for its language with
//! the `X-Scitrial-Lang` header, and this middleware translates the messages of an error
//! answer by the catalogue of message patterns below. The shape, the status and the field
//! names do not change; a message the catalogue does not know stays as it is.

use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::Lang;

/// The header a page's script sends with the page's language (`en` or `zh`).
pub const LANG_HEADER: &str = "x-scitrial-lang";

/// (English pattern, Chinese): `{}` in a pattern takes any text, which the Chinese puts where
/// `{0}`, `{1}`, … stand, itself translated when it is a pattern's text. Longer, more specific
/// patterns come first.
const PATTERNS: &[(&str, &str)] = &[
    (
        "is not a date of the calendar: must be {}, found {}",
        "不是有效的日历日期：应为{0}，实际为 {1}",
    ),
    ("is too large: must be {}, found {}", "过大：应为{0}，实际为 {1}"),
    ("must be {}, found {}", "应为{0}，实际为 {1}"),
    ("is required: {}", "为必填项：{0}"),
    ("is required {}", "为必填项：{0}"),
    ("is required", "为必填项"),
    ("{} is not allowed (allowed: {})", "{0} 不允许（允许：{1}）"),
    ("a whole number from {} to {}", "{0} 至 {1} 的整数"),
    ("a whole number of at least {}", "不小于 {0} 的整数"),
    ("a whole number of at most {}", "不大于 {0} 的整数"),
    ("a whole number in {}", "以 {0} 为单位的整数"),
    ("a whole number", "整数"),
    ("a number from {} to {}", "{0} 至 {1} 的数值"),
    ("a number of at least {}", "不小于 {0} 的数值"),
    ("a number of at most {}", "不大于 {0} 的数值"),
    ("a number in {}", "以 {0} 为单位的数值"),
    ("a number", "数值"),
    ("from {} to {}", " {0} 至 {1} "),
    ("at least {}", "至少 {0}"),
    ("at most {}", "至多 {0}"),
    ("text of at most {} characters", "不超过 {0} 个字符的文本"),
    (
        "a date written YYYY-MM-DD (e.g. 2026-03-02)",
        "YYYY-MM-DD 格式的日期（如 2026-03-02）",
    ),
    ("true or false", "是或否"),
    ("one of {}", "以下之一：{0}"),
    ("must not be empty", "不得为空"),
    // In-app notifications, stored in the words of the rules that made them.
    (
        "Emergency unblinding of participant {} (site {}) by {} at {}. Reason: {}",
        "受试者 {0}（中心 {1}）已由 {2} 于 {3} 紧急揭盲。原因：{4}",
    ),
    (
        "{} Dosing and enrolment are paused until the DSMB records a signed decision.",
        "{0} 在数据安全监查委员会记录经签名的决定之前，暂停给药和入组。",
    ),
    (
        "stopping rule {} ({}) fired: {} related adverse event(s) of grade {} or higher",
        "停止规则 {0}（{1}）已触发：{2} 例与研究产品相关的 {3} 级及以上不良事件",
    ),
    (
        "stopping rule {} ({}) fired: {} of the first {} participants dosed had a related serious adverse event",
        "停止规则 {0}（{1}）已触发：前 {3} 名已给药受试者中有 {2} 名发生与研究产品相关的严重不良事件",
    ),
    (
        "any related adverse event of grade {} or higher",
        "任何与研究产品相关的 {0} 级及以上不良事件",
    ),
    (
        "{} or more of the first {} participants dosed with a related serious adverse event",
        "前 {1} 名已给药受试者中有 {0} 名或以上发生与研究产品相关的严重不良事件",
    ),
    (
        "Lot {} failed {} after units were given to {} participant(s): contact each recipient and follow them up",
        "批次 {0} 在细胞单元给药后{1}不合格，涉及 {2} 名受试者：请联系每位受试者并随访",
    ),
    ("Lot {} failed {} after it was given", "批次 {0} 在给药后{1}不合格"),
    (
        "Site {} has {} usable unit(s) of {}, at or below its minimum of {}: ship a resupply",
        "中心 {0} 的 {2} 可用细胞单元为 {1} 个，已达到或低于最低库存 {3}：请补充发运",
    ),
    // The release tests of the shipped product definition, named in those notices.
    ("Sterility (14-day culture)", "无菌检查（14 天培养）"),
    ("Mycoplasma", "支原体"),
    ("Bacterial endotoxin", "细菌内毒素"),
    ("Viability after thaw", "复苏后活率"),
    ("Karyotype", "核型"),
    (
        "{} ({}) for {} of participant {} (site {}): started {}, due {} (overdue from {}).",
        "受试者 {3}（中心 {4}）的 {2}：{0}，开始于 {5}，截止 {6}（自 {7} 起逾期）。",
    ),
    ("the site's 24-hour report to the sponsor", "研究中心 24 小时内向申办方报告"),
    (
        "the 7-day expedited report of a fatal or life-threatening SUSAR",
        "致死或危及生命的 SUSAR 7 日快速报告",
    ),
    (
        "the follow-up report of a fatal or life-threatening SUSAR",
        "致死或危及生命的 SUSAR 随访报告",
    ),
    ("the 15-day expedited report of a SUSAR", "SUSAR 15 日快速报告"),
    // Eligibility reasons, stored in the words of `trial::eligibility` (its `Display`).
    (
        "consent on {} is after the screening date {}; consent must be given on or before the screening date",
        "知情同意日期 {0} 晚于筛选日期 {1}，须在筛选当日或之前签署知情同意",
    ),
    ("date of birth {} is after the screening date {}", "出生日期 {0} 晚于筛选日期 {1}"),
    ("injury date {} is after the screening date {}", "受伤日期 {0} 晚于筛选日期 {1}"),
    ("injury date {} is before the date of birth {}", "受伤日期 {0} 早于出生日期 {1}"),
    ("age {} years is outside {}", "年龄 {0} 岁，不在 {1} 岁范围内"),
    (
        "{} days from injury to screening is outside {}",
        "受伤至筛选 {0} 天，不在 {1} 天范围内",
    ),
    (
        "neurological level of injury INT (no impairment found) is never eligible",
        "神经损伤平面为 INT（未发现脊髓损伤），不符合入选条件",
    ),
    (
        "neurological level of injury is undetermined (possibly {}): NT values leave it open",
        "神经损伤平面无法确定（可能为 {0}），因有未能检查（NT）的项目",
    ),
    ("neurological level of injury {} is outside {}", "神经损伤平面 {0} 不在 {1} 范围内"),
    (
        "AIS grade is undetermined (possibly {}): NT values leave it open",
        "AIS 分级无法确定（可能为 {0}），因有未能检查（NT）的项目",
    ),
    (
        "AIS grade {} is not among the allowed grades {}",
        "AIS 分级 {0} 不在允许的分级（{1}）之内",
    ),
    // Why a signature is void (`trial::ecrf`'s words for the change).
    ("form {} added to the visit", "访视新增表单 {0}"),
    ("form {} changed: {} ({})", "表单 {0} 已更改：{1}（{2}）"),
    ("Safety clock started: {}, participant {}", "安全性报告时限已开始：{0}，受试者 {1}"),
    ("2 days left: {}, participant {}", "剩余 2 天：{0}，受试者 {1}"),
    ("must change something", "没有任何更改"),
    ("the form is locked", "表单已锁定"),
];

/// The summary of an answer whose problems are shown at their fields.
const SUMMARY_ZH: &str = "有 {n} 项内容未被接受，请见各字段的说明。";

/// Matches `text` against a pattern; the texts its `{}` took, in order.
fn matches<'a>(pattern: &str, text: &'a str) -> Option<Vec<&'a str>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let first = pieces[0];
    let mut rest = text.strip_prefix(first)?;
    let mut taken = Vec::new();
    for (i, piece) in pieces.iter().enumerate().skip(1) {
        let last = i == pieces.len() - 1;
        let at = if last {
            if piece.is_empty() {
                rest.len()
            } else if rest.ends_with(piece) {
                rest.len() - piece.len()
            } else {
                return None;
            }
        } else {
            rest.find(piece)?
        };
        if at == 0 {
            return None;
        }
        taken.push(&rest[..at]);
        rest = &rest[at + piece.len()..];
    }
    (pieces.len() > 1 || rest.is_empty()).then_some(taken)
}

/// A message in Chinese, when the catalogue knows its pattern.
pub fn to_chinese(message: &str) -> Option<String> {
    let message = message.trim();
    let all = super::i18n_refusals::REFUSALS
        .iter()
        .chain(super::i18n_refusals_api::STORE_AND_API)
        .chain(PATTERNS);
    all.into_iter().find_map(|(pattern, zh)| {
        let taken = matches(pattern, message)?;
        let mut out = (*zh).to_string();
        for (i, part) in taken.iter().enumerate() {
            let part = part.trim();
            let shown = to_chinese(part).unwrap_or_else(|| part.to_string());
            out = out.replace(&format!("{{{i}}}"), &shown);
        }
        Some(out.trim().replace("  ", " "))
    })
}

/// An error answer's messages in the language; anything else as it is.
fn translate(body: &mut Value, lang: Lang) {
    if lang != Lang::Zh {
        return;
    }
    let Some(error) = body.get_mut("error") else {
        return;
    };
    let mut count = 0;
    if let Some(Value::Array(fields)) = error.get_mut("fields") {
        for f in fields.iter_mut() {
            if let Some(Value::String(m)) = f.get_mut("message") {
                if let Some(zh) = to_chinese(m) {
                    *m = zh;
                }
            }
            count += 1;
        }
    }
    if let Some(Value::String(m)) = error.get_mut("message") {
        if let Some(zh) = to_chinese(m) {
            *m = zh;
        } else if count > 0 {
            *m = SUMMARY_ZH.replace("{n}", &count.to_string());
        }
    }
}

/// Middleware: an API error answer to a page that asked for Chinese, in Chinese.
pub async fn page_language(request: Request, next: Next) -> Response {
    let lang = request
        .headers()
        .get(LANG_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::parse);
    let response = next.run(request).await;
    let Some(lang @ Lang::Zh) = lang else {
        return response;
    };
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json || !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let bytes = match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut value) => {
            translate(&mut value, lang);
            serde_json::to_vec(&value).unwrap_or_else(|_| bytes.to_vec())
        }
        Err(_) => bytes.to_vec(),
    };
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusals_of_a_form_read_in_chinese() {
        assert_eq!(
            to_chinese("must be from 50 to 250 mmHg, found 400 mmHg").as_deref(),
            Some("应为50 至 250 mmHg，实际为 400 mmHg")
        );
        assert_eq!(
            to_chinese("is required: a whole number from 20 to 250 beats/min").as_deref(),
            Some("为必填项：20 至 250 beats/min 的整数")
        );
        assert_eq!(
            to_chinese("must be true or false, found \"x\"").as_deref(),
            Some("应为是或否，实际为 \"x\"")
        );
        assert_eq!(to_chinese("is required").as_deref(), Some("为必填项"));
        // An eligibility reason as `trial` words it, in the words of its own `message_zh`.
        let reason = trial::Reason::Age {
            years: 70,
            allowed: trial::Bounds { min: 18, max: 65 },
        };
        assert_eq!(
            to_chinese(&reason.to_string()).as_deref(),
            Some(reason.message_zh().as_str())
        );
        assert_eq!(
            to_chinese(
                "the 15-day expedited report of a SUSAR (susar-15-day) for Fever of participant \
                 XS-1 (site S1): started 2026-01-01T00:00:00Z, due 2026-01-16 (overdue from \
                 2026-01-16T16:00:00Z)."
            )
            .as_deref(),
            Some(
                "受试者 XS-1（中心 S1）的 Fever：SUSAR 15 日快速报告，开始于 \
                 2026-01-01T00:00:00Z，截止 2026-01-16（自 2026-01-16T16:00:00Z 起逾期）。"
            )
        );
        // What the catalogue does not know stays as it is.
        assert_eq!(to_chinese("something else entirely"), None);
    }

    #[test]
    fn the_refusals_of_the_rules_read_in_chinese_with_their_values() {
        let cases = [
            (
                "only an eligible participant in screening can be enrolled; this one is screening (not eligible)",
                "只有筛选中且符合入选条件的受试者才能入组；该受试者当前为筛选中（不符合入选条件）",
            ),
            (
                "the query is open; this needs it answered or closed",
                "该质疑当前为开启；此操作要求其为已答复或已关闭",
            ),
            ("is required to unlock a form", "解锁表单时为必填项"),
            (
                "form 7/v1/vitals is locked: it cannot change until a data manager unlocks it",
                "表单 7/v1/vitals 已锁定：在数据管理员解锁之前不能更改",
            ),
            ("participant 42 not found", "未找到受试者 42"),
            (
                "dosing is refused: the DSMB decided to pause under stopping rule SR-1",
                "给药被拒绝：数据安全监查委员会已依据停止规则 SR-1 决定暂停",
            ),
            ("is required when the outcome is fatal", "当转归为死亡时为必填项"),
            ("wrong username or password", "用户名或密码错误"),
            (
                "\"x\" is not allowed (allowed: screening, enrolled)",
                "\"x\" 不允许（允许：screening, enrolled）",
            ),
        ];
        for (english, chinese) in cases {
            assert_eq!(to_chinese(english).as_deref(), Some(chinese), "{english}");
        }
    }

    #[test]
    fn an_answer_keeps_its_shape() {
        let mut body = serde_json::json!({"error": {"status": 422, "message": "values.x: is required; values.y: is required", "fields": [
            {"field": "values.x", "message": "is required"},
            {"field": "values.y", "message": "is required"}]}});
        translate(&mut body, Lang::Zh);
        assert_eq!(body["error"]["status"], 422);
        assert_eq!(body["error"]["fields"][0]["field"], "values.x");
        assert_eq!(body["error"]["fields"][1]["message"], "为必填项");
        assert_eq!(
            body["error"]["message"],
            "有 2 项内容未被接受，请见各字段的说明。"
        );
        let mut english = body.clone();
        english["error"]["fields"][0]["message"] = "is required".into();
        let before = english.clone();
        translate(&mut english, Lang::En);
        assert_eq!(english, before);
    }
}
