//! The terminal rendering of `segment count`: a table with bars, withheld cells shown as such, the noise and the
//! budget spelled out.

use cohort_outputs::{CountReport, CountRow, RowKind};
use std::fmt::Write as _;

/// Width of the longest bar, in characters.
const BAR_WIDTH: u64 = 30;

/// Renders a count report for people.
pub fn render(report: &CountReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Segment {} under purpose {} (run {}, {})",
        report.segment, report.purpose, report.run_id, report.run_at
    );
    let _ = writeln!(
        s,
        "Thresholds: groups under {} members withheld (and enough others that the totals cannot reveal them); \
         nothing released for a segment under {}.",
        report.k, report.min_export_size
    );
    match &report.differential_privacy {
        Some(dp) => {
            let delta = dp.delta.map(|d| format!(", δ {d}")).unwrap_or_default();
            let noise: Vec<String> = dp
                .noise
                .iter()
                .map(|n| format!("{} ±{} (95 %)", n.statistic, n.bound_95))
                .collect();
            let _ = writeln!(
                s,
                "Differential privacy: {} noise, ε {}{delta} for this query; noise {}.",
                dp.mechanism,
                dp.epsilon,
                noise.join(", ")
            );
        }
        None => {
            let _ = writeln!(s, "Differential privacy: off (exact counts).");
        }
    }
    if report.dry_run {
        let _ = writeln!(s, "\nDry run: nothing released, nothing charged.");
    } else {
        s.push('\n');
        render_rows(&mut s, report);
    }
    if !report.budget.is_empty() {
        let _ = writeln!(
            s,
            "\nPrivacy budget{}:",
            if report.dry_run {
                " (before this query)"
            } else {
                ""
            }
        );
        for line in &report.budget {
            let _ = writeln!(
                s,
                "  {:<32} {:<18} spent ε {:.3} of {:.3}",
                line.limit.scope,
                line.limit.period,
                line.spent_micro as f64 / 1e6,
                line.limit.limit_micro as f64 / 1e6
            );
        }
    }
    if let Some(seq) = report.audit_seq {
        let _ = writeln!(s, "\nAudit entry {seq}.");
    }
    s
}

fn render_rows(s: &mut String, report: &CountReport) {
    let dims = report.by.len();
    let mut headers: Vec<String> = report.by.clone();
    if dims == 0 {
        headers.push("segment".into());
    }
    let label = |row: &CountRow| -> Vec<String> {
        if dims == 0 {
            vec!["all members".into()]
        } else {
            row.group
                .iter()
                .map(|g| if g == "*" { "(all)".into() } else { g.clone() })
                .collect()
        }
    };
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            report
                .rows
                .iter()
                .map(|r| label(r)[i].chars().count())
                .chain([headers[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let max_cell = report
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Cell || dims == 0)
        .filter_map(|r| r.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut line = String::new();
    for (h, w) in headers.iter().zip(&widths) {
        let _ = write!(line, "  {h:<w$}");
    }
    let _ = write!(line, "  {:>10}", "members");
    for m in &report.sums {
        let _ = write!(line, "  {:>14}  {:>10}", format!("sum {m}"), "mean");
    }
    let _ = writeln!(s, "{line}");
    let mut last_kind = None;
    for row in &report.rows {
        if last_kind.is_some() && last_kind != Some(row.kind) {
            s.push('\n');
        }
        last_kind = Some(row.kind);
        let mut line = String::new();
        for (l, w) in label(row).iter().zip(&widths) {
            let pad = w.saturating_sub(l.chars().count());
            let _ = write!(line, "  {l}{}", " ".repeat(pad));
        }
        match row.count {
            Some(n) => {
                let _ = write!(line, "  {n:>10}");
            }
            None => {
                let _ = write!(line, "  {:>10}", "withheld");
            }
        }
        for m in &row.measures {
            match (m.sum, m.mean) {
                (Some(sum), Some(mean)) => {
                    let _ = write!(line, "  {sum:>14}  {mean:>10.2}");
                }
                (Some(sum), None) => {
                    let _ = write!(line, "  {sum:>14}  {:>10}", "-");
                }
                _ => {
                    let _ = write!(line, "  {:>14}  {:>10}", "withheld", "withheld");
                }
            }
        }
        if row.kind == RowKind::Cell
            && let Some(n) = row.count
        {
            let bar = (n.min(max_cell) * BAR_WIDTH).div_ceil(max_cell);
            let _ = write!(line, "  {}", "█".repeat(bar as usize));
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
}
