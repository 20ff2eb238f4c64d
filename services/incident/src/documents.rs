//! Documents people read: labels in English or Chinese, values as words (never the
//! contracts' enum names), and one small document model (headings, fields, items,
//! tables) written as Markdown or as a self-contained printable XHTML page. The upward
//! report, the contact notices and the community reports are written through it. Pure.

/// The language of a document's labels (the hall's staff read Chinese).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// English.
    #[default]
    English,
    /// Simplified Chinese.
    Chinese,
}

impl Language {
    /// The language a flag names (`en`, `zh`).
    pub fn named(name: &str) -> Option<Language> {
        match name.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Language::English),
            "zh" | "chinese" | "zh-cn" => Some(Language::Chinese),
            _ => None,
        }
    }

    /// `text` in this language: English as given, Chinese from the table of labels
    /// (the English words when the table has none).
    pub fn say(self, english: &str) -> String {
        match self {
            Language::English => english.to_string(),
            Language::Chinese => CHINESE
                .iter()
                .find(|(en, _)| *en == english)
                .map_or_else(|| english.to_string(), |(_, zh)| (*zh).to_string()),
        }
    }
}

/// The labels and values the documents print, in Chinese.
const CHINESE: &[(&str, &str)] = &[
    ("Report to the community", "社区报告"),
    (
        "withheld: this role may not see identities",
        "因角色权限不显示身份信息",
    ),
    ("risk area", "风险地区"),
    ("Names", "身份信息"),
    ("not shown", "未显示"),
    (
        "the stored record keeps pseudonymous ids; the duty desk's copy of the documents names people",
        "存档记录仅保留化名编号，值班台的文书副本显示姓名",
    ),
    ("only the duty desk may identify people", "仅值班台可查看身份信息"),
    ("the name lookup took too long", "身份查询超时"),
    ("Name", "姓名"),
    ("Phone", "电话"),
    ("Residence", "现住址"),
    ("Community", "所属社区"),
    ("Risk areas visited", "到过的风险地区"),
    ("Reported", "报告时间"),
    ("Travel", "行程"),
    ("What the community is asked to do", "请社区协助"),
    ("Incident report", "事件报告"),
    ("Classification", "分类"),
    ("suspected case", "疑似病例"),
    ("confirmed case", "确诊病例"),
    ("Person", "人员"),
    ("visitor", "办事群众"),
    ("staff", "工作人员"),
    ("Source", "来源"),
    ("screening", "入口筛查"),
    ("staff health", "员工健康"),
    ("manual", "人工报告"),
    ("positive contact", "密接阳性"),
    ("Location", "地点"),
    ("Occurred", "发生时间"),
    ("Readings", "检测记录"),
    ("no health code shown", "未出示健康码"),
    ("code", "码"),
    ("green", "绿"),
    ("yellow", "黄"),
    ("red", "红"),
    ("no symptoms named", "无症状记录"),
    ("Timeline", "处置经过"),
    ("step", "步骤"),
    ("recorded by", "记录人"),
    ("what was recorded", "记录内容"),
    ("report", "报告"),
    ("isolation", "隔离"),
    ("hospital transfer", "转运就医"),
    ("tracing", "流调"),
    ("upward report", "如实上报"),
    ("disinfection", "消毒"),
    ("aftermath", "善后"),
    ("Contacts", "密切接触者"),
    ("ring", "圈层"),
    ("category", "类别"),
    ("status", "状态"),
    ("where and how long", "接触地点与时长"),
    ("to notify", "待通知"),
    ("notified", "已通知"),
    ("tested", "已检测"),
    ("negative", "阴性"),
    ("positive", "阳性"),
    ("released", "已解除"),
    ("yes", "是"),
    ("no", "否"),
    ("minutes", "分钟"),
    ("and", "及"),
    ("more", "项"),
    ("Sent", "报送"),
    ("leadership group", "领导小组"),
    ("city epidemic command", "市疫情防控指挥部"),
    ("CDC", "疾控中心"),
    ("reported by", "报告人"),
    ("reported to groups", "报告至"),
    ("reported at", "报告时间"),
    ("duty posts", "值守岗位"),
    ("isolation room id", "隔离室"),
    ("isolated at", "隔离时间"),
    ("community notified at", "通知社区时间"),
    ("prevention center notified at", "通知疾控时间"),
    ("spot disinfection", "现场消毒"),
    ("channel", "方式"),
    ("family", "家属"),
    ("ambulance 120", "120救护车"),
    ("requested at", "联系时间"),
    ("succeeded", "成功"),
    ("departed at", "出发时间"),
    ("note", "备注"),
    ("escalated from", "升级自"),
    ("ordered zones", "消毒区域"),
    ("zone id", "区域"),
    ("done by", "执行人"),
    ("agent", "消毒剂"),
    ("done at", "完成时间"),
    ("notes", "说明"),
    ("statement", "对外口径"),
    ("approved by", "审批人"),
    ("added by hand", "人工添加"),
    ("Notice to a close contact", "密切接触者告知书"),
    ("Incident", "事件"),
    ("When you were exposed", "接触时间"),
    ("Where", "接触地点"),
    ("Quarantine until", "隔离至"),
    ("What happened", "发生了什么"),
    ("What to do", "您需要做什么"),
    ("as the duty desk told you", "以值班人员告知为准"),
    ("the hall's duty desk", "大厅值班室"),
    ("close contacts", "密切接触者人数"),
    ("secondary contacts", "次密接人数"),
    ("index seen by contact tracing", "流调系统有其轨迹"),
    ("rings", "追踪圈层"),
    ("staff temperature sweep", "员工体温排查"),
    ("requested", "已发起"),
    ("tests ordered", "已安排检测"),
    ("transport", "来馆交通方式"),
    ("orders open", "未完成消毒单"),
    ("zone-masked", "同区域（戴口罩）"),
    ("entry-queue-masked", "入口排队（戴口罩）"),
    ("canteen-unmasked", "食堂相邻或对坐（未戴口罩）"),
];

/// The prefixes of the contracts' enum names that may appear in recorded details.
const ENUM_PREFIXES: &[&str] = &[
    "TRANSFER_CHANNEL_",
    "CONTACT_STATUS_",
    "DUTY_POST_",
    "PERSON_KIND_",
    "HEALTH_CODE_COLOUR_",
    "INCIDENT_SOURCE_",
    "EXPOSURE_RULE_",
    "PLACE_KIND_",
];

/// A value as words: enum names without their prefix, lower case.
pub fn words(value: &str) -> String {
    let is_enum_name = value.len() > 3
        && value.contains('_')
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !is_enum_name {
        return value.to_string();
    }
    let stripped = ENUM_PREFIXES
        .iter()
        .find_map(|prefix| value.strip_prefix(prefix))
        .unwrap_or(value);
    stripped.to_lowercase().replace('_', " ")
}

/// A block of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// Label and value pairs.
    Fields(Vec<(String, String)>),
    /// A list.
    Items(Vec<String>),
    /// A table: headers, then rows.
    Table(Vec<String>, Vec<Vec<String>>),
}

/// Blocks as Markdown under a title.
pub fn render_markdown(title: &str, blocks: Vec<Block>) -> String {
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let mut out = format!("# {title}\n");
    for block in blocks {
        out.push('\n');
        match block {
            Block::Heading(text) => out.push_str(&format!("## {text}\n")),
            Block::Fields(fields) => {
                for (label, value) in fields {
                    out.push_str(&format!("- {label}: {value}\n"));
                }
            }
            Block::Items(items) => {
                for item in items {
                    out.push_str(&format!("- {item}\n"));
                }
            }
            Block::Table(headers, rows) => {
                out.push_str(&format!("| {} |\n", headers.join(" | ")));
                out.push_str(&format!("|{}\n", "---|".repeat(headers.len())));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
            }
        }
    }
    out
}

/// Text escaped for XHTML content and attributes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Blocks as one self-contained, printable XHTML page under a title.
pub fn render_html(title: &str, blocks: Vec<Block>, language: Language) -> String {
    let lang = match language {
        Language::English => "en",
        Language::Chinese => "zh-CN",
    };
    let mut body = format!("<h1>{}</h1>\n", escape(title));
    for block in blocks {
        match block {
            Block::Heading(text) => body.push_str(&format!("<h2>{}</h2>\n", escape(&text))),
            Block::Fields(fields) => {
                body.push_str("<dl>\n");
                for (label, value) in fields {
                    body.push_str(&format!(
                        "<dt>{}</dt><dd>{}</dd>\n",
                        escape(&label),
                        escape(&value)
                    ));
                }
                body.push_str("</dl>\n");
            }
            Block::Items(items) => {
                body.push_str("<ul>\n");
                for item in items {
                    body.push_str(&format!("<li>{}</li>\n", escape(&item)));
                }
                body.push_str("</ul>\n");
            }
            Block::Table(headers, rows) => {
                body.push_str("<table>\n<thead><tr>");
                for header in headers {
                    body.push_str(&format!("<th>{}</th>", escape(&header)));
                }
                body.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    body.push_str("<tr>");
                    for cell in row {
                        body.push_str(&format!("<td>{}</td>", escape(&cell)));
                    }
                    body.push_str("</tr>\n");
                }
                body.push_str("</tbody>\n</table>\n");
            }
        }
    }
    format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>\n<style>\nbody {{ font-family: sans-serif; margin: 2em; color: #111; }}\ntable {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}\nth, td {{ border: 1px solid #999; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }}\ndt {{ font-weight: bold; float: left; clear: left; width: 10em; }}\ndd {{ margin-left: 11em; }}\n@media print {{ body {{ margin: 0; }} h2 {{ page-break-after: avoid; }} tr {{ page-break-inside: avoid; }} }}\n</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}
