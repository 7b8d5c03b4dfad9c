//! The readable terminal output of `auth0-audit audit`: for one organization a
//! header, a table applications × APIs and the findings by severity; for the
//! whole tenant one row per organization and the any-organization exposure.
//! Column widths follow the content; very long cells end in an ellipsis.

use crate::commands::output::thousands;
use std::collections::HashMap;

use crate::runtime::{
    Application, EvidenceSource, Finding, OrgAuditReport, OrganizationUsage, Route, Severity,
    TenantAuditReport, Warning,
};

/// Longest line a cell may show before it is cut with `…`.
const CELL_CAP: usize = 48;
/// Finding messages wrap at this width.
const MESSAGE_WIDTH: usize = 96;

/// Cuts `text` to at most `max` characters, the last one being `…`.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Greedy word wrap; a word longer than `width` gets a line of its own.
pub fn wrap(words: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for w in words {
        let len = line.chars().count();
        if len > 0 && len + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `2025-03-01T12:34:56.789Z` → `2025-03-01 12:34` (other text unchanged).
pub fn short_time(ts: &str) -> String {
    match (ts.get(..10), ts.get(11..16)) {
        (Some(date), Some(hm)) if ts.as_bytes().get(10) == Some(&b'T') => format!("{date} {hm}"),
        _ => ts.to_string(),
    }
}

pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

pub fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::High => 0,
        Severity::Medium => 1,
        Severity::Low => 2,
        Severity::Info => 3,
    }
}

pub fn route_label(r: Route) -> &'static str {
    match r {
        Route::Direct => "direct",
        Route::AnyOrganization => "any-org",
    }
}

pub fn usage_label(u: OrganizationUsage) -> &'static str {
    match u {
        OrganizationUsage::Deny => "deny",
        OrganizationUsage::Allow => "allow",
        OrganizationUsage::Require => "require",
        OrganizationUsage::Unspecified => "-",
    }
}

pub fn source_label(s: EvidenceSource) -> &'static str {
    match s {
        EvidenceSource::SyncLogs => "sync-logs aggregates",
        EvidenceSource::LogSearch => "log search",
        EvidenceSource::None => "none",
    }
}

/// A table whose cells may hold several lines; widths follow the content.
pub struct Table {
    headers: Vec<&'static str>,
    /// Right-aligned columns (numbers).
    right: Vec<bool>,
    rows: Vec<Vec<Vec<String>>>,
    /// Row indices before which a blank separator line goes.
    breaks: Vec<usize>,
}

impl Table {
    pub fn new(headers: &[(&'static str, bool)]) -> Table {
        Table {
            headers: headers.iter().map(|(h, _)| *h).collect(),
            right: headers.iter().map(|(_, r)| *r).collect(),
            rows: Vec::new(),
            breaks: Vec::new(),
        }
    }

    /// One row; each cell is one or more lines (missing cells are blank).
    pub fn row(&mut self, cells: Vec<Vec<String>>) {
        self.rows.push(cells);
    }

    /// A blank line before the next row (between groups).
    pub fn group_break(&mut self) {
        if !self.rows.is_empty() {
            self.breaks.push(self.rows.len());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(w.len()) {
                for line in cell {
                    w[i] = w[i].max(line.chars().count().min(CELL_CAP));
                }
            }
        }
        w
    }

    /// Renders the table; `bold` wraps the header line in ANSI bold.
    pub fn render(&self, bold: bool) -> String {
        let widths = self.widths();
        let last = widths.len().saturating_sub(1);
        let format_line = |cells: Vec<String>| -> String {
            let mut line = String::new();
            for (i, (text, width)) in cells.iter().zip(&widths).enumerate() {
                let text = truncate(text, CELL_CAP);
                let pad = width.saturating_sub(text.chars().count());
                if i > 0 {
                    line.push_str("  ");
                }
                if self.right.get(i).copied().unwrap_or(false) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(&text);
                } else {
                    line.push_str(&text);
                    if i < last {
                        line.push_str(&" ".repeat(pad));
                    }
                }
            }
            line.trim_end().to_string()
        };
        let mut out = String::new();
        let header = format_line(self.headers.iter().map(|h| h.to_string()).collect());
        if bold {
            out.push_str(&format!("\x1b[1m{header}\x1b[0m\n"));
        } else {
            out.push_str(&header);
            out.push('\n');
        }
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&rule.join("  "));
        out.push('\n');
        for (r, row) in self.rows.iter().enumerate() {
            if self.breaks.contains(&r) {
                out.push('\n');
            }
            let height = row.iter().map(Vec::len).max().unwrap_or(0).max(1);
            for l in 0..height {
                let cells = (0..widths.len())
                    .map(|c| {
                        row.get(c)
                            .and_then(|cell| cell.get(l))
                            .cloned()
                            .unwrap_or_default()
                    })
                    .collect();
                out.push_str(&format_line(cells));
                out.push('\n');
            }
        }
        out
    }
}

fn one(text: impl Into<String>) -> Vec<String> {
    vec![text.into()]
}

fn opt(text: &Option<String>) -> String {
    text.clone().unwrap_or_else(|| "-".into())
}

/// `Order Sync Worker` over its client id.
fn app_cell(name: Option<&str>, client_id: &str) -> Vec<String> {
    match name {
        Some(n) if !n.is_empty() => vec![n.to_string(), client_id.to_string()],
        _ => vec![client_id.to_string()],
    }
}

fn scopes_cell(scopes: &[String]) -> Vec<String> {
    if scopes.is_empty() {
        return one("(none)");
    }
    wrap(scopes, 40)
}

fn warnings(out: &mut String, list: &[Warning]) {
    for w in list {
        out.push_str(&format!("WARNING [{}] {}\n", w.code, w.message));
    }
}

/// Tokens issued, and the failed requests when there were any.
fn tokens_text(tokens: u64, failures: u64) -> String {
    if failures == 0 {
        thousands(tokens)
    } else {
        format!("{} ({} failed)", thousands(tokens), thousands(failures))
    }
}

fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// The applications × APIs table of one organization.
pub fn applications_table(apps: &[Application]) -> Table {
    let mut t = Table::new(&[
        ("APPLICATION", false),
        ("TYPE", false),
        ("API", false),
        ("SCOPES", false),
        ("ROUTE", false),
        ("USAGE", false),
        ("TOKENS", true),
        ("LAST USED", false),
    ]);
    for app in apps {
        t.group_break();
        // The cells right of APPLICATION and TYPE, one entry per API.
        let mut rows: Vec<Vec<Vec<String>>> = Vec::new();
        let usage_of = |aud: &str| app.usage.audiences.iter().find(|u| u.audience == aud);
        for access in &app.access {
            let used = usage_of(&access.audience);
            rows.push(vec![
                one(access.audience.clone()),
                scopes_cell(&access.scopes),
                one(route_label(access.route)),
                one(usage_label(access.organization_usage)),
                one(used.map_or_else(|| "0".into(), |u| tokens_text(u.tokens, u.failures))),
                one(used
                    .and_then(|u| u.last_seen.as_deref())
                    .map_or_else(|| "never".into(), short_time)),
            ]);
        }
        // Tokens for an API the application has no route to any more.
        for used in &app.usage.audiences {
            if app.access.iter().any(|a| a.audience == used.audience) {
                continue;
            }
            rows.push(vec![
                one(used.audience.clone()),
                if used.scopes.is_empty() {
                    one("-")
                } else {
                    scopes_cell(&used.scopes)
                },
                one("NO GRANT"),
                one("-"),
                one(tokens_text(used.tokens, used.failures)),
                one(used
                    .last_seen
                    .as_deref()
                    .map_or_else(|| "never".into(), short_time)),
            ]);
        }
        if rows.is_empty() {
            rows.push(vec![one("-"), one("-"), one("-"), one("-")]);
        }
        // Name over client id; the id moves to the next row when the first is one line.
        let mut app_lines = app_cell(app.name.as_deref(), &app.client_id).into_iter();
        let first_height = rows[0].iter().map(Vec::len).max().unwrap_or(1);
        let split = rows.len() > 1 && first_height == 1;
        for (i, cells) in rows.into_iter().enumerate() {
            let name: Vec<String> = match (i, split) {
                (0, true) | (1, true) => app_lines.next().into_iter().collect(),
                (0, false) => app_lines.by_ref().collect(),
                _ => Vec::new(),
            };
            let kind = if i == 0 {
                one(opt(&app.app_type))
            } else {
                Vec::new()
            };
            let mut row = vec![name, kind];
            row.extend(cells);
            t.row(row);
        }
    }
    t
}

/// Findings grouped by severity, high first.
pub fn findings_text(findings: &[Finding], apps: &[Application]) -> String {
    let names: HashMap<&str, &str> = apps
        .iter()
        .filter_map(|a| a.name.as_deref().map(|n| (a.client_id.as_str(), n)))
        .collect();
    let mut out = String::new();
    if findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    for sev in [
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let group: Vec<&Finding> = findings.iter().filter(|f| f.severity == sev).collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "{} ({})\n",
            severity_label(sev).to_uppercase(),
            group.len()
        ));
        for f in group {
            let app = match names.get(f.client_id.as_str()) {
                Some(n) => format!("{n} ({})", f.client_id),
                None if f.client_id.is_empty() => "-".into(),
                None => f.client_id.clone(),
            };
            let audience = f
                .audience
                .as_deref()
                .map(|a| format!("  {a}"))
                .unwrap_or_default();
            out.push_str(&format!("  {:<26} {app}{audience}\n", f.code));
            let words: Vec<String> = f.message.split_whitespace().map(str::to_string).collect();
            for line in wrap(&words, MESSAGE_WIDTH) {
                out.push_str(&format!("  {:<26} {line}\n", ""));
            }
        }
    }
    out
}

/// Everything `audit --org` prints.
pub fn org_report_text(r: &OrgAuditReport, tenant: &str, bold: bool) -> String {
    let mut out = String::new();
    let o = &r.organization;
    let title = format!(
        "Organization {}  name {}  display name {}",
        o.id,
        opt(&o.name),
        opt(&o.display_name)
    );
    if bold {
        out.push_str(&format!("\x1b[1m{title}\x1b[0m\n"));
    } else {
        out.push_str(&title);
        out.push('\n');
    }
    let e = &r.evidence;
    out.push_str(&format!(
        "tenant {tenant}; evidence: {}, {} days ({} .. {}){}{}\n",
        source_label(e.source),
        e.window_days,
        short_time(&e.window_start),
        short_time(&e.window_end),
        if e.events_read > 0 {
            format!(", {} events read", thousands(u64::from(e.events_read)))
        } else {
            String::new()
        },
        if e.capped {
            ", CAPPED at Auth0's 1,000 search results (usage may be incomplete)"
        } else {
            ""
        }
    ));
    out.push_str(&format!(
        "audited {}: {} API calls, {} (retries {}, rate-limit waits {}); previous audit {}\n",
        short_time(&r.audited_at),
        r.api_requests,
        seconds(r.duration_ms),
        r.retries,
        r.rate_limit_waits,
        r.previous_audit_at
            .as_deref()
            .map_or_else(|| "none (first audit)".into(), short_time)
    ));
    let s = &r.summary;
    out.push_str(&format!(
        "{} applications, {} direct grants, {} any-organization grants, {} tokens and {} failures in window; findings: {} high, {} medium, {} low, {} info\n\n",
        s.applications,
        s.direct_grants,
        s.any_organization_grants,
        thousands(s.tokens_in_window),
        thousands(s.failures_in_window),
        s.high,
        s.medium,
        s.low,
        s.info
    ));
    let table = applications_table(&r.applications);
    if table.is_empty() {
        out.push_str("No application can get a token for this organization.\n");
    } else {
        out.push_str(&table.render(bold));
    }
    out.push('\n');
    out.push_str(&findings_text(&r.findings, &r.applications));
    if !r.warnings.is_empty() {
        out.push('\n');
        warnings(&mut out, &r.warnings);
    }
    out
}

/// Everything `audit --all` prints.
pub fn tenant_report_text(r: &TenantAuditReport, tenant: &str, bold: bool) -> String {
    let mut out = String::new();
    let title = format!(
        "Tenant {tenant}: {} organizations{}",
        r.organizations.len(),
        if r.complete {
            ""
        } else {
            " (INCOMPLETE: the time budget ended; run again to continue)"
        }
    );
    if bold {
        out.push_str(&format!("\x1b[1m{title}\x1b[0m\n"));
    } else {
        out.push_str(&title);
        out.push('\n');
    }
    let (h, m, l, i) = r.organizations.iter().fold((0, 0, 0, 0), |acc, o| {
        (
            acc.0 + o.high,
            acc.1 + o.medium,
            acc.2 + o.low,
            acc.3 + o.info,
        )
    });
    out.push_str(&format!(
        "started {}, usage window {} days; {} API calls, {} (retries {}, rate-limit waits {}); findings: {h} high, {m} medium, {l} low, {i} info\n\n",
        short_time(&r.started_at),
        r.window_days,
        r.api_requests,
        seconds(r.duration_ms),
        r.retries,
        r.rate_limit_waits,
    ));
    let mut t = Table::new(&[
        ("ORGANIZATION", false),
        ("NAME", false),
        ("DIRECT", true),
        ("ANY-ORG APPS", true),
        ("APPS", true),
        ("HIGH", true),
        ("MEDIUM", true),
        ("LOW", true),
        ("INFO", true),
        ("TOKENS", true),
        ("EVIDENCE", false),
    ]);
    for o in &r.organizations {
        let name = match (&o.display_name, &o.name) {
            (Some(d), Some(n)) if d != n => format!("{d} ({n})"),
            (Some(d), _) => d.clone(),
            (None, Some(n)) => n.clone(),
            (None, None) => "-".into(),
        };
        let evidence = match o.evidence_source {
            EvidenceSource::SyncLogs => "sync-logs",
            EvidenceSource::LogSearch if o.capped => "search (capped)",
            EvidenceSource::LogSearch => "search",
            EvidenceSource::None => "none",
        };
        t.row(vec![
            one(o.org_id.clone()),
            one(name),
            one(o.direct_grants.to_string()),
            one(o.any_organization_applications.to_string()),
            one(o.applications.to_string()),
            one(o.high.to_string()),
            one(o.medium.to_string()),
            one(o.low.to_string()),
            one(o.info.to_string()),
            one(thousands(o.tokens_in_window)),
            one(evidence),
        ]);
    }
    if t.is_empty() {
        out.push_str("No organizations.\n");
    } else {
        out.push_str(&t.render(bold));
    }
    out.push_str("\nAny-organization grants (each opens an API in every organization):\n");
    let mut x = Table::new(&[
        ("GRANT", false),
        ("CLIENT", false),
        ("AUDIENCE", false),
        ("SCOPES", false),
        ("ORGS OPENED", true),
        ("USED IN", true),
    ]);
    for e in &r.exposure {
        x.row(vec![
            one(e.grant_id.clone()),
            app_cell(e.client_name.as_deref(), &e.client_id),
            one(e.audience.clone()),
            scopes_cell(&e.scopes),
            one(e.organizations.to_string()),
            one(e.organizations_used.to_string()),
        ]);
    }
    if x.is_empty() {
        out.push_str("None.\n");
    } else {
        out.push_str(&x.render(bold));
    }
    if !r.warnings.is_empty() {
        out.push('\n');
        warnings(&mut out, &r.warnings);
    }
    out
}

#[cfg(test)]
pub(crate) mod fixtures {
    use crate::runtime::*;

    pub fn org_report() -> OrgAuditReport {
        let usage = |tokens: u64, aud: &str, last: Option<&str>| Usage {
            tokens,
            failures: 0,
            first_seen: last.map(str::to_string),
            last_seen: last.map(str::to_string),
            audiences: vec![AudienceUsage {
                audience: aud.to_string(),
                tokens,
                failures: 0,
                first_seen: last.map(str::to_string),
                last_seen: last.map(str::to_string),
                scopes: vec!["read:orders".into()],
            }],
        };
        OrgAuditReport {
            organization: Organization {
                id: "org_abc123".into(),
                name: Some("acme".into()),
                display_name: Some("Acme <Corp> & \"Sons\"".into()),
            },
            applications: vec![
                Application {
                    client_id: "cid_worker".into(),
                    name: Some("Order Sync Worker".into()),
                    app_type: Some("non_interactive".into()),
                    access: vec![
                        Access {
                            audience: "https://api.example.com/orders".into(),
                            scopes: vec!["read:orders".into(), "write:orders".into()],
                            route: Route::Direct,
                            grant_id: "cgr_1".into(),
                            organization_usage: OrganizationUsage::Allow,
                        },
                        Access {
                            audience: "https://api.example.com/billing".into(),
                            scopes: vec![],
                            route: Route::AnyOrganization,
                            grant_id: "cgr_2".into(),
                            organization_usage: OrganizationUsage::Require,
                        },
                    ],
                    usage: usage(
                        1234,
                        "https://api.example.com/orders",
                        Some("2025-03-01T12:34:56.789Z"),
                    ),
                },
                Application {
                    client_id: "cid_legacy".into(),
                    name: Some("<script>alert(1)</script>".into()),
                    app_type: Some("non_interactive".into()),
                    access: vec![],
                    usage: usage(
                        7,
                        "https://api.example.com/shipping",
                        Some("2025-02-01T00:00:00.000Z"),
                    ),
                },
            ],
            findings: vec![
                Finding {
                    severity: Severity::Low,
                    code: "unused-scopes".into(),
                    client_id: "cid_worker".into(),
                    audience: Some("https://api.example.com/orders".into()),
                    message: "write:orders is granted but never requested.".into(),
                },
                Finding {
                    severity: Severity::High,
                    code: "usage-without-grant".into(),
                    client_id: "cid_legacy".into(),
                    audience: Some("https://api.example.com/shipping".into()),
                    message: "Tokens were issued without a current grant.".into(),
                },
            ],
            summary: AuditSummary {
                applications: 2,
                direct_grants: 1,
                any_organization_grants: 1,
                high: 1,
                medium: 0,
                low: 1,
                info: 0,
                tokens_in_window: 1241,
                failures_in_window: 0,
            },
            evidence: Evidence {
                source: EvidenceSource::SyncLogs,
                window_days: 30,
                window_start: "2025-02-01T00:00:00.000Z".into(),
                window_end: "2025-03-03T00:00:00.000Z".into(),
                capped: false,
                events_read: 1241,
            },
            audited_at: "2025-03-03T00:00:00.000Z".into(),
            previous_audit_at: None,
            api_requests: 6,
            retries: 0,
            rate_limit_waits: 0,
            duration_ms: 250,
            warnings: vec![Warning {
                code: "search-lag".into(),
                message: "the clients search lags".into(),
            }],
        }
    }

    pub fn tenant_report() -> TenantAuditReport {
        TenantAuditReport {
            complete: true,
            organizations: vec![OrgSummaryRow {
                org_id: "org_abc123".into(),
                name: Some("acme".into()),
                display_name: Some("Acme <Corp>".into()),
                direct_grants: 3,
                any_organization_applications: 2,
                applications: 5,
                high: 1,
                medium: 2,
                low: 0,
                info: 4,
                tokens_in_window: 12345,
                failures_in_window: 1,
                evidence_source: EvidenceSource::SyncLogs,
                capped: false,
            }],
            audited_this_call: 1,
            exposure: vec![AnyOrganizationExposure {
                grant_id: "cgr_any".into(),
                client_id: "cid_hub".into(),
                client_name: Some("Platform \"Hub\"".into()),
                app_type: Some("non_interactive".into()),
                audience: "https://api.example.com/inventory".into(),
                scopes: vec!["read:inventory".into()],
                organization_usage: OrganizationUsage::Allow,
                organizations: 12,
                organizations_used: 2,
            }],
            window_days: 30,
            started_at: "2025-03-03T00:00:00.000Z".into(),
            api_requests: 14,
            retries: 0,
            rate_limit_waits: 0,
            duration_ms: 900,
            warnings: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_wrap_and_numbers() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(truncate("ééééé", 3), "éé…");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(tokens_text(1200, 0), "1,200");
        assert_eq!(tokens_text(0, 4), "0 (4 failed)");
        let words: Vec<String> = ["aaa", "bbb", "ccc"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(wrap(&words, 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(short_time("2025-03-01T12:34:56.789Z"), "2025-03-01 12:34");
        assert_eq!(short_time("soon"), "soon");
    }

    #[test]
    fn columns_follow_the_content_and_long_cells_are_cut() {
        let mut t = Table::new(&[("A", false), ("NUM", true)]);
        t.row(vec![one("x"), one("5")]);
        t.row(vec![one("longer"), one("12345")]);
        t.row(vec![one("y".repeat(100)), one("1")]);
        let text = t.render(false);
        let lines: Vec<&str> = text.lines().collect();
        let cut = format!("{}…", "y".repeat(CELL_CAP - 1));
        assert_eq!(lines[0], format!("A{}    NUM", " ".repeat(CELL_CAP - 1)));
        assert_eq!(lines[2], format!("x{}      5", " ".repeat(CELL_CAP - 1)));
        assert_eq!(lines[4], format!("{cut}      1"));
        assert!(!text.contains('\x1b'));
        assert!(t.render(true).starts_with("\x1b[1m"));
    }

    #[test]
    fn org_table_layout() {
        let r = fixtures::org_report();
        let text = org_report_text(&r, "acme.auth0.com", false);
        let expected_table = "\
APPLICATION                TYPE             API                               SCOPES                    ROUTE     USAGE    TOKENS  LAST USED
-------------------------  ---------------  --------------------------------  ------------------------  --------  -------  ------  ----------------
Order Sync Worker          non_interactive  https://api.example.com/orders    read:orders write:orders  direct    allow     1,234  2025-03-01 12:34
cid_worker                                  https://api.example.com/billing   (none)                    any-org   require       0  never

<script>alert(1)</script>  non_interactive  https://api.example.com/shipping  read:orders               NO GRANT  -             7  2025-02-01 00:00
cid_legacy
";
        assert!(
            text.contains(expected_table),
            "table differs:\n{text}\n--- expected ---\n{expected_table}"
        );
        assert!(text.starts_with(
            "Organization org_abc123  name acme  display name Acme <Corp> & \"Sons\"\n"
        ));
        assert!(text.contains("sync-logs aggregates, 30 days (2025-02-01 00:00 .. 2025-03-03 00:00), 1,241 events read\n"));
        assert!(text.contains("6 API calls, 0.2 s"));
        assert!(text.contains("previous audit none (first audit)"));
        // High before low; the application is named.
        let high = text.find("HIGH (1)").unwrap_or(usize::MAX);
        let low = text.find("LOW (1)").unwrap_or(0);
        assert!(high < low, "{text}");
        assert!(text.contains(
            "  usage-without-grant        <script>alert(1)</script> (cid_legacy)  https://api.example.com/shipping\n\
             \x20                            Tokens were issued without a current grant.\n"
        ));
        assert!(text.contains("WARNING [search-lag] the clients search lags\n"));
    }

    #[test]
    fn tenant_table_layout() {
        let r = fixtures::tenant_report();
        let text = tenant_report_text(&r, "acme.auth0.com", false);
        let expected = "\
ORGANIZATION  NAME                DIRECT  ANY-ORG APPS  APPS  HIGH  MEDIUM  LOW  INFO  TOKENS  EVIDENCE
------------  ------------------  ------  ------------  ----  ----  ------  ---  ----  ------  ---------
org_abc123    Acme <Corp> (acme)       3             2     5     1       2    0     4  12,345  sync-logs
";
        assert!(text.contains(expected), "{text}");
        assert!(text.contains("Tenant acme.auth0.com: 1 organizations\n"));
        assert!(text.contains("findings: 1 high, 2 medium, 0 low, 4 info"));
        let exposure = "\
GRANT    CLIENT          AUDIENCE                           SCOPES          ORGS OPENED  USED IN
-------  --------------  ---------------------------------  --------------  -----------  -------
cgr_any  Platform \"Hub\"  https://api.example.com/inventory  read:inventory           12        2
         cid_hub
";
        assert!(text.contains(exposure), "{text}");
        let mut incomplete = r.clone();
        incomplete.complete = false;
        assert!(tenant_report_text(&incomplete, "t", false).contains("INCOMPLETE"));
    }

    #[test]
    fn empty_reports_say_so() {
        let mut r = fixtures::org_report();
        r.applications.clear();
        r.findings.clear();
        let text = org_report_text(&r, "t", false);
        assert!(text.contains("No application can get a token for this organization."));
        assert!(text.contains("No findings."));
    }
}
